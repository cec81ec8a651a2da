"""What results visibility costs in queries: fixed for a list whatever the number of polls
(the viewer's ballots one query, their permissions read once a request and only when a count
is hidden from them), and the live answers' 304 one query for the anonymous, authors, voters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls import services
from polls.models import ResultsVisibility

from .factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def polls_of_every_mode(count: int, *, closed: bool = False) -> None:
    """`count` polls of each visibility setting, each with a vote."""
    for mode in ResultsVisibility.values:
        for _ in range(count):
            poll = PollFactory(results_visibility=mode)
            services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
            if closed:
                services.poll_close(poll=poll)


def queries_of(client, url: str, **params) -> int:
    client.get(url, params)  # warm the session, the content types
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


# --- Lists -------------------------------------------------------------------------------------


def test_home_costs_the_same_with_few_or_many_hidden_counts(client):
    """Session, user, the open polls, the user's ballots in them, the user's permissions and
    their groups' (some counts are hidden from them), the recently closed polls."""
    client.force_login(UserFactory())
    made = []
    for count in (1, 4):
        polls_of_every_mode(count)
        polls_of_every_mode(1, closed=True)
        made.append(queries_of(client, reverse("polls:index")))
    assert made == [7, 7]


def test_home_for_the_anonymous_reads_no_ballot_and_no_permission(client):
    polls_of_every_mode(2)
    polls_of_every_mode(1, closed=True)
    assert queries_of(client, reverse("polls:index")) == 2  # open polls, recently closed


def test_api_list_costs_the_same_with_few_or_many_hidden_counts(database_cache):
    """Token, throttle (read, upsert), the count, the polls, their options, the caller's
    ballots, the caller's permissions and their groups'."""
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    made = []
    for count in (1, 5):
        polls_of_every_mode(count)
        made.append(queries_of(client, "/api/polls/", page_size=100, ordering="-total_votes"))
    assert made == [9, 9]


def test_admin_poll_list_for_staff_without_the_permission_costs_the_same(client):
    """Staff whose counts are hidden: their permissions are read once (the admin does anyway)."""
    client.force_login(staff_with("polls.view_poll"))
    made = []
    for count in (1, 5):
        polls_of_every_mode(count)
        made.append(queries_of(client, reverse("admin:polls_poll_changelist")))
    assert made[0] == made[1]


# --- The live answers' 304 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "queries"),
    [
        ("anonymous", 1),  # the poll's version
        ("author", 3),  # session, user, version
        ("voter", 3),
        ("superuser", 3),  # holds every permission without a query
        ("not voted", 5),  # and the permissions (theirs, their groups'): hidden from them
    ],
)
def test_an_unchanged_poll_answers_304_for_one_query_beyond_the_session(
    client, django_assert_num_queries, viewer, queries
):
    poll = PollFactory(results_visibility=ResultsVisibility.AFTER_VOTE)
    voter = UserFactory()
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
    users = {
        "author": poll.author,
        "voter": voter,
        "superuser": UserFactory(is_superuser=True),
        "not voted": UserFactory(),
    }
    if viewer in users:
        client.force_login(users[viewer])
    url = reverse("polls:results", args=[poll.public_id])
    etag = client.get(url)["ETag"]

    with django_assert_num_queries(queries):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
