"""Invite codes in the API (polls/api/views_invites.py): listed, generated and withdrawn by the
poll's author or a holder of polls.change_poll; used or unused, never when; errors as 4xx JSON."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls.models import InviteCode, VoterMode
from polls.services import invite_codes_create, vote_cast
from polls.services.voters import Voter
from polls.tests.factories import PollFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def invites_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/invites/"


@pytest.fixture
def code_poll():
    return PollFactory(voter_mode=VoterMode.CODE)


@pytest.fixture
def author(code_poll):
    return client_of(code_poll.author)


def test_the_author_generates_codes_numbered_with_their_links(author, code_poll):
    response = author.post(invites_url(code_poll), {"count": 3}, format="json")
    assert response.status_code == 201, response.json()
    made = response.json()
    assert [entry["number"] for entry in made] == [1, 2, 3]
    assert {entry["status"] for entry in made} == {"unused"}
    first = InviteCode.objects.get(poll=code_poll, number=1)
    assert made[0]["code"] == first.code
    assert made[0]["link"] == f"http://testserver/polls/{code_poll.public_id}/?code={first.code}"
    assert response["Cache-Control"] == "private, no-store"
    more = author.post(invites_url(code_poll), {"count": 2}, format="json").json()
    assert [entry["number"] for entry in more] == [4, 5]


def test_the_list_says_used_unused_or_revoked_and_never_when(author, code_poll):
    first, second, third = invite_codes_create(poll=code_poll, by=code_poll.author, count=3)
    option = code_poll.options.first()
    vote_cast(poll=code_poll, voter=Voter(code=first.code), option_id=option.pk)
    author.post(f"{invites_url(code_poll)}revoke/", {"numbers": [3]}, format="json")

    response = author.get(invites_url(code_poll))

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"unused": 1, "used": 1, "revoked": 1}
    assert [(entry["number"], entry["status"]) for entry in body["codes"]] == [
        (1, "used"),
        (2, "unused"),
        (3, "revoked"),
    ]
    assert set(body["codes"][0]) == {"number", "code", "link", "status"}
    assert response["Cache-Control"] == "private, no-store"


def test_revoking_withdraws_unused_codes_only(author, code_poll):
    first, second = invite_codes_create(poll=code_poll, by=code_poll.author, count=2)
    vote_cast(poll=code_poll, voter=Voter(code=first.code), option_id=code_poll.options.first().pk)

    response = author.post(
        f"{invites_url(code_poll)}revoke/", {"numbers": [1, 2, 99]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"revoked": 1}
    assert [(c.used, c.revoked) for c in InviteCode.objects.order_by("number")] == [
        (True, False),
        (False, True),
    ]


def test_a_holder_of_change_poll_manages_codes(staff_client, code_poll):
    staff = staff_client("polls.change_poll")
    assert staff.post(invites_url(code_poll), {"count": 1}, format="json").status_code == 201
    assert staff.get(invites_url(code_poll)).status_code == 200


def test_anyone_else_is_refused(code_poll):
    invite_codes_create(poll=code_poll, by=code_poll.author, count=1)
    stranger = client_of(UserFactory())
    for response in (
        stranger.get(invites_url(code_poll)),
        stranger.post(invites_url(code_poll), {"count": 1}, format="json"),
        stranger.post(f"{invites_url(code_poll)}revoke/", {"numbers": [1]}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "not_allowed"
    anonymous = APIClient().get(invites_url(code_poll))
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert InviteCode.objects.filter(revoked=True).count() == 0
    assert InviteCode.objects.count() == 1


def test_a_poll_without_invite_codes_is_a_404(user):
    poll = PollFactory(author=user, voter_mode=VoterMode.BROWSER)
    author = client_of(user)
    for response in (
        author.get(invites_url(poll)),
        author.post(invites_url(poll), {"count": 1}, format="json"),
        author.post(f"{invites_url(poll)}revoke/", {"numbers": [1]}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "This poll does not take votes by invite code."
    assert author.get("/api/polls/nosuchpoll/invites/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"count": 0},
        {"count": 501},
        {"count": "3"},
        {"count": True},
        {"count": 2.5},
        {"count": [1]},
        {"count": 10**100},
    ],
)
def test_a_count_outside_1_to_500_is_a_400_on_count(author, code_poll, body):
    response = author.post(invites_url(code_poll), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["count"]
    assert not InviteCode.objects.exists()


def test_more_than_5000_codes_in_a_poll_is_a_400_on_count(author, code_poll, monkeypatch):
    monkeypatch.setattr("polls.services.invites.MAX_CODES_PER_POLL", 4)
    invite_codes_create(poll=code_poll, by=code_poll.author, count=3)
    response = author.post(invites_url(code_poll), {"count": 2}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"count": ["A poll can have at most 5000 invite codes."]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"numbers": []},
        {"numbers": 1},
        {"numbers": ["1"]},
        {"numbers": [0]},
        {"numbers": [2**31]},
        {"numbers": [None]},
        {"numbers": list(range(1, 5002))},
    ],
)
def test_odd_numbers_to_revoke_are_a_400_on_numbers(author, code_poll, body):
    invite_codes_create(poll=code_poll, by=code_poll.author, count=1)
    response = author.post(f"{invites_url(code_poll)}revoke/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["numbers"]
    assert not InviteCode.objects.filter(revoked=True).exists()


INVITE_LIST_QUERIES = 3


@pytest.mark.parametrize("count", [1, 40])
def test_the_list_costs_the_same_queries_for_1_code_or_40(
    author, code_poll, count, shared_cache, django_assert_num_queries
):
    """With a shared cache the token (cached by a first request) and the throttles are free:
    the poll, its codes and their counts."""
    invite_codes_create(poll=code_poll, by=code_poll.author, count=count)
    author.get("/api/")

    with django_assert_num_queries(INVITE_LIST_QUERIES):
        response = author.get(invites_url(code_poll))

    assert len(response.json()["codes"]) == count
