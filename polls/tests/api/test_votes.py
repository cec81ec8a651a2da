from datetime import timedelta

import pytest
from django.utils import timezone

from polls import services
from polls.models import Ballot, Option, Poll
from polls.tests.factories import PollFactory


def votes_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/votes/"


def test_vote_returns_201_with_the_poll_and_its_results(authed, poll):
    option = poll.options.first()

    response = authed.post(votes_url(poll), {"option": option.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == poll.public_id
    assert body["my_vote"] == option.pk
    assert body["total_votes"] == 1
    assert body["options"][0] == {
        "id": option.pk,
        "label": option.label,
        "votes": 1,
        "percent": 100.0,
    }
    option.refresh_from_db()
    assert option.votes == 1


def test_vote_query_count_is_fixed(authed, database_cache, django_assert_num_queries):
    """With the database cache: the token (from the database, as a hit in that cache would
    cost the query it saves), two throttle counts (two queries each), then the vote's four
    statements in their savepoint and the read of the options the answer shows."""
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])
    option_id = poll.options.last().pk

    with django_assert_num_queries(VOTE_QUERIES):
        response = authed.post(votes_url(poll), {"option": option_id}, format="json")

    assert response.status_code == 201


VOTE_QUERIES = 12


def test_vote_query_count_with_a_shared_cache(authed, shared_cache, django_assert_num_queries):
    """With Redis (as in production): the token and the throttle counts come from the cache, so
    the vote's own statements in their savepoint and the read of its options are all."""
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])
    option_id = poll.options.last().pk
    authed.get("/api/")  # an earlier request: the token is cached

    with django_assert_num_queries(VOTE_QUERIES_SHARED_CACHE):
        response = authed.post(votes_url(poll), {"option": option_id}, format="json")

    assert response.status_code == 201


VOTE_QUERIES_SHARED_CACHE = 7


def test_second_vote_is_409_and_not_counted(authed, user, poll):
    first, second = poll.options.all()[:2]
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    response = authed.post(votes_url(poll), {"option": second.pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You have already voted in this poll.",
        "code": "already_voted",
        "errors": {},
    }
    assert list(Option.objects.filter(poll=poll).values_list("votes", flat=True)) == [1, 0, 0]


def test_vote_on_a_closed_poll_is_409(authed, poll):
    services.poll_close(poll=poll)

    response = authed.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "poll_closed"
    assert not Ballot.objects.exists()


def test_vote_after_the_closing_time_is_409_before_the_close_is_recorded(authed, poll):
    Poll.objects.filter(pk=poll.pk).update(
        created_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() - timedelta(seconds=1),
    )

    response = authed.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "This poll is closed."


def test_vote_for_an_option_of_another_poll_is_400(authed, poll):
    elsewhere = PollFactory().options.first()

    response = authed.post(votes_url(poll), {"option": elsewhere.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "option: That option is not part of this poll.",
        "code": "option_not_in_poll",
        "errors": {"option": ["That option is not part of this poll."]},
    }
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"option": None},
        {"option": "1"},
        {"option": True},
        {"option": 1.5},
        {"option": [1]},
        {"option": {"id": 1}},
        {"option": -1},
        {"option": 0},
        {"option": 2**64},
        {"option": "1 OR 1=1"},
        {"option": "<script>alert(1)</script>"},
        [1],
        "1",
    ],
)
def test_malformed_vote_is_400_and_not_counted(authed, poll, body):
    response = authed.post(votes_url(poll), body, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert set(payload["errors"]) <= {"option", "non_field_errors"}
    assert payload["errors"]
    assert not Ballot.objects.exists()


def test_anonymous_vote_is_401(api, poll):
    response = api.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Ballot.objects.exists()


def test_vote_on_an_unknown_poll_is_404(authed, poll):
    response = authed.post("/api/polls/AAAAAAAAAAA/votes/", {"option": 1}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no poll with that id."


def test_vote_with_get_is_405(authed, poll):
    assert authed.get(votes_url(poll)).status_code == 405
