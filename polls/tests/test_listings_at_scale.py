"""The listings cost the same however many polls there are: the same queries with 3 polls and
with 30, and on PostgreSQL, plans that read an index rather than every poll. Some polls are
unlisted, which the public lists leave out without reading more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import Poll

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("polls:index")
API_LIST = "/api/polls/"
# session, user, the page of open polls, the user's ballots in them (whether a count is theirs
# to see), the recently closed ones
HOME_QUERIES = 5
# session, user, the throttle count (read, then an upsert in the database cache), the count
# (one row of PollCounter), the page of polls, their options, the caller's ballots
API_QUERIES = 8


def grow_to(total: int, voter) -> None:
    """`total` polls, a third of them closed and a quarter unlisted, each with the voter's
    ballot."""
    for number in range(Poll.objects.count(), total):
        poll = PollFactory(unlisted=number % 4 == 1)
        services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
        if number % 3 == 0:
            services.poll_close(poll=poll)


@pytest.mark.parametrize(("url", "expected"), [(HOME, HOME_QUERIES), (API_LIST, API_QUERIES)])
def test_home_and_api_list_make_the_same_queries_with_3_and_30_polls(
    client, user, database_cache, url, expected
):
    client.force_login(user)
    made = []
    for total in (3, 30):
        grow_to(total, user)
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        made.append(len(queries))

    assert made == [expected, expected]


def test_api_list_of_the_callers_own_polls_makes_the_same_queries_with_3_and_30_polls(
    client, user, database_cache
):
    """author= naming the caller lists their unlisted polls too; its count reads the rows."""
    client.force_login(user)
    made = []
    for total in (3, 30):
        for number in range(Poll.objects.count(), total):
            PollFactory(author=user, unlisted=number % 2 == 0)
        url = f"{API_LIST}?author={user.username.upper()}"
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.json()["count"] == total
        made.append(len(queries))

    assert made == [API_QUERIES, API_QUERIES]


def listing_sql(client, url: str) -> str:
    """The SQL of the request's query that reads a page of polls."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return next(
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT "polls_poll"."id"') and "LIMIT" in query["sql"]
    )


@pytest.fixture
def thousands_of_polls(db):
    """3,000 polls, a fifth of them closed and a tenth unlisted, and fresh planner
    statistics."""
    author, now = UserFactory(), timezone.now()
    Poll.objects.bulk_create(
        Poll(
            title=f"Question {number}?",
            author=author,
            created_at=now - timezone.timedelta(minutes=number + 10),
            closes_at=now + timezone.timedelta(days=1),
            closed_at=now - timezone.timedelta(minutes=1) if number % 5 == 0 else None,
            unlisted=number % 10 == 3,
        )
        for number in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE polls_poll")


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "index"),
    [
        (HOME, "poll_unclosed_created_idx"),
        (f"{HOME}?q=question", "poll_unclosed_created_idx"),
        (API_LIST, "poll_created_idx"),
        (f"{API_LIST}?status=open", "poll_unclosed_created_idx"),
        (f"{API_LIST}?ordering=-total_votes", "poll_public_ballot_count_idx"),
        (f"{API_LIST}?ordering=closes_at", "poll_closes_idx"),
    ],
)
def test_listing_reads_its_index_not_every_poll(client, thousands_of_polls, url, index):
    plan = plan_of(listing_sql(client, url))

    assert index in plan
    assert "Seq Scan on polls_poll" not in plan


@pytest.mark.postgres
def test_api_last_page_reads_its_index_from_the_other_end(client, thousands_of_polls):
    sql = listing_sql(client, f"{API_LIST}?page=last")
    plan = plan_of(sql)

    assert "OFFSET" not in sql
    assert "poll_created_idx" in plan
    assert "Seq Scan on polls_poll" not in plan


def sql_reading(client, url: str, table: str) -> str:
    """The SQL of the request's query that reads `table` (its first)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return next(query["sql"] for query in queries if f'"{table}"' in query["sql"])


@pytest.mark.postgres
def test_label_suggestions_leave_unlisted_polls_out_through_their_small_index(
    client, thousands_of_polls
):
    """An anti-join with the unlisted polls (their partial index), not a read of every poll."""
    PollFactory(labels=["Question mark", "Other"])
    sql = sql_reading(client, "/api/options/?search=que", "polls_option")
    plan = plan_of(sql)

    assert "poll_unlisted_idx" in plan
    assert "Seq Scan on polls_poll" not in plan
