"""What a vote without an account sends (polls/api/vote_inputs.py): the name, the anti-spam
answer, and bodies of every odd kind in every voter mode, which must never reach a 500; and how
the schema documents the modes and the code."""

import pytest
from rest_framework.test import APIClient

from polls.models import Ballot, VoterMode, VoterNames
from polls.tests.factories import PollFactory

from .test_votes_without_account import browser_with_cookies, first, votes_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]


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
