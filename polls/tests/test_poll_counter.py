"""PollCounter: the count of every poll, kept by the database's triggers (migration 0009) and
read by Poll.objects.count() when nothing filters the polls."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
    later = timezone.now() + timezone.timedelta(days=1)
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
