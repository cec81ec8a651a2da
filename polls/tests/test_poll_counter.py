"""PollCounter: the count of every poll, kept by the database's triggers (migration 0009) and
read by Poll.objects.count() when nothing filters the polls."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls import services
from polls.models import Poll, PollCounter

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def counted() -> int | None:
    row = PollCounter.objects.filter(pk=PollCounter.ONLY_ROW)
    return row.values_list("polls", flat=True).first()


def in_table() -> int:
    """The polls, counted row by row (a filter that is always true skips the counter)."""
    return Poll.objects.filter(pk__gt=0).count()


def test_counter_follows_creates_and_deletes():
    polls = [PollFactory() for _ in range(3)]
    assert counted() == in_table() == 3

    polls[0].delete()
    Poll.objects.filter(pk=polls[1].pk).delete()

    assert counted() == in_table() == 1


def test_counter_follows_bulk_inserts_raw_sql_and_cascades():
    author = UserFactory()
    later = timezone.now() + timedelta(days=1)
    Poll.objects.bulk_create(
        [Poll(title=f"Bulk {n}?", author=author, closes_at=later) for n in range(5)]
    )
    PollFactory()
    assert counted() == 6

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM polls_poll WHERE title = %s", ["Bulk 0?"])
    assert counted() == 5

    author.delete()  # cascades to the author's four remaining polls

    assert counted() == in_table() == 1


def test_count_of_every_poll_reads_the_counter_and_filtered_counts_the_table():
    PollFactory()
    PollFactory(title="Lunch?")

    with CaptureQueriesContext(connection) as every:
        assert Poll.objects.select_related("author").order_by("-id").count() == 2
    with CaptureQueriesContext(connection) as filtered:
        assert Poll.objects.filter(title="Lunch?").count() == 1

    assert "polls_pollcounter" in every[0]["sql"]
    assert "polls_pollcounter" not in filtered[0]["sql"]


def test_a_missing_counter_row_counts_the_table_and_the_next_insert_remakes_it():
    """As after a flush that emptied the counter's table but not the polls'."""
    PollFactory()
    PollFactory()
    PollCounter.objects.all().delete()

    assert Poll.objects.count() == 2
    Poll.objects.first().delete()
    assert counted() is None
    assert Poll.objects.count() == 1

    PollFactory()

    assert counted() == Poll.objects.count() == 2


@pytest.mark.postgres
def test_truncate_sets_the_counter_to_zero():
    PollFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check left pending
        cursor.execute("TRUNCATE polls_poll CASCADE")
    assert counted() == 0
    PollFactory()
    assert counted() == 1


def unclosed() -> int:
    return PollCounter.objects.values_list("unclosed", flat=True).get()


def test_unclosed_count_follows_closes_reopenings_and_deletes():
    polls = [PollFactory() for _ in range(3)]
    services.poll_close(poll=polls[0])
    services.poll_close(poll=polls[1])
    assert unclosed() == 1

    services.poll_reschedule(poll=polls[0], closes_at=timezone.now() + timedelta(days=2))
    polls[1].delete()
    now = timezone.now()
    old = Poll(title="Old?", author=polls[2].author, created_at=now - timedelta(days=2))
    old.closes_at = old.closed_at = now - timedelta(days=1)
    Poll.objects.bulk_create([old])

    assert unclosed() == Poll.objects.filter(closed_at__isnull=True).count() == 2


def test_open_and_closed_counts_read_the_counter_and_count_polls_due_for_closing_as_closed():
    PollFactory()
    PollFactory()
    services.poll_close(poll=PollFactory())
    due = PollFactory()
    now = timezone.now()
    Poll.objects.filter(pk=due.pk).update(created_at=now - timedelta(hours=1), closes_at=now)

    with CaptureQueriesContext(connection) as queries:
        counts = Poll.objects.open().count(), Poll.objects.closed().order_by("id").count()

    assert counts == (2, 2)
    assert all("polls_pollcounter" in query["sql"] for query in queries)
    assert len(queries) == 2


def test_open_count_narrowed_further_counts_the_table():
    mine = PollFactory(title="Lunch?")
    PollFactory()

    with CaptureQueriesContext(connection) as queries:
        assert Poll.objects.open().filter(title="Lunch?").count() == 1
        assert Poll.objects.filter(author=mine.author).open().count() == 1
        assert Poll.objects.open().exclude(pk=mine.pk).count() == 1

    assert not any("polls_pollcounter" in query["sql"] for query in queries)


# --- Listed polls (migration 0011): what the public lists count ------------------------------


def counters() -> dict | None:
    return (
        PollCounter.objects.filter(pk=PollCounter.ONLY_ROW)
        .values("polls", "unclosed", "listed", "listed_unclosed")
        .first()
    )


def counted_in_table() -> dict:
    """The same four counts, row by row."""
    polls = Poll.objects.filter(pk__gt=0)
    listed = polls.filter(unlisted=False)
    return {
        "polls": polls.count(),
        "unclosed": polls.filter(closed_at__isnull=True).count(),
        "listed": listed.count(),
        "listed_unclosed": listed.filter(closed_at__isnull=True).count(),
    }


def counts(polls: int, unclosed: int, listed: int, listed_unclosed: int) -> dict:
    return {
        "polls": polls,
        "unclosed": unclosed,
        "listed": listed,
        "listed_unclosed": listed_unclosed,
    }


def test_listed_counts_follow_polls_unlisted_listed_again_closed_reopened_and_deleted():
    listed, unlisted, other = PollFactory(), PollFactory(unlisted=True), PollFactory()
    assert counters() == counted_in_table() == counts(3, 3, 2, 2)

    Poll.objects.filter(pk=listed.pk).update(unlisted=True)
    services.poll_close(poll=unlisted)
    assert counters() == counted_in_table() == counts(3, 2, 1, 1)

    unlisted.unlisted = False
    unlisted.save()  # every column written: only the changed ones count
    services.poll_reschedule(poll=unlisted, closes_at=timezone.now() + timedelta(days=2))
    other.delete()
    assert counters() == counted_in_table() == counts(2, 2, 1, 1)

    Poll.objects.update(unlisted=True)  # one statement, several rows
    assert counters() == counted_in_table()
    assert counters()["listed"] == 0


def test_listed_counts_follow_bulk_inserts_raw_sql_and_cascades():
    author = UserFactory()
    now = timezone.now()
    old = Poll(title="Old?", author=author, created_at=now - timedelta(days=2), unlisted=True)
    old.closes_at = old.closed_at = now - timedelta(days=1)
    Poll.objects.bulk_create(
        [old, *(Poll(title=f"Bulk {n}?", author=author, unlisted=n % 2 == 0) for n in range(4))]
    )
    PollFactory(unlisted=True)
    assert counters() == counted_in_table()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE polls_poll SET unlisted = NOT unlisted WHERE title LIKE 'Bulk%%'")
    assert counters() == counted_in_table()

    author.delete()
    assert counters() == counted_in_table() == counts(1, 1, 0, 0)


def test_a_vote_and_a_new_closing_time_leave_the_counter_alone(user):
    poll = PollFactory(unlisted=True)
    before = counters()
    with CaptureQueriesContext(connection) as queries:
        services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)
    services.poll_reschedule(poll=poll, closes_at=timezone.now() + timedelta(days=3))
    assert counters() == before
    assert not any("polls_pollcounter" in query["sql"] for query in queries)


def test_a_missing_row_is_remade_with_the_listed_counts():
    PollFactory(unlisted=True)
    services.poll_close(poll=PollFactory())
    PollCounter.objects.all().delete()

    assert Poll.objects.listed().count() == 1
    PollFactory()

    assert counters() == counted_in_table() == counts(3, 2, 2, 1)


@pytest.mark.postgres
def test_truncate_sets_the_listed_counts_to_zero_too():
    PollFactory()
    PollFactory(unlisted=True)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE polls_poll CASCADE")
    assert counters() == counts(0, 0, 0, 0)


def listed_polls() -> dict:
    """Every listed, listed open and listed closed count that Poll.objects.count() gives,
    with the SQL of each."""
    with CaptureQueriesContext(connection) as queries:
        counts = {
            "listed": Poll.objects.listed().count(),
            "open": Poll.objects.listed().open().count(),
            "open, listed": Poll.objects.open().listed().order_by("id").count(),
            "closed": Poll.objects.listed().closed().count(),
            "closed, listed": Poll.objects.closed().listed().count(),
        }
    return counts, [query["sql"] for query in queries]


def test_listed_open_and_closed_counts_read_the_counter_in_one_query_each():
    PollFactory()
    PollFactory(unlisted=True)
    services.poll_close(poll=PollFactory())
    services.poll_close(poll=PollFactory(unlisted=True))
    now = timezone.now()
    for unlisted in (False, True):
        due = PollFactory(unlisted=unlisted)
        Poll.objects.filter(pk=due.pk).update(created_at=now - timedelta(hours=1), closes_at=now)

    counts, sql = listed_polls()

    assert counts == {"listed": 3, "open": 1, "open, listed": 1, "closed": 2, "closed, listed": 2}
    assert len(sql) == 5
    assert all("polls_pollcounter" in statement for statement in sql)


def test_listed_counts_narrowed_further_count_the_table():
    mine = PollFactory(title="Lunch?")
    PollFactory(unlisted=True, title="Lunch?")

    with CaptureQueriesContext(connection) as queries:
        assert Poll.objects.listed().filter(title="Lunch?").count() == 1
        assert Poll.objects.filter(author=mine.author).listed().count() == 1
        assert Poll.objects.listed().listed().count() == 1
        assert Poll.objects.open().closed().listed().count() == 0

    assert not any("polls_pollcounter" in query["sql"] for query in queries)
