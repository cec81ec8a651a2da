"""Ballots of several choices, changes and retractions at the same instant from many connections
(PostgreSQL, real threads): counters equal choices afterwards, and no deadlock."""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from django.db.models import Count

from polls import services
from polls.models import Ballot, Choice, Option, Poll

from .factories import PollFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LABELS = ["A", "B", "C", "D", "E", "F"]


def assert_counters_equal_choices(poll) -> None:
    poll.refresh_from_db()
    chosen = dict(Choice.objects.filter(poll=poll).values_list("option").annotate(n=Count("id")))
    counters = dict(Option.objects.filter(poll=poll).values_list("pk", "votes"))
    assert counters == {pk: chosen.get(pk, 0) for pk in counters}
    assert poll.ballot_count == Ballot.objects.filter(poll=poll).count()
    sizes = Counter(Choice.objects.filter(poll=poll).values_list("ballot_id", flat=True))
    assert set(sizes.values()) <= set(range(poll.min_choices, poll.max_choices + 1))


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


def test_ballots_of_several_changes_and_retractions_at_once_leave_exact_counts():
    poll = PollFactory(labels=LABELS, min_choices=1, max_choices=4, allow_vote_change=True)
    option_ids = list(poll.options.values_list("pk", flat=True))
    chooser = random.Random(13)  # noqa: S311 (test data)

    def ballot():
        # Any order: the service locks the options by id whatever order they come in.
        return chooser.sample(option_ids, chooser.randint(1, 4))

    settled = UserFactory.create_batch(20)  # voted before; half change, half retract
    for voter in settled:
        services.vote_cast(poll=poll, voter=voter, option_ids=ballot())
    newcomers = UserFactory.create_batch(30)

    def cast(voter, chosen):
        return lambda: services.vote_cast(poll=poll, voter=voter, option_ids=chosen)

    def change(voter, chosen):
        return lambda: services.vote_change(poll=poll, voter=voter, option_ids=chosen)

    def retract(voter):
        return lambda: services.vote_retract(poll=poll, voter=voter)

    actions = [cast(voter, ballot()) for voter in newcomers]
    actions += [change(voter, ballot()) for voter in settled[:10]]
    actions += [retract(voter) for voter in settled[10:]]
    # Some of the newcomers also change their vote at once: before their ballot exists
    # (refused) or after (done).
    actions += [change(voter, ballot()) for voter in newcomers[:8]]
    chooser.shuffle(actions)

    outcomes = Counter(run_at_once(actions))

    assert set(outcomes) <= {"done", "NotVoted"}, outcomes
    assert outcomes["done"] >= 30 + 10 + 10
    assert_counters_equal_choices(poll)
    assert poll.ballot_count == 30 + 10
    assert not Ballot.objects.filter(voter__in=settled[10:]).exists()


def test_twenty_changes_of_one_ballot_at_once_leave_one_ballot_and_exact_counts():
    poll = PollFactory(labels=LABELS, min_choices=2, max_choices=3, allow_vote_change=True)
    option_ids = list(poll.options.values_list("pk", flat=True))
    voter, other = UserFactory(), UserFactory()
    services.vote_cast(poll=poll, voter=voter, option_ids=option_ids[:2])
    services.vote_cast(poll=poll, voter=other, option_ids=option_ids[1:4])
    wanted = [
        [option_ids[n % 6], option_ids[(n + 1) % 6], option_ids[(n + 3) % 6]][: 2 + n % 2]
        for n in range(20)
    ]

    outcomes = run_at_once(
        [
            (lambda chosen=chosen: services.vote_change(poll=poll, voter=voter, option_ids=chosen))
            for chosen in wanted
        ]
    )

    assert outcomes == ["done"] * 20
    assert Ballot.objects.filter(poll=poll, voter=voter).count() == 1
    held = sorted(Choice.objects.filter(ballot__voter=voter).values_list("option_id", flat=True))
    assert held in [sorted(chosen) for chosen in wanted]
    assert_counters_equal_choices(poll)
    assert poll.ballot_count == 2
    assert poll.revision == 2 + 20


def test_one_voters_changes_retractions_and_votes_at_once_leave_at_most_one_ballot():
    poll = PollFactory(labels=LABELS, min_choices=1, max_choices=6, allow_vote_change=True)
    option_ids = list(poll.options.values_list("pk", flat=True))
    voter = UserFactory()
    services.vote_cast(poll=poll, voter=voter, option_ids=option_ids[:3])
    actions = []
    for n in range(24):
        chosen = option_ids[n % 6 :] or option_ids
        if n % 3 == 0:
            actions.append(lambda: services.vote_retract(poll=poll, voter=voter))
        elif n % 3 == 1:
            actions.append(
                lambda c=chosen: services.vote_change(poll=poll, voter=voter, option_ids=c)
            )
        else:
            actions.append(
                lambda c=chosen: services.vote_cast(poll=poll, voter=voter, option_ids=c)
            )

    outcomes = Counter(run_at_once(actions))

    assert set(outcomes) <= {"done", "NotVoted", "AlreadyVoted"}, outcomes
    assert Ballot.objects.filter(poll=poll, voter=voter).count() <= 1
    assert_counters_equal_choices(poll)


def test_an_admin_removal_racing_a_change_of_the_same_ballot_leaves_exact_counts():
    poll = PollFactory(labels=LABELS, min_choices=1, max_choices=3, allow_vote_change=True)
    option_ids = list(poll.options.values_list("pk", flat=True))
    voters = UserFactory.create_batch(10)
    for voter in voters:
        services.vote_cast(poll=poll, voter=voter, option_ids=option_ids[:2])
    ballots = {ballot.voter_id: ballot for ballot in Ballot.objects.filter(poll=poll)}
    actions = []
    for voter in voters:
        actions.append(lambda b=ballots[voter.pk]: services.ballot_remove(ballot=b))
        actions.append(
            lambda v=voter: services.vote_change(poll=poll, voter=v, option_ids=option_ids[3:])
        )

    outcomes = Counter(run_at_once(actions))

    assert set(outcomes) <= {"done", "NotVoted"}, outcomes
    assert not Ballot.objects.filter(poll=poll).exists()
    assert_counters_equal_choices(poll)
    assert set(Option.objects.filter(poll=poll).values_list("votes", flat=True)) == {0}


def test_a_ballot_waiting_on_an_edit_of_the_limits_is_judged_by_the_edited_row():
    """The edit holds the poll's row and lowers max_choices; the vote counts its choices, then
    waits for that row. When the edit commits, the vote re-reads the row and is refused."""
    poll = PollFactory(labels=LABELS, min_choices=1, max_choices=3)
    option_ids = list(poll.options.values_list("pk", flat=True))
    voter = UserFactory()
    editing, vote_sent = threading.Event(), threading.Event()

    def edit():
        try:
            with transaction.atomic():
                Poll.objects.select_for_update().get(pk=poll.pk)
                Poll.objects.filter(pk=poll.pk).update(max_choices=1)
                editing.set()
                vote_sent.wait(timeout=30)
                time.sleep(0.5)  # the vote is now waiting for the poll's row
        finally:
            connections.close_all()

    def vote():
        editing.wait(timeout=30)
        vote_sent.set()
        try:
            services.vote_cast(poll=poll, voter=voter, option_ids=option_ids[:2])
            return "accepted"
        except services.VoteRefused as refusal:
            return type(refusal).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        edited, voted = pool.submit(edit), pool.submit(vote)
        edited.result()
        assert voted.result() == "TooManyChoices"

    assert not Ballot.objects.exists()
    assert_counters_equal_choices(poll)
