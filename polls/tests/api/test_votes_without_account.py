"""Votes without a token in the API (polls/api/views_votes.py): each voter mode, the CSRF and
Origin check of votes by the browser's cookies, invite codes in the body, names, the
anti-spam check, the anon_votes rate, and bodies that must never reach a 500."""

import re

import pytest
from rest_framework.test import APIClient

from polls.models import Ballot, InviteCode, VoterMode
from polls.services import SignInToVote, invite_codes_create, invite_codes_revoke
from polls.tests.factories import PollFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]


def votes_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/votes/"


def first(poll) -> int:
    return poll.options.order_by("position").first().pk


def browser_with_cookies(poll) -> tuple[APIClient, str]:
    """A browser that opened the poll's page: its voter and CSRF cookies, and the page's token."""
    client = APIClient(enforce_csrf_checks=True)
    html = client.get(poll.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client, token


def test_an_account_poll_answers_401_without_a_token():
    poll = PollFactory()
    response = APIClient().post(votes_url(poll), {"option": first(poll)}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_browser_votes_once_with_its_cookie_and_the_csrf_token():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    client, token = browser_with_cookies(poll)
    response = client.post(
        votes_url(poll), {"option": first(poll)}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.json()
    assert response.json()["my_vote"] == first(poll)
    again = client.post(
        votes_url(poll), {"option": first(poll)}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_voted"
    detail = client.get(f"/api/polls/{poll.public_id}/")
    assert detail.json()["my_vote"] == first(poll)


def test_another_site_cannot_make_a_browser_vote():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    client, token = browser_with_cookies(poll)
    no_token = client.post(votes_url(poll), {"option": first(poll)}, format="json")
    assert no_token.status_code == 403
    cross_site = client.post(
        votes_url(poll),
        {"option": first(poll)},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="https://evil.example",
    )
    assert cross_site.status_code == 403
    assert "CSRF" in cross_site.json()["detail"]
    assert Ballot.objects.count() == 0


def test_a_browser_without_the_voter_cookie_is_told_so():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    response = APIClient().post(votes_url(poll), {"option": first(poll)}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "browser_not_known"


def test_an_invite_code_in_the_body_votes_once_without_csrf():
    poll = PollFactory(voter_mode=VoterMode.CODE, allow_vote_change=True)
    (invite,) = invite_codes_create(poll=poll, by=poll.author, count=1)
    client = APIClient(enforce_csrf_checks=True)
    body = {"option": first(poll), "code": invite.code}
    assert client.post(votes_url(poll), body, format="json").status_code == 201
    again = client.post(votes_url(poll), body, format="json")
    assert again.status_code == 409
    detail = client.get(f"/api/polls/{poll.public_id}/?code={invite.code}").json()
    assert detail["my_vote"] == first(poll)
    assert client.delete(f"{votes_url(poll)}?code={invite.code}").status_code == 204
    assert not InviteCode.objects.get().used


@pytest.mark.parametrize(
    ("code", "expected"),
    [("nope", "invite_code_invalid"), (None, "invite_code_needed")],
)
def test_invite_code_refusals_are_403_with_their_code(code, expected):
    poll = PollFactory(voter_mode=VoterMode.CODE)
    body = {"option": first(poll)} | ({"code": code} if code else {})
    response = APIClient().post(votes_url(poll), body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == expected


def test_an_open_poll_takes_votes_without_cookies_each_a_new_ballot():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    for _ in range(3):
        response = APIClient().post(votes_url(poll), {"option": first(poll)}, format="json")
        assert response.status_code == 201
    assert Ballot.objects.filter(poll=poll).count() == 3


def test_votes_without_an_account_have_their_own_rate(settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        | {"anon_votes": "2/hour"}
    }
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    answers = [
        APIClient().post(votes_url(poll), {"option": first(poll)}, format="json") for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert answers[-1].json()["code"] == "throttled"


def test_an_account_poll_says_to_log_in_on_every_vote_call():
    poll = PollFactory(allow_vote_change=True)
    client = APIClient()
    for response in (
        client.post(votes_url(poll), {"option": first(poll)}, format="json"),
        client.put(votes_url(poll), {"option": first(poll)}, format="json"),
        client.delete(votes_url(poll)),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response.json()["detail"] == SignInToVote.message


def test_a_browser_changes_and_retracts_its_vote_by_its_cookie():
    poll = PollFactory(voter_mode=VoterMode.BROWSER, allow_vote_change=True)
    client, token = browser_with_cookies(poll)
    one, two = [option.pk for option in poll.options.order_by("position")[:2]]
    csrf = {"format": "json", "HTTP_X_CSRFTOKEN": token}
    assert client.post(votes_url(poll), {"option": one}, **csrf).status_code == 201

    changed = client.put(votes_url(poll), {"option": two}, **csrf)

    assert changed.status_code == 200, changed.json()
    assert (changed.json()["my_vote"], changed.json()["total_votes"]) == (two, 1)
    assert client.delete(votes_url(poll), HTTP_X_CSRFTOKEN=token).status_code == 204
    assert not Ballot.objects.exists()
    assert client.get(f"/api/polls/{poll.public_id}/").json()["my_vote"] is None
    assert client.post(votes_url(poll), {"option": one}, **csrf).status_code == 201


def test_an_invite_code_changes_its_vote_and_retracts_it_with_the_code_in_the_body():
    poll = PollFactory(voter_mode=VoterMode.CODE, allow_vote_change=True)
    (invite,) = invite_codes_create(poll=poll, by=poll.author, count=1)
    one, two = [option.pk for option in poll.options.order_by("position")[:2]]
    client = APIClient()
    client.post(votes_url(poll), {"option": one, "code": invite.code}, format="json")

    changed = client.put(votes_url(poll), {"option": two, "code": invite.code}, format="json")

    assert (changed.status_code, changed.json()["my_vote"]) == (200, two)
    without = client.put(votes_url(poll), {"option": one}, format="json")
    assert (without.status_code, without.json()["code"]) == (403, "invite_code_needed")
    retracted = client.delete(votes_url(poll), {"code": invite.code}, format="json")
    assert retracted.status_code == 204
    assert not InviteCode.objects.get().used
    again = client.delete(votes_url(poll), {"code": invite.code}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "not_voted")


def test_a_withdrawn_code_is_a_403_and_a_used_one_a_409():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    used, withdrawn = invite_codes_create(poll=poll, by=poll.author, count=2)
    invite_codes_revoke(poll=poll, by=poll.author, numbers=[withdrawn.number])
    body = {"option": first(poll)}
    revoked = APIClient().post(votes_url(poll), body | {"code": withdrawn.code}, format="json")
    assert (revoked.status_code, revoked.json()["code"]) == (403, "invite_code_revoked")
    assert APIClient().post(votes_url(poll), body | {"code": used.code}, format="json")
    twice = APIClient().post(votes_url(poll), body | {"code": used.code}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_voted")
    assert Ballot.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "delete"])
def test_an_open_poll_takes_no_change_or_retraction(method):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    APIClient().post(votes_url(poll), {"option": first(poll)}, format="json")
    response = getattr(APIClient(), method)(votes_url(poll), {"option": first(poll)}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "vote_change_not_allowed"


# The account vote's 7 (test_votes.py), and one more statement where a code is marked used.
ANONYMOUS_VOTE_QUERIES = {VoterMode.OPEN: 7, VoterMode.BROWSER: 7, VoterMode.CODE: 8}


@pytest.mark.parametrize("mode", [VoterMode.OPEN, VoterMode.BROWSER, VoterMode.CODE])
def test_a_vote_without_an_account_query_count_is_pinned(
    mode, shared_cache, django_assert_num_queries
):
    """With a shared cache (as in production) the throttles cost nothing: the vote's own
    statements in their savepoint and the read of its options."""
    poll = PollFactory(voter_mode=mode, labels=[f"Option {n}" for n in range(20)])
    body = {"option": poll.options.last().pk}
    client, token = browser_with_cookies(poll)
    if mode == VoterMode.CODE:
        (invite,) = invite_codes_create(poll=poll, by=poll.author, count=1)
        body["code"] = invite.code

    with django_assert_num_queries(ANONYMOUS_VOTE_QUERIES[mode]):
        response = client.post(votes_url(poll), body, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201, response.json()


def test_the_anon_votes_rate_leaves_signed_in_voters_alone(settings, authed):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        | {"anon_votes": "1/hour"}
    }
    polls = [PollFactory(voter_mode=VoterMode.OPEN) for _ in range(3)]
    answers = [authed.post(votes_url(p), {"option": first(p)}, format="json") for p in polls]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    anonymous = [APIClient().post(votes_url(p), {"option": first(p)}, format="json") for p in polls]
    assert [answer.status_code for answer in anonymous] == [201, 429, 429]
    assert int(anonymous[-1]["Retry-After"]) > 0
