"""Votes without an account at the same instant from many connections (PostgreSQL, real
threads): one browser's value or one invite code used by 20 requests at once casts exactly one
ballot; open polls take every one; changes and retractions of a code's ballot racing its
votes, and a burst removal racing new votes, leave every counter equal to its choices."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from polls import services
from polls.models import Ballot, InviteCode, VoterMode
from polls.services.voters import Voter

from .factories import PollFactory, staff_with
from .services.test_challenges import solved
from .tallies import assert_counters_equal_choices
from .test_concurrency_ballots import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("challenge_off"),
]

ANONYMOUS = AnonymousUser()


def options(poll) -> list[int]:
    return list(poll.options.order_by("id").values_list("pk", flat=True))


def test_one_browser_sending_20_votes_at_once_casts_one_ballot():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    ids = options(poll)
    browser = Voter(user=ANONYMOUS, browser="b" * 22, address="203.0.113.5")
    outcomes = run_at_once(
        [
            (lambda n=n: services.vote_cast(poll=poll, voter=browser, option_id=ids[n % 3]))
            for n in range(20)
        ]
    )
    assert sorted(set(outcomes)) == ["AlreadyVoted", "done"]
    assert outcomes.count("done") == 1
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert_counters_equal_choices(poll)


def test_one_invite_code_sent_20_times_at_once_casts_one_ballot_and_is_used_once():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    (invite,) = services.invite_codes_create(poll=poll, by=poll.author, count=1)
    ids = options(poll)
    holder = Voter(user=ANONYMOUS, code=invite.code)
    outcomes = run_at_once(
        [
            (lambda n=n: services.vote_cast(poll=poll, voter=holder, option_id=ids[n % 3]))
            for n in range(20)
        ]
    )
    assert outcomes.count("done") == 1
    assert set(outcomes) - {"done"} <= {"AlreadyVoted", "InviteCodeUsed"}
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert InviteCode.objects.get().used
    assert_counters_equal_choices(poll)


def test_20_open_votes_at_once_are_20_ballots():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    ids = options(poll)
    voter = Voter(user=ANONYMOUS, address="198.51.100.1")
    outcomes = run_at_once(
        [
            (lambda n=n: services.vote_cast(poll=poll, voter=voter, option_id=ids[n % 3]))
            for n in range(20)
        ]
    )
    assert outcomes == ["done"] * 20
    assert_counters_equal_choices(poll)
    assert poll.ballot_count == 20


def test_a_codes_votes_changes_and_retractions_racing_keep_the_counts_and_the_code_exact():
    poll = PollFactory(voter_mode=VoterMode.CODE, allow_vote_change=True)
    codes = services.invite_codes_create(poll=poll, by=poll.author, count=10)
    ids = options(poll)
    holders = [Voter(user=ANONYMOUS, code=invite.code) for invite in codes]
    for holder in holders[:5]:
        services.vote_cast(poll=poll, voter=holder, option_id=ids[0])
    actions = []
    for n, holder in enumerate(holders):
        actions.append(
            lambda h=holder, n=n: services.vote_cast(poll=poll, voter=h, option_id=ids[n % 3])
        )
        actions.append(
            lambda h=holder, n=n: services.vote_change(
                poll=poll, voter=h, option_id=ids[(n + 1) % 3]
            )
        )
        actions.append(lambda h=holder: services.vote_retract(poll=poll, voter=h))
    outcomes = run_at_once(actions)
    assert set(outcomes) <= {"done", "AlreadyVoted", "InviteCodeUsed", "NotVoted"}
    assert_counters_equal_choices(poll)
    used = set(InviteCode.objects.filter(used=True).values_list("code", flat=True))
    with_ballot = {
        invite.code
        for invite in codes
        if Ballot.objects.filter(identity=services.code_identity(invite.code)).exists()
    }
    assert used == with_ballot  # a code is used exactly while its ballot exists


def test_a_burst_removal_racing_new_votes_keeps_the_counts_exact():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    ids = options(poll)
    stuffer = Voter(user=ANONYMOUS, address="192.0.2.66")
    for n in range(10):
        services.vote_cast(poll=poll, voter=stuffer, option_id=ids[n % 3])
    staff = staff_with("polls.delete_ballot")
    selected = list(Ballot.objects.filter(poll=poll)[:1])
    others = [Voter(user=ANONYMOUS, address=f"198.51.100.{n}") for n in range(1, 16)]
    actions = [
        lambda: services.ballots_remove_burst(
            ballots=selected, by=staff, window=timedelta(minutes=10)
        )
    ]
    actions += [
        (lambda v=v, n=n: services.vote_cast(poll=poll, voter=v, option_id=ids[n % 3]))
        for n, v in enumerate(others)
    ]
    actions += [
        (lambda n=n: services.vote_cast(poll=poll, voter=stuffer, option_id=ids[n % 3]))
        for n in range(5)
    ]
    assert set(run_at_once(actions)) == {"done"}
    assert_counters_equal_choices(poll)
    assert Ballot.objects.filter(address_hash=services.address_hash("198.51.100.1")).count() == 1


def test_one_challenge_solution_sent_20_times_at_once_casts_one_ballot(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 1
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    ids = options(poll)
    payload = solved()
    voter = Voter(user=ANONYMOUS, address="198.51.100.9")
    outcomes = run_at_once(
        [
            (
                lambda n=n: services.vote_cast(
                    poll=poll, voter=voter, option_id=ids[n % 3], challenge=payload
                )
            )
            for n in range(20)
        ]
    )
    assert outcomes.count("done") == 1
    assert set(outcomes) == {"done", "ChallengeFailed"}
    assert_counters_equal_choices(poll)
