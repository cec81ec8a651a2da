"""Votes cast at the same instant from many connections: none lost, none counted twice."""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from polls import services
from polls.models import Ballot, Choice, Option, Poll, user_identity

from .factories import PollFactory, UserFactory

VOTERS = 40
REPEAT_VOTERS = 20  # each of these also tries a second vote at the same instant


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_on_postgresql_are_all_counted_exactly_once():
    poll = PollFactory(labels=["Red", "Green", "Blue"])
    option_ids = list(poll.options.values_list("pk", flat=True))
    voters = UserFactory.create_batch(VOTERS)
    attempts = [(voter, option_ids[n % 3]) for n, voter in enumerate(voters)]
    attempts += [(voter, option_ids[(n + 1) % 3]) for n, voter in enumerate(voters[:REPEAT_VOTERS])]
    start = threading.Barrier(len(attempts))

    def vote(attempt):
        voter, option_id = attempt
        try:
            start.wait(timeout=60)
            services.vote_cast(poll=poll, voter=voter, option_id=option_id)
            return ("accepted", voter.pk, option_id)
        except services.VoteRefused as refusal:
            return (type(refusal).__name__, voter.pk, option_id)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        outcomes = list(pool.map(vote, attempts))

    kinds = Counter(kind for kind, _, _ in outcomes)
    assert kinds == {"accepted": VOTERS, "AlreadyVoted": REPEAT_VOTERS}, outcomes

    accepted = Counter(option_id for kind, _, option_id in outcomes if kind == "accepted")
    counters = dict(Option.objects.filter(poll=poll).values_list("pk", "votes"))
    chosen = dict(
        Choice.objects.values("option").annotate(n=Count("id")).values_list("option", "n")
    )
    assert (
        counters
        == {pk: accepted[pk] for pk in option_ids}
        == {pk: chosen.get(pk, 0) for pk in option_ids}
    )
    assert Ballot.objects.count() == VOTERS
    assert Option.objects.aggregate(total=Sum("votes"))["total"] == VOTERS
    poll.refresh_from_db()
    assert poll.ballot_count == VOTERS
    assert poll.revision == VOTERS
    assert set(Ballot.objects.values_list("identity", flat=True)) == {
        user_identity(voter.pk) for voter in voters
    }
    ballots_per_voter = Counter(Ballot.objects.values_list("voter_id", flat=True))
    assert set(ballots_per_voter) == {voter.pk for voter in voters}
    assert set(ballots_per_voter.values()) == {1}
    # Each repeat voter's ballot holds the option of whichever of their two requests won.
    for kind, voter_id, option_id in outcomes:
        if kind == "accepted":
            assert Choice.objects.get(ballot__voter_id=voter_id).option_id == option_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_keeps_one_ballot_per_identity_whatever_the_voter_column_says():
    """The identity key, not the voter, is what the database holds unique: 20 connections
    inserting ballots with one browser identity (no account: a browser ballot has none) leave
    exactly one."""
    poll = PollFactory()
    voters = [None] * 20
    start = threading.Barrier(len(voters))

    def insert(voter):
        try:
            start.wait(timeout=60)
            Ballot.objects.create(poll=poll, voter=voter, identity="browser:same")
            return "inserted"
        except IntegrityError:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(voters)) as pool:
        outcomes = Counter(pool.map(insert, voters))

    assert outcomes == {"inserted": 1, "refused": 19}
    assert Ballot.objects.filter(poll=poll).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_vote_waiting_on_a_close_that_commits_is_refused_and_leaves_nothing():
    """The close holds the poll's row; the vote counts its choice, then waits for that row.
    When the close commits, the vote re-reads the row, finds it closed, and rolls back."""
    poll = PollFactory()
    option_id = poll.options.first().pk
    voter = UserFactory()
    closing, vote_sent = threading.Event(), threading.Event()

    def close():
        try:
            with transaction.atomic():
                Poll.objects.select_for_update().get(pk=poll.pk)
                Poll.objects.filter(pk=poll.pk).update(closed_at=timezone.now())
                closing.set()
                vote_sent.wait(timeout=30)
                time.sleep(0.5)  # the vote is now waiting for the poll's row
        finally:
            connections.close_all()

    def vote():
        closing.wait(timeout=30)
        vote_sent.set()
        try:
            services.vote_cast(poll=poll, voter=voter, option_id=option_id)
            return "accepted"
        except services.VoteRefused as refusal:
            return type(refusal).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        closed, voted = pool.submit(close), pool.submit(vote)
        closed.result()
        assert voted.result() == "PollClosed"

    poll.refresh_from_db()
    assert (poll.ballot_count, Ballot.objects.count(), Choice.objects.count()) == (0, 0, 0)
    assert list(Option.objects.filter(poll=poll).values_list("votes", flat=True)) == [0, 0, 0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_votes_racing_a_poll_deletion_are_refused_or_counted_never_deadlocked():
    """Votes, ballot removals and the deletion take their locks in one order (options, then
    the poll), so PostgreSQL never has to break a deadlock with an error."""
    poll = PollFactory()
    option_ids = list(poll.options.values_list("pk", flat=True))
    staff = UserFactory(is_superuser=True, is_staff=True)
    voters = UserFactory.create_batch(30)
    for voter in voters[:10]:
        services.vote_cast(poll=poll, voter=voter, option_id=option_ids[0])
    ballots = list(Ballot.objects.filter(poll=poll)[:5])
    start = threading.Barrier(26)

    def act(n):
        try:
            start.wait(timeout=60)
            if n == 0:
                services.poll_delete(poll=poll, by=staff)
            elif n <= 5:
                services.ballot_remove(ballot=ballots[n - 1])
            else:
                services.vote_cast(poll=poll, voter=voters[n + 4], option_id=option_ids[n % 3])
            return "done"
        except services.VoteRefused as refusal:
            return type(refusal).__name__
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=26) as pool:
        outcomes = Counter(pool.map(act, range(26)))

    assert set(outcomes) <= {"done", "PollNotFound", "PollClosed"}, outcomes
    assert not Poll.objects.filter(pk=poll.pk).exists()


SQLITE_WRITER = """
import sys, django
django.setup()
from polls import services
from polls.models import Poll, User
poll = Poll.objects.first()
option_ids = list(poll.options.values_list("pk", flat=True))
first, count = int(sys.argv[1]), int(sys.argv[2])
for n in range(first, first + count):
    voter = User.objects.create_user(username=f"writer{n}", email=f"w{n}@example.com")
    services.vote_cast(poll=poll, voter=voter, option_id=option_ids[n % len(option_ids)])
"""


def test_several_processes_write_to_the_default_sqlite_file_without_locking_errors(tmp_path):
    """Web and worker share the SQLite file: WAL and immediate transactions let them write at
    once instead of failing with "database is locked"."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "votr_project.settings",
    }

    def manage(*args, **variables):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env={**environment, **variables},
            check=True,
            capture_output=True,
            timeout=120,
        )

    manage("migrate", "--no-input")
    manage(
        "load_demo", "--username", "author", "--password", "irrelevant-password", DJANGO_DEBUG="1"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", SQLITE_WRITER, str(first), "25"],
            cwd=settings.BASE_DIR,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (0, 100, 200)
    ]
    errors = [writer.communicate(timeout=180)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], errors

    verify = (
        "import django; django.setup();"
        "from django.db.models import Sum; from polls.models import Ballot, Option;"
        "print(Ballot.objects.count(), Option.objects.aggregate(s=Sum('votes'))['s'])"
    )
    counted = subprocess.run(
        [sys.executable, "-c", verify],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert counted.stdout.split() == ["75", "75"]
