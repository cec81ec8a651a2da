"""The poll page and the API show a shuffled poll's ballot in each viewer's own order: the
signed-in user's, or the browser's (a small cookie, no session); results keep the author's."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls import services
from polls.models import Poll
from polls.services.ordering import ANONYMOUS_ORDER_KEY
from polls.views.ballot_order import BROWSER_COOKIE

from .factories import PollFactory

pytestmark = pytest.mark.django_db

LABELS = [f"Option {number}" for number in range(1, 21)]
BALLOT_OPTION = re.compile(r'<input type="radio" name="option" id="option-(\d+)"')
RESULT_OPTION = re.compile(r'data-option-id="(\d+)"')


def ballot_ids(response) -> list[int]:
    return [int(found) for found in BALLOT_OPTION.findall(response.content.decode())]


def expected_ids(poll: Poll, key: str) -> list[int]:
    poll = Poll.objects.with_results().get(pk=poll.pk)
    return [
        o.id for o in services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)
    ]


def authors_ids(poll: Poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("id", flat=True))


@pytest.fixture
def shuffled():
    return PollFactory(labels=LABELS, shuffle_options=True)


def test_a_signed_in_voter_sees_their_own_order_on_every_visit(client, user, shuffled):
    client.force_login(user)

    first = client.get(shuffled.get_absolute_url())
    second = client.get(shuffled.get_absolute_url())

    assert ballot_ids(first) == ballot_ids(second) == expected_ids(shuffled, f"user:{user.pk}")
    assert ballot_ids(first) != authors_ids(shuffled)
    assert BROWSER_COOKIE not in first.cookies
    assert "Cookie" in first["Vary"]


def test_a_visitor_gets_a_small_cookie_for_their_order_and_no_session(shuffled):
    browser = Client()

    first = browser.get(shuffled.get_absolute_url())

    cookie = first.cookies[BROWSER_COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cookie.value)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert ballot_ids(first) == expected_ids(shuffled, f"browser:{cookie.value}")
    assert "sessionid" not in first.cookies
    assert not Session.objects.exists()

    second = browser.get(shuffled.get_absolute_url())
    assert BROWSER_COOKIE not in second.cookies  # kept, not given again
    assert ballot_ids(second) == ballot_ids(first)


def test_two_visitors_see_different_orders(shuffled):
    orders = [ballot_ids(Client().get(shuffled.get_absolute_url())) for _ in range(2)]

    assert orders[0] != orders[1]
    assert sorted(orders[0]) == sorted(orders[1]) == authors_ids(shuffled)


@pytest.mark.parametrize(
    "value", ["", "short", "x" * 23, "<script>alert(1)</script>aaaa", "é" * 22]
)
def test_a_cookie_that_is_not_ours_is_replaced(client, shuffled, value):
    client.cookies[BROWSER_COOKIE] = value

    response = client.get(shuffled.get_absolute_url())

    new = response.cookies[BROWSER_COOKIE].value
    assert new != value
    assert ballot_ids(response) == expected_ids(shuffled, f"browser:{new}")


def test_a_poll_that_does_not_shuffle_gives_no_cookie_and_the_authors_order(client):
    poll = PollFactory(labels=LABELS)

    response = client.get(poll.get_absolute_url())

    assert BROWSER_COOKIE not in response.cookies
    assert ballot_ids(response) == authors_ids(poll)


def test_results_keep_the_authors_order(client, user, shuffled):
    services.vote_cast(poll=shuffled, voter=user, option_id=authors_ids(shuffled)[5])
    client.force_login(user)

    html = client.get(shuffled.get_absolute_url()).content.decode()

    assert [int(found) for found in RESULT_OPTION.findall(html)] == authors_ids(shuffled)


def test_a_shuffled_poll_page_makes_the_queries_of_any_poll(
    client, user, shuffled, django_assert_num_queries
):
    client.force_login(user)
    client.get(shuffled.get_absolute_url())
    # session, user, poll, its options, my choice; the user's and their groups' permissions
    # (results hidden until a vote: polls.view_results would show them), as on any such poll
    with django_assert_num_queries(7):
        assert client.get(shuffled.get_absolute_url()).status_code == 200


# --- API -------------------------------------------------------------------------------------


def test_the_api_gives_a_signed_in_callers_order_and_keeps_options_in_the_authors(
    client, user, shuffled
):
    client.force_login(user)
    page = ballot_ids(client.get(shuffled.get_absolute_url()))

    body = client.get(f"/api/polls/{shuffled.public_id}/").json()

    assert [option["id"] for option in body["options"]] == authors_ids(shuffled)
    assert body["ballot_order"] == page == expected_ids(shuffled, f"user:{user.pk}")
    listed = client.get("/api/polls/").json()["results"][0]
    assert listed["ballot_order"] == page


def test_the_api_gives_callers_not_signed_in_one_shared_order(client, shuffled):
    body = client.get(f"/api/polls/{shuffled.public_id}/").json()

    assert body["ballot_order"] == expected_ids(shuffled, ANONYMOUS_ORDER_KEY)
    assert body["ballot_order"] != authors_ids(shuffled)


def test_the_api_ballot_order_of_a_poll_that_does_not_shuffle_is_the_authors(client):
    poll = PollFactory(labels=LABELS)

    body = client.get(f"/api/polls/{poll.public_id}/").json()

    assert body["ballot_order"] == [option["id"] for option in body["options"]]


def test_the_votes_answer_has_the_voters_order(user, shuffled):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = api.post(
        f"/api/polls/{shuffled.public_id}/votes/",
        {"option": authors_ids(shuffled)[0]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["ballot_order"] == expected_ids(shuffled, f"user:{user.pk}")
