"""An edit of a poll's options racing votes on PostgreSQL, with real threads: the edit takes
the options' row locks first, then the poll's, as a vote does, so either a vote commits first
and the edit is refused, or the edit commits first and the votes for its removed options find
nothing. Never both."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Sum

from polls import services
from polls.models import Ballot, Choice, Option, Poll

from .factories import PollFactory, UserFactory

VOTERS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("edit_after_votes", [0, 3, 6, 12])
def test_an_edit_of_the_options_and_votes_racing_it_never_both_commit(edit_after_votes):
    """`edit_after_votes`: how many votes start before the edit does, so that both orders
    (the edit first, a vote first) and the threads in between are tried."""
    author = UserFactory()
    poll = PollFactory(author=author, labels=["Red", "Green", "Blue"])
    option_ids = list(poll.options.values_list("pk", flat=True))
    voters = UserFactory.create_batch(VOTERS)
    start = threading.Barrier(VOTERS + 1)
    started = threading.Semaphore(0)

    def vote(voter_number):
        try:
            start.wait(timeout=60)
            if voter_number < edit_after_votes:
                started.release()
            services.vote_cast(
                poll=poll, voter=voters[voter_number], option_id=option_ids[voter_number % 3]
            )
            return "vote counted"
        except services.VoteRefused as refusal:
            return f"vote refused: {type(refusal).__name__}"
        finally:
            connections.close_all()

    def edit():
        try:
            start.wait(timeout=60)
            for _ in range(edit_after_votes):
                started.acquire(timeout=30)
            services.poll_edit(poll=poll, by=author, option_labels=["Cyan", "Magenta"])
            return "edit made"
        except ValidationError as refusal:
            return (
                "edit refused"
                if refusal.message_dict == {"options": [services.WORDING_FIXED]}
                else str(refusal)
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=VOTERS + 1) as pool:
        edited = pool.submit(edit)
        votes = Counter(pool.map(vote, range(VOTERS)))
        edit_outcome = edited.result()

    ballots = Ballot.objects.filter(poll=poll).count()
    labels = list(Option.objects.filter(poll=poll).values_list("label", flat=True))
    assert edit_outcome in {"edit made", "edit refused"}, edit_outcome
    if edit_outcome == "edit made":
        assert votes == {"vote refused: OptionNotInPoll": VOTERS}, votes
        assert ballots == 0
        assert labels == ["Cyan", "Magenta"]
    else:
        assert votes["vote counted"] >= 1, votes
        assert set(votes) <= {"vote counted"}, votes
        assert ballots == votes["vote counted"]
        assert labels == ["Red", "Green", "Blue"]
    stored = Poll.objects.get(pk=poll.pk)
    assert stored.ballot_count == ballots == Choice.objects.filter(poll=poll).count()
    assert (Option.objects.filter(poll=poll).aggregate(n=Sum("votes"))["n"] or 0) == ballots


def _hold_then_commit(work, holding: threading.Event):
    """Run `work` in a transaction that stays open half a second after it, holding its locks."""
    try:
        with transaction.atomic():
            outcome = work()
            holding.set()
            time.sleep(0.5)
        return outcome
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_waits_for_a_vote_in_flight_then_is_refused():
    author = UserFactory()
    poll = PollFactory(author=author, labels=["Red", "Green", "Blue"])
    red = poll.options.get(label="Red").pk
    holding = threading.Event()

    def edit():
        holding.wait(timeout=30)
        began = time.monotonic()
        try:
            services.poll_edit(poll=poll, by=author, option_labels=["Cyan", "Magenta"])
            return "edit made", time.monotonic() - began
        except ValidationError as refusal:
            return refusal.message_dict, time.monotonic() - began
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        voted = pool.submit(
            _hold_then_commit,
            lambda: services.vote_cast(poll=poll, voter=UserFactory(), option_id=red),
            holding,
        )
        outcome, waited = pool.submit(edit).result()
        voted.result()

    assert outcome == {"options": [services.WORDING_FIXED]}
    assert waited > 0.3  # it waited for the vote's lock on Red
    assert list(Option.objects.filter(poll=poll).values_list("label", "votes")) == [
        ("Red", 1),
        ("Green", 0),
        ("Blue", 0),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_vote_waits_for_an_edit_in_flight_then_finds_its_option_gone():
    author = UserFactory()
    poll = PollFactory(author=author, labels=["Red", "Green", "Blue"])
    red = poll.options.get(label="Red").pk
    holding = threading.Event()

    def vote():
        holding.wait(timeout=30)
        began = time.monotonic()
        try:
            services.vote_cast(poll=poll, voter=UserFactory(), option_id=red)
            return "vote counted", time.monotonic() - began
        except services.VoteRefused as refusal:
            return type(refusal).__name__, time.monotonic() - began
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        edited = pool.submit(
            _hold_then_commit,
            lambda: services.poll_edit(poll=poll, by=author, option_labels=["Cyan", "Magenta"]),
            holding,
        )
        outcome, waited = pool.submit(vote).result()
        edited.result()

    assert outcome == "OptionNotInPoll"
    assert waited > 0.3  # it waited for the edit's lock on Red
    assert not Ballot.objects.exists()
    assert list(Option.objects.filter(poll=poll).values_list("label", flat=True)) == [
        "Cyan",
        "Magenta",
    ]
