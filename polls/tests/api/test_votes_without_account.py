"""Votes without a token in the API (polls/api/views_votes.py): each voter mode, the CSRF and
Origin check of votes by the browser's cookies, invite codes in the body, names, the
anti-spam check, the anon_votes rate, and bodies that must never reach a 500."""

import re

import pytest
from rest_framework.test import APIClient

from polls.models import Ballot, InviteCode, VoterMode, VoterNames
from polls.services import SignInToVote, invite_codes_create, invite_codes_revoke
from polls.tests.factories import PollFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _challenge_off(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 0


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


def test_a_required_name_is_a_400_on_name():
    poll = PollFactory(voter_mode=VoterMode.OPEN, voter_names=VoterNames.REQUIRED)
    response = APIClient().post(votes_url(poll), {"option": first(poll)}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("name_required", ["name"])
    ok = APIClient().post(votes_url(poll), {"option": first(poll), "name": "Ada"}, format="json")
    assert ok.status_code == 201
    assert Ballot.objects.get().voter_name == "Ada"


def test_with_the_challenge_on_a_missing_answer_is_a_400_on_altcha(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 10
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    response = APIClient().post(
        votes_url(poll), {"option": first(poll), "altcha": "bad"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "challenge_failed"
    assert list(response.json()["errors"]) == ["altcha"]


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


@pytest.mark.parametrize(
    "body",
    [
        {"option": 1, "code": ["a list"]},
        {"option": 1, "code": "x" * 5000},
        {"option": 1, "name": {"a": 1}},
        {"option": 1, "name": "a\x00b"},
        {"option": 1, "altcha": 12},
        {"option": 1, "hide_name": "maybe"},
        {"option": 1, "code": "\x00"},
    ],
)
def test_odd_bodies_are_4xx_never_500(body):
    poll = PollFactory(voter_mode=VoterMode.CODE, voter_names=VoterNames.OPTIONAL)
    body["option"] = first(poll)
    response = APIClient().post(votes_url(poll), body, format="json")
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


def test_the_schema_documents_each_mode(api):
    schema = api.get("/api/schema/?format=json").json()
    create = schema["components"]["schemas"]["PollCreateInputRequest"]["properties"]
    mode_schema = create["voter_mode"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][mode_schema]["enum"] == [
        "account",
        "browser",
        "code",
        "open",
    ]
    assert "clearing it allows another vote" in create["voter_mode"]["description"]
    vote = schema["components"]["schemas"]["VoteInputRequest"]["properties"]
    assert {"code", "name", "hide_name", "altcha"} <= set(vote)
    description = schema["paths"]["/api/polls/{public_id}/votes/"]["post"]["description"]
    for mode in ("`account`", "`browser`", "`code`", "`open`"):
        assert mode in description


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


@pytest.mark.parametrize(
    ("name", "code"),
    [("a\u200bb", "invalid_name"), ("x" * 101, "invalid"), ("a\x00b", "invalid")],
)
def test_a_name_that_will_not_do_is_a_400_on_name(name, code):
    poll = PollFactory(voter_mode=VoterMode.OPEN, voter_names=VoterNames.OPTIONAL)
    body = {"option": first(poll), "name": name}
    response = APIClient().post(votes_url(poll), body, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == (code, ["name"])
    assert not Ballot.objects.exists()


def test_a_signed_in_voter_in_a_browser_poll_votes_by_account_and_may_hide_the_name(authed, user):
    poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names=VoterNames.OPTIONAL)
    body = {"option": first(poll), "hide_name": True}
    assert authed.post(votes_url(poll), body, format="json").status_code == 201
    ballot = Ballot.objects.get()
    assert (ballot.voter, ballot.voter_name) == (user, "")


@pytest.mark.parametrize("altcha", [None, "", "bad", "e30="])
def test_with_the_challenge_on_an_unsolved_one_is_refused(settings, altcha):
    settings.VOTR_CHALLENGE_DIFFICULTY = 10
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    client, token = browser_with_cookies(poll)
    body = {"option": first(poll)} | ({} if altcha is None else {"altcha": altcha})
    response = client.post(votes_url(poll), body, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == (
        "challenge_failed",
        ["altcha"],
    )
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize(
    "body",
    [
        {"option": 1, "code": ["a list"]},
        {"option": 1, "code": {"code": "x"}},
        {"option": 1, "code": 7},
        {"option": 1, "code": "x" * 10**6},
        {"option": 1, "name": ["Ada"]},
        {"option": 1, "name": "\x00" * 50},
        {"option": 1, "altcha": "x" * 10**6},
        {"option": 1, "altcha": "\x00"},
        {"option": 1, "hide_name": "true"},
        {"option": [1], "options": {"1": 1}},
        {"options": [None]},
        {"option": 10**30},
        ["option", 1],
        "option",
        None,
    ],
)
def test_odd_bodies_in_every_mode_are_4xx_json(method, body):
    for mode in VoterMode.values:
        poll = PollFactory(voter_mode=mode, allow_vote_change=mode != VoterMode.OPEN)
        response = getattr(APIClient(), method)(votes_url(poll), body, format="json")
        assert 400 <= response.status_code < 500, (mode, response.status_code)
        assert "code" in response.json()


@pytest.mark.parametrize(
    "raw",
    [b'{"option": 1, "code": "\xff\xfe"}', b'{"option": 1, "name": "\\ud800"}', b"\x00{}"],
)
def test_bodies_that_are_not_utf_8_json_are_a_400(raw):
    poll = PollFactory(voter_mode=VoterMode.CODE, voter_names=VoterNames.OPTIONAL)
    response = APIClient().post(votes_url(poll), raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in {"parse_error", "invalid", "unsupported_charset"}


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


def test_the_schema_documents_the_code_parameter_and_the_new_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    detail = paths["/api/polls/{public_id}/"]["get"]
    retract = paths["/api/polls/{public_id}/votes/"]["delete"]
    for operation in (detail, retract, paths["/api/polls/{public_id}/ballots/"]["get"]):
        assert "code" in {parameter["name"] for parameter in operation["parameters"]}
    assert {"401", "403", "409"} <= set(retract["responses"])
    components = schema["components"]["schemas"]
    assert set(components["InviteCode"]["properties"]) == {"number", "code", "link", "status"}
    assert set(components["BallotList"]["properties"]) == {
        "with_names",
        "with_choices",
        "total",
        "more",
        "ballots",
    }
    output = components["Poll"]["properties"]["voter_mode"]
    assert "invite codes" in output["description"]
