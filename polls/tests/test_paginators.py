import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from polls.models import Poll
from polls.paginators import TwoEndedPaginator, UncountedPaginator

from .factories import PollFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def polls():
    for _ in range(23):
        PollFactory()
    return Poll.objects.order_by("-created_at", "-id")


@pytest.mark.parametrize("orphans", [0, 2])
def test_two_ended_pages_hold_what_django_pages_hold(polls, orphans):
    django = Paginator(polls, 5, orphans=orphans)
    two_ended = TwoEndedPaginator(polls, 5, orphans=orphans)

    assert two_ended.num_pages == django.num_pages
    for number in django.page_range:
        expected = [poll.pk for poll in django.page(number)]
        assert [poll.pk for poll in two_ended.page(number)] == expected


def test_last_page_is_read_from_the_end_without_skipping_rows(polls):
    paginator = TwoEndedPaginator(polls, 5)
    paginator.count  # noqa: B018 (counted before the page, as DRF does)

    with CaptureQueriesContext(connection) as queries:
        list(paginator.page("5"))

    assert len(queries) == 1
    assert "OFFSET" not in queries[0]["sql"]
    assert "LIMIT 3" in queries[0]["sql"]


def test_uncounted_pages_know_whether_an_older_page_follows(polls):
    paginator = UncountedPaginator(polls, 10)

    with CaptureQueriesContext(connection) as queries:
        first, third = paginator.page(1), paginator.page("3")

    assert (len(first), first.has_next(), first.has_previous()) == (10, True, False)
    assert (len(third), third.has_next(), third.has_previous()) == (3, False, True)
    assert len(queries) == 2
    assert not any("COUNT" in query["sql"] for query in queries)


@pytest.mark.parametrize(
    ("number", "error"), [("4", EmptyPage), ("0", EmptyPage), ("x", PageNotAnInteger)]
)
def test_uncounted_paginator_refuses_pages_that_are_not_there(polls, number, error):
    with pytest.raises(error):
        UncountedPaginator(polls, 10).page(number)


def test_uncounted_first_page_of_nothing_is_an_empty_page():
    page = UncountedPaginator(Poll.objects.order_by("-id"), 10).page(1)
    assert (list(page), page.has_next(), page.has_other_pages()) == ([], False, False)


def test_uncounted_paginator_has_no_count(polls):
    with pytest.raises(TypeError):
        UncountedPaginator(polls, 10).count  # noqa: B018


# Past a bigint OFFSET, and as long as a URL under the 2,048-character limit allows.
HUGE_PAGES = ["99999999999999999999", "9" * 1500]


@pytest.mark.parametrize("number", HUGE_PAGES, ids=["past-bigint", "longest"])
def test_a_page_number_no_list_reaches_is_past_the_end_everywhere(client, number):
    """Not an OFFSET the database cannot hold: a 404, before any query reads it."""
    PollFactory()
    assert client.get("/", {"page": number}).status_code == 404
    assert client.get("/api/polls/", {"page": number}).status_code == 404
    with pytest.raises(EmptyPage):
        TwoEndedPaginator(Poll.objects.order_by("id"), 10).page(number)
    with pytest.raises(EmptyPage):
        UncountedPaginator(Poll.objects.order_by("id"), 10).page(number)


def test_a_page_size_of_many_digits_is_a_400(client):
    response = client.get("/api/polls/", {"page_size": "9" * 1500})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]
