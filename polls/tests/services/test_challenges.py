"""The proof-of-work challenge of votes without an account (polls/services/challenges.py):
solved by ALTCHA's own solver at a small difficulty."""

import base64
import json

import altcha
import pytest
from django.test import override_settings

from polls.services import challenges
from polls.services.challenges import ChallengeFailed, challenge_create, challenge_verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_easy")]


@pytest.fixture
def _easy(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 1


def solved(challenge: dict | None = None) -> str:
    challenge = challenge or challenge_create()
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed, timeout=20)
    assert solution is not None
    payload = {"challenge": challenge, "solution": solution.to_dict()}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_a_solved_challenge_is_accepted_once():
    payload = solved()
    challenge_verify(payload=payload)
    with pytest.raises(ChallengeFailed, match="failed or expired"):
        challenge_verify(payload=payload)


def test_the_same_solution_written_another_way_is_still_used_once():
    payload = solved()
    decoded = json.loads(base64.b64decode(payload))
    rewritten = base64.b64encode(json.dumps(decoded, indent=2).encode()).decode()
    challenge_verify(payload=payload)
    with pytest.raises(ChallengeFailed):
        challenge_verify(payload=rewritten)


def test_no_solution_says_javascript_is_needed():
    for payload in (None, "", "   "):
        with pytest.raises(ChallengeFailed, match="needs JavaScript"):
            challenge_verify(payload=payload)


@pytest.mark.parametrize(
    "payload",
    [
        "not base64!",
        "x" * 5000,
        "\x00\x00",
        "ünïcode",
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"challenge": 1, "solution": "x"}').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        ["a list"],
        12,
    ],
)
def test_garbage_is_a_refusal_never_an_exception(payload):
    with pytest.raises(ChallengeFailed):
        challenge_verify(payload=payload)


def test_a_tampered_challenge_is_refused():
    challenge = challenge_create()
    payload = json.loads(base64.b64decode(solved(challenge)))
    payload["challenge"]["parameters"]["expiresAt"] += 3600
    tampered = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(ChallengeFailed):
        challenge_verify(payload=tampered)


def test_an_expired_challenge_is_refused(settings, monkeypatch):
    settings.VOTR_CHALLENGE_EXPIRES_SECONDS = 30
    payload = solved()
    real_time = challenges.altcha.v2.time.time
    monkeypatch.setattr(challenges.altcha.v2.time, "time", lambda: real_time() + 60)
    with pytest.raises(ChallengeFailed):
        challenge_verify(payload=payload)


def test_a_challenge_signed_by_another_deployment_is_refused():
    with override_settings(SECRET_KEY="another deployment's secret key, long enough" * 2):
        payload = solved()
    with pytest.raises(ChallengeFailed):
        challenge_verify(payload=payload)


def test_the_challenge_can_be_turned_off(settings):
    assert challenges.challenge_required()
    settings.VOTR_CHALLENGE_DIFFICULTY = 0
    assert not challenges.challenge_required()
