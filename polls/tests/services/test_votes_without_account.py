"""Voting without an account: each voter mode's rules and refusals (polls.services.voters and
vote_cast, vote_change, vote_retract)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from polls import services
from polls.models import Ballot, InviteCode, Poll, VoterMode, VoterNames
from polls.services.voters import Voter

from ..factories import PollFactory, UserFactory
from ..tallies import assert_counters_equal_choices

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]

ANONYMOUS = AnonymousUser()


def first(poll) -> int:
    return poll.options.order_by("position").first().pk


def last(poll) -> int:
    return poll.options.order_by("position").last().pk


def browser(value="b" * 22, **kwargs) -> Voter:
    return Voter(user=ANONYMOUS, browser=value, address="203.0.113.9", **kwargs)


def codes(poll, count=3) -> list[str]:
    return [
        code.code for code in services.invite_codes_create(poll=poll, by=poll.author, count=count)
    ]


def test_an_account_poll_refuses_a_voter_without_an_account():
    poll = PollFactory()
    with pytest.raises(services.SignInToVote):
        services.vote_cast(poll=poll, voter=browser(), option_id=first(poll))
    assert Ballot.objects.count() == 0
    assert_counters_equal_choices(poll)


def test_a_browser_poll_takes_one_ballot_per_browser():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    services.vote_cast(poll=poll, voter=browser("a" * 22), option_id=first(poll))
    services.vote_cast(poll=poll, voter=browser("c" * 22), option_id=last(poll))
    with pytest.raises(services.AlreadyVoted):
        services.vote_cast(poll=poll, voter=browser("a" * 22), option_id=last(poll))

    poll.refresh_from_db()
    assert poll.ballot_count == 2
    assert_counters_equal_choices(poll)
    ballot = Ballot.objects.get(identity=services.browser_identity("a" * 22))
    assert ballot.voter is None
    assert ballot.mode == "browser"
    assert "a" * 22 not in ballot.identity  # a keyed hash, never the cookie's value


def test_a_browser_poll_without_the_cookie_is_refused_in_words():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    with pytest.raises(services.BrowserNotKnown, match="allow cookies"):
        services.vote_cast(poll=poll, voter=browser(value=None), option_id=first(poll))


def test_a_signed_in_voter_in_a_browser_poll_votes_by_account(user):
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    ballot = services.vote_cast(poll=poll, voter=Voter(user=user), option_id=first(poll))
    assert (ballot.voter, ballot.identity, ballot.address_hash) == (user, f"user:{user.pk}", "")


def test_a_browser_ballot_keeps_a_hash_of_the_address_never_the_address():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    services.vote_cast(poll=poll, voter=browser(), option_id=first(poll))
    ballot = Ballot.objects.get()
    assert ballot.address_hash == services.address_hash("203.0.113.9")
    assert "203.0.113.9" not in ballot.address_hash


def test_addresses_in_one_ipv6_64_hash_alike_and_others_apart():
    same = services.address_hash("2001:db8:1:2::1")
    assert services.address_hash("2001:db8:1:2:ffff:1:2:3") == same
    assert services.address_hash("2001:db8:1:3::1") != same
    assert services.address_hash("::ffff:198.51.100.7") == services.address_hash("198.51.100.7")
    assert services.address_hash("198.51.100.7") != services.address_hash("198.51.100.8")
    assert services.address_hash(None) == services.address_hash("") == ""
    assert len(services.address_hash("not an address\x00")) == 32


def test_with_the_challenge_on_a_vote_without_an_account_needs_a_solution(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 1000
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    with pytest.raises(services.VoteRefused) as refused:
        services.vote_cast(poll=poll, voter=browser(), option_id=first(poll))
    assert refused.value.code == "challenge_failed"
    assert Ballot.objects.count() == 0
    assert_counters_equal_choices(poll)


def test_signed_in_voters_and_invite_codes_need_no_challenge(settings, user):
    settings.VOTR_CHALLENGE_DIFFICULTY = 1000
    for mode in (VoterMode.BROWSER, VoterMode.OPEN):
        poll = PollFactory(voter_mode=mode)
        services.vote_cast(poll=poll, voter=user, option_id=first(poll))
    code_poll = PollFactory(voter_mode=VoterMode.CODE)
    (code,) = codes(code_poll, 1)
    services.vote_cast(
        poll=code_poll, voter=Voter(user=ANONYMOUS, code=code), option_id=first(code_poll)
    )
    assert Ballot.objects.count() == 3


def test_an_invite_code_casts_one_ballot_and_is_marked_used_not_when():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    code, other, _ = codes(poll)
    services.vote_cast(poll=poll, voter=Voter(user=ANONYMOUS, code=code), option_id=first(poll))
    with pytest.raises(services.VoteRefused):
        services.vote_cast(poll=poll, voter=Voter(user=ANONYMOUS, code=code), option_id=last(poll))
    assert InviteCode.objects.get(code=code).used
    assert not InviteCode.objects.get(code=other).used
    assert {field.name for field in InviteCode._meta.fields}.isdisjoint({"used_at", "cast_at"})
    ballot = Ballot.objects.get()
    assert code not in ballot.identity
    assert ballot.identity == services.code_identity(code)


def test_a_code_poll_refuses_no_code_an_unknown_code_and_another_polls_code():
    poll, elsewhere = PollFactory(voter_mode=VoterMode.CODE), PollFactory(voter_mode="code")
    (foreign,) = codes(elsewhere, 1)
    with pytest.raises(services.InviteCodeNeeded):
        services.vote_cast(poll=poll, voter=Voter(user=ANONYMOUS), option_id=first(poll))
    for code in ("nope", foreign):
        with pytest.raises(services.InviteCodeRefused):
            services.vote_cast(
                poll=poll, voter=Voter(user=ANONYMOUS, code=code), option_id=first(poll)
            )
    assert Ballot.objects.count() == 0
    assert_counters_equal_choices(poll)


def test_a_revoked_code_casts_nothing():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    code, _, _ = codes(poll)
    assert services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[1]) == 1
    with pytest.raises(services.InviteCodeRevoked):
        services.vote_cast(poll=poll, voter=Voter(user=ANONYMOUS, code=code), option_id=first(poll))


def test_a_signed_in_holder_of_a_code_votes_by_the_code_not_the_account(user):
    poll = PollFactory(voter_mode=VoterMode.CODE)
    first_code, second_code, _ = codes(poll)
    for code in (first_code, second_code):
        services.vote_cast(poll=poll, voter=Voter(user=user, code=code), option_id=first(poll))
    assert list(Ballot.objects.values_list("voter", flat=True)) == [None, None]


def test_an_open_poll_takes_every_ballot_under_a_new_identity(user):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    for voter in (browser(), browser(), Voter(user=user), Voter(user=user)):
        services.vote_cast(poll=poll, voter=voter, option_id=first(poll))
    assert Ballot.objects.filter(poll=poll).values("identity").distinct().count() == 4
    assert not Ballot.objects.filter(voter__isnull=False).exists()
    poll.refresh_from_db()
    assert poll.ballot_count == 4


def test_an_open_poll_cannot_take_vote_changes():
    errors = services.poll_errors(
        title="Q?",
        option_labels=["A", "B"],
        closes_at=PollFactory.build().closes_at,
        voter_mode=VoterMode.OPEN,
        allow_vote_change=True,
    )
    assert errors == {"allow_vote_change": [services.checks.OPEN_VOTES_FINAL]}
    with pytest.raises(services.NoWayToChange):
        services.vote_retract(poll=PollFactory(voter_mode="open"), voter=browser())


def test_a_browser_voter_changes_and_retracts_from_the_same_browser_only():
    poll = PollFactory(voter_mode=VoterMode.BROWSER, allow_vote_change=True)
    services.vote_cast(poll=poll, voter=browser("a" * 22), option_id=first(poll))
    with pytest.raises(services.NotVoted):
        services.vote_change(poll=poll, voter=browser("z" * 22), option_id=last(poll))
    services.vote_change(poll=poll, voter=browser("a" * 22), option_id=last(poll))
    assert_counters_equal_choices(poll)
    assert Ballot.objects.get().choices.get().option_id == last(poll)
    services.vote_retract(poll=poll, voter=browser("a" * 22))
    assert Ballot.objects.count() == 0
    assert_counters_equal_choices(poll)


def test_retracting_a_codes_ballot_frees_the_code_to_vote_again():
    poll = PollFactory(voter_mode=VoterMode.CODE, allow_vote_change=True)
    (code,) = codes(poll, 1)
    holder = Voter(user=ANONYMOUS, code=code)
    services.vote_cast(poll=poll, voter=holder, option_id=first(poll))
    services.vote_change(poll=poll, voter=holder, option_id=last(poll))
    services.vote_retract(poll=poll, voter=holder)
    assert not InviteCode.objects.get().used
    services.vote_cast(poll=poll, voter=holder, option_id=first(poll))
    assert InviteCode.objects.get().used
    assert_counters_equal_choices(poll)


def test_a_required_name_is_asked_of_a_voter_without_an_account():
    poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names=VoterNames.REQUIRED)
    with pytest.raises(services.NameRequired):
        services.vote_cast(poll=poll, voter=browser(name="   "), option_id=first(poll))
    assert Ballot.objects.count() == 0
    services.vote_cast(poll=poll, voter=browser(name="  Ada   Lovelace "), option_id=first(poll))
    assert Ballot.objects.get().voter_name == "Ada Lovelace"


@pytest.mark.parametrize("name", ["x" * 51, "Ada\x00", "Ada\u202e", "a\nb\x07"])
def test_names_too_long_or_with_control_characters_are_refused(name):
    poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names=VoterNames.OPTIONAL)
    with pytest.raises(services.NameRefused):
        services.vote_cast(poll=poll, voter=browser(name=name), option_id=first(poll))


def test_a_signed_in_voter_is_named_by_username_and_may_hide_it_only_where_optional():
    required = PollFactory(voter_names=VoterNames.REQUIRED)
    optional = PollFactory(voter_names=VoterNames.OPTIONAL)
    ada = UserFactory(username="ada")
    for poll in (required, optional):
        services.vote_cast(
            poll=poll,
            voter=Voter(user=ada, name="Someone else", hide_name=True),
            option_id=first(poll),
        )
    assert Ballot.objects.get(poll=required).voter_name == "ada"
    assert Ballot.objects.get(poll=optional).voter_name == ""


def test_names_are_not_kept_where_the_poll_does_not_ask_for_them():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    services.vote_cast(poll=poll, voter=browser(name="Ada"), option_id=first(poll))
    assert Ballot.objects.get().voter_name == ""


def test_who_may_vote_and_the_ballot_settings_are_fixed_once_anyone_voted(user):
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    services.vote_cast(poll=poll, voter=user, option_id=first(poll))
    for change in (
        {"voter_mode": VoterMode.ACCOUNT},
        {"public_ballots": True},
        {"voter_names": VoterNames.OPTIONAL},
    ):
        errors = services.poll_edit_errors(poll=poll, **change)
        assert services.editing.VOTERS_FIXED in next(iter(errors.values()))
    assert services.poll_edit_errors(poll=poll, names_shown_to="everyone") == {}


@override_settings(VOTR_CHALLENGE_DIFFICULTY=0)
def test_the_settings_are_checked_by_name():
    errors = services.poll_errors(
        title="Q?",
        option_labels=["A", "B"],
        closes_at=PollFactory.build().closes_at,
        voter_mode="everyone",
        voter_names="maybe",
        names_shown_to="the world",
        public_ballots="yes",
    )
    assert set(errors) == {"voter_mode", "voter_names", "names_shown_to", "public_ballots"}
    assert "account, browser, code, open" in errors["voter_mode"][0]


def test_poll_create_keeps_the_voter_settings():
    author = UserFactory()
    poll = services.poll_create(
        author=author,
        title="Lunch?",
        option_labels=["Pizza", "Soup"],
        voter_mode=VoterMode.CODE,
        public_ballots=True,
        voter_names=VoterNames.REQUIRED,
        names_shown_to="everyone",
    )
    poll = Poll.objects.get(pk=poll.pk)
    assert (poll.voter_mode, poll.public_ballots, poll.voter_names, poll.names_shown_to) == (
        "code",
        True,
        "required",
        "everyone",
    )
