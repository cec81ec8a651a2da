"""Voting without an account at the same instant from many connections (PostgreSQL, real
threads): the database keeps one ballot per browser and per invite code, an open poll takes
every ballot, and a burst removal racing new votes leaves the counters exact."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from polls import services
from polls.models import Ballot, InviteCode, VoterMode
from polls.services.voters import Voter

from .factories import PollFactory, staff_with
from .tallies import assert_counters_equal_choices

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ANONYMOUS = AnonymousUser()
AT_ONCE = 20


@pytest.fixture(autouse=True)
def _challenge_off(settings):
    # Settings are the process's: the threads below see this too.
    settings.VOTR_CHALLENGE_DIFFICULTY = 0


def run_at_once(actions) -> list[str]:
    """Run each callable in its own thread and connection, all released at one instant; each
    outcome is "done" or the name of the refusal it raised (anything else fails the test)."""
    start = threading.Barrier(len(actions))

    def run(act):
        try:
            start.wait(timeout=60)
            act()
            return "done"
        except services.VoteRefused as refusal:
            return type(refusal).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def options_of(poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


def test_one_browser_voting_twenty_times_at_once_casts_one_ballot():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    options = options_of(poll)
    voter = Voter(user=ANONYMOUS, browser="z" * 22, address="198.51.100.7")

    def vote(number):
        return lambda: services.vote_cast(
            poll=poll, voter=voter, option_id=options[number % len(options)]
        )

    outcomes = run_at_once([vote(number) for number in range(AT_ONCE)])

    assert outcomes.count("done") == 1
    assert outcomes.count("AlreadyVoted") == AT_ONCE - 1
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert_counters_equal_choices(poll)


def test_one_invite_code_used_twenty_times_at_once_casts_one_ballot():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    options = options_of(poll)
    (invite,) = services.invite_codes_create(poll=poll, by=poll.author, count=1)
    voter = Voter(user=ANONYMOUS, code=invite.code)

    def vote(number):
        return lambda: services.vote_cast(
            poll=poll, voter=voter, option_id=options[number % len(options)]
        )

    outcomes = run_at_once([vote(number) for number in range(AT_ONCE)])

    assert outcomes.count("done") == 1
    assert set(outcomes) - {"done"} <= {"AlreadyVoted", "InviteCodeUsed"}
    assert Ballot.objects.filter(poll=poll).count() == 1
    invite.refresh_from_db()
    assert invite.used
    assert_counters_equal_choices(poll)


def test_changes_and_retractions_of_one_codes_ballot_at_once_stay_exact():
    poll = PollFactory(voter_mode=VoterMode.CODE, allow_vote_change=True)
    options = options_of(poll)
    invites = services.invite_codes_create(poll=poll, by=poll.author, count=4)
    voters = [Voter(user=ANONYMOUS, code=invite.code) for invite in invites]
    for voter in voters:
        services.vote_cast(poll=poll, voter=voter, option_id=options[0])

    def change(voter, number):
        return lambda: services.vote_change(
            poll=poll, voter=voter, option_id=options[number % len(options)]
        )

    def retract(voter):
        return lambda: services.vote_retract(poll=poll, voter=voter)

    def cast_again(voter):
        return lambda: services.vote_cast(poll=poll, voter=voter, option_id=options[2])

    actions = []
    for voter in voters:
        actions += [change(voter, number) for number in range(3)]
        actions += [retract(voter), cast_again(voter)]
    outcomes = run_at_once(actions)

    assert set(outcomes) <= {"done", "NotVoted", "AlreadyVoted", "InviteCodeUsed"}
    assert_counters_equal_choices(poll)
    # A code is used exactly when it holds a ballot.
    ballots = Ballot.objects.filter(poll=poll).count()
    assert InviteCode.objects.filter(poll=poll, used=True).count() == ballots
    for voter in voters:
        held = Ballot.objects.filter(
            poll=poll, identity=services.code_identity(voter.code)
        ).exists()
        assert InviteCode.objects.get(code=voter.code).used == held


def test_twenty_open_votes_at_once_are_twenty_ballots():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    options = options_of(poll)
    voter = Voter(user=ANONYMOUS, address="198.51.100.7")

    def vote(number):
        return lambda: services.vote_cast(
            poll=poll, voter=voter, option_id=options[number % len(options)]
        )

    outcomes = run_at_once([vote(number) for number in range(AT_ONCE)])

    assert outcomes == ["done"] * AT_ONCE
    assert Ballot.objects.filter(poll=poll).count() == AT_ONCE
    assert_counters_equal_choices(poll)


def test_a_burst_removal_racing_new_votes_keeps_the_counters_exact():
    poll = PollFactory(voter_mode=VoterMode.OPEN, labels=["A", "B", "C"], max_choices=2)
    options = options_of(poll)
    stuffer = Voter(user=ANONYMOUS, address="198.51.100.7")
    for number in range(10):
        services.vote_cast(
            poll=poll, voter=stuffer, option_ids=[options[number % 3], options[(number + 1) % 3]]
        )
    seed = Ballot.objects.filter(poll=poll).order_by("id").first()
    moderator = staff_with("polls.delete_ballot")
    removed = []

    def remove():
        removed.append(services.ballots_remove_burst(ballots=[seed], by=moderator))

    def vote(address, number):
        return lambda: services.vote_cast(
            poll=poll,
            voter=Voter(user=ANONYMOUS, address=address),
            option_ids=[options[number % 3], options[(number + 2) % 3]],
        )

    actions = [remove, remove]
    actions += [vote("198.51.100.7", number) for number in range(8)]  # the burst goes on
    actions += [vote("198.51.100.8", number) for number in range(8)]  # someone else
    outcomes = run_at_once(actions)

    assert outcomes == ["done"] * len(actions)
    assert_counters_equal_choices(poll)
    others = Ballot.objects.filter(poll=poll, address_hash=services.address_hash("198.51.100.8"))
    assert others.count() == 8
    # Every ballot of the burst is gone once, whichever removal took it; later ones stay.
    same = Ballot.objects.filter(poll=poll, address_hash=services.address_hash("198.51.100.7"))
    assert sum(removed) + same.count() == 18
    assert sum(removed) >= 10
