"""The CSRF and Origin check on API votes without a token (polls/api/views_votes.py): a call
from a browser passes the poll page's own check, so that another site cannot make its visitors
vote; an invite code in the body is its own credential and never votes by the cookie."""

import http.cookiejar
import json
import re
import urllib.error
import urllib.request

import pytest
from rest_framework.test import APIClient

from polls.models import Ballot, VoterMode
from polls.services import invite_codes_create
from polls.tests.factories import PollFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]

EVIL = "https://evil.example"


def votes_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/votes/"


def first(poll) -> int:
    return poll.options.order_by("position").first().pk


def page_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def browser_with_cookies(poll) -> tuple[APIClient, str]:
    """A browser that opened the poll's page: its voter and CSRF cookies, and the page's token."""
    client = APIClient(enforce_csrf_checks=True)
    return client, page_token(client.get(poll.get_absolute_url()).content.decode())


@pytest.mark.parametrize("mode", [VoterMode.BROWSER, VoterMode.OPEN])
def test_same_origin_with_the_token_is_accepted(mode):
    poll = PollFactory(voter_mode=mode)
    client, token = browser_with_cookies(poll)
    response = client.post(
        votes_url(poll),
        {"option": first(poll)},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("mode", [VoterMode.BROWSER, VoterMode.OPEN])
@pytest.mark.parametrize("with_token", [True, False])
def test_cross_origin_is_refused_with_or_without_the_token(mode, with_token):
    poll = PollFactory(voter_mode=mode)
    client, token = browser_with_cookies(poll)
    headers = {"HTTP_ORIGIN": EVIL} | ({"HTTP_X_CSRFTOKEN": token} if with_token else {})
    response = client.post(votes_url(poll), {"option": first(poll)}, format="json", **headers)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"].startswith("CSRF failed")
    assert not Ballot.objects.exists()


def test_another_site_cannot_vote_in_an_open_poll_even_without_cookies():
    """A cross-site form or fetch sends no Lax cookie, but it does send its Origin."""
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    response = APIClient(enforce_csrf_checks=True).post(
        votes_url(poll), {"option": first(poll)}, format="json", HTTP_ORIGIN=EVIL
    )
    assert response.status_code == 403
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_another_site_cannot_change_or_retract_a_browsers_vote(method):
    poll = PollFactory(voter_mode=VoterMode.BROWSER, allow_vote_change=True)
    client, token = browser_with_cookies(poll)
    one, two = [option.pk for option in poll.options.order_by("position")[:2]]
    client.post(votes_url(poll), {"option": one}, format="json", HTTP_X_CSRFTOKEN=token)
    response = getattr(client, method)(
        votes_url(poll), {"option": two}, format="json", HTTP_ORIGIN=EVIL
    )
    assert response.status_code == 403
    assert Ballot.objects.get().choices.get().option_id == one


def test_a_vote_by_invite_code_needs_no_csrf_token():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    (invite,) = invite_codes_create(poll=poll, by=poll.author, count=1)
    client, _ = browser_with_cookies(poll)
    response = client.post(
        votes_url(poll),
        {"option": first(poll), "code": invite.code},
        format="json",
        HTTP_ORIGIN=EVIL,
    )
    assert response.status_code == 201


def test_a_code_sent_to_a_browser_poll_never_votes_by_the_cookie():
    """Sending any `code` skips the CSRF check, so such a call must not vote as the browser."""
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    client, _ = browser_with_cookies(poll)
    response = client.post(
        votes_url(poll), {"option": first(poll), "code": "whatever"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "browser_not_known"
    assert not Ballot.objects.exists()


def test_a_session_voter_passes_djangos_own_csrf_check():
    """Signed in by the session cookie: DRF's SessionAuthentication checks the CSRF token."""
    user = UserFactory()
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = page_token(client.get(poll.get_absolute_url()).content.decode())
    refused = client.post(votes_url(poll), {"option": first(poll)}, format="json")
    assert refused.status_code == 403
    accepted = client.post(
        votes_url(poll), {"option": first(poll)}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
    assert Ballot.objects.get().voter == user


def _post_json(opener, url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (the live server's own http:// address)
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"} | headers,
    )
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_over_real_http_a_browser_votes_from_the_page_and_not_from_another_site(
    live_server, transactional_db, settings
):
    """A real server and a cookie jar: the page's cookies and token vote once from the site's
    own origin; the same cookies and token from another origin are refused."""
    # Plain HTTP, as in development: cookies marked Secure would not be sent back.
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = False
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{live_server.url}{poll.get_absolute_url()}", timeout=10) as page:
        token = page_token(page.read().decode())
    assert {cookie.name for cookie in jar} >= {"csrftoken", "votr_voter"}
    url = f"{live_server.url}{votes_url(poll)}"
    body = {"option": first(poll)}

    status, answer = _post_json(opener, url, body, {"X-CSRFToken": token, "Origin": EVIL})
    assert (status, answer["code"]) == (403, "permission_denied")
    status, answer = _post_json(
        opener, url, body, {"X-CSRFToken": token, "Origin": live_server.url}
    )
    assert status == 201, answer
    assert answer["my_vote"] == first(poll)
    assert Ballot.objects.filter(poll=poll).count() == 1
