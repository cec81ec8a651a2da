"""Unlisted polls in the API: out of the public list (its results, `count`, `page=last`, every
filter), in the caller's own list (`author=` naming the caller), readable by their id."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls import services
from polls.models import Poll
from polls.tests.factories import PollFactory, UserFactory

LIST = "/api/polls/"


def ids(client, **params) -> list[str]:
    body = client.get(LIST, params).json()
    return [poll["id"] for poll in body["results"]]


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def polls(user):
    """The user's listed and unlisted polls, open and closed, and someone else's."""
    made = {
        "mine": PollFactory(author=user),
        "mine unlisted": PollFactory(author=user, unlisted=True),
        "mine closed unlisted": PollFactory(author=user, unlisted=True),
        "theirs": PollFactory(),
        "theirs unlisted": PollFactory(unlisted=True),
    }
    services.poll_close(poll=made["mine closed unlisted"])
    return {name: poll.public_id for name, poll in made.items()}


def test_the_list_leaves_unlisted_polls_out_of_its_results_and_count(api, polls):
    body = api.get(LIST).json()

    assert body["count"] == 2
    assert {poll["id"] for poll in body["results"]} == {polls["mine"], polls["theirs"]}


def test_every_filter_and_order_leaves_unlisted_polls_out(authed, polls):
    listed = {polls["mine"], polls["theirs"]}
    for params in (
        {"status": "open"},
        {"status": "closed"},
        {"search": "question"},
        {"ordering": "-total_votes"},
        {"ordering": "closes_at"},
        {"page": "last"},
    ):
        assert set(ids(authed, **params)) <= listed, params
    assert ids(authed, status="closed") == []


def test_another_users_list_shows_only_their_listed_polls(api, user, polls):
    stranger = client_of(UserFactory())

    for client in (api, stranger):
        body = client.get(LIST, {"author": user.username}).json()
        assert [poll["id"] for poll in body["results"]] == [polls["mine"]]
        assert body["count"] == 1


def test_the_callers_own_list_holds_their_unlisted_polls(authed, user, polls):
    for spelling in (user.username, user.username.upper()):
        body = authed.get(LIST, {"author": spelling}).json()
        assert body["count"] == 3
        assert {poll["id"] for poll in body["results"]} == {
            polls["mine"],
            polls["mine unlisted"],
            polls["mine closed unlisted"],
        }

    open_only = authed.get(LIST, {"author": user.username, "status": "open"}).json()
    assert {poll["id"] for poll in open_only["results"]} == {polls["mine"], polls["mine unlisted"]}
    assert open_only["count"] == 2


def test_an_unlisted_poll_is_read_by_its_id(api, polls):
    response = api.get(f"{LIST}{polls['theirs unlisted']}/")

    assert response.status_code == 200
    assert response.json()["id"] == polls["theirs unlisted"]


@pytest.mark.django_db
def test_count_and_the_last_page_count_listed_polls_only(api):
    author = UserFactory()
    listed = [PollFactory(author=author) for _ in range(5)]
    for _ in range(4):
        PollFactory(author=author, unlisted=True)
    for number, poll in enumerate(listed):
        Poll.objects.filter(pk=poll.pk).update(
            created_at=timezone.now() - timedelta(minutes=number)
        )

    body = api.get(LIST, {"page_size": 2}).json()
    last = api.get(LIST, {"page_size": 2, "page": "last"}).json()

    assert body["count"] == last["count"] == 5
    assert [poll["id"] for poll in last["results"]] == [listed[4].public_id]
    assert api.get(LIST, {"page_size": 2, "page": 4}).status_code == 404


@pytest.mark.django_db
def test_a_poll_unlisted_later_leaves_the_list_and_its_count(api):
    poll = PollFactory()
    PollFactory()
    assert api.get(LIST).json()["count"] == 2

    Poll.objects.filter(pk=poll.pk).update(unlisted=True)

    body = api.get(LIST).json()
    assert body["count"] == 1
    assert poll.public_id not in [result["id"] for result in body["results"]]
