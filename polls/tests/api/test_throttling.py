import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.throttling import SimpleRateThrottle

from polls.tests.factories import PollFactory


@pytest.fixture
def rates(monkeypatch):
    """Set a throttle scope's rate for one test (DRF reads the rates once, at import)."""

    def set_rate(scope: str, rate: str):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def test_anonymous_clients_get_429_with_retry_after(api, db, rates):
    rates("anon", "2/minute")

    statuses = [api.get("/api/polls/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = api.get("/api/polls/")
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_signed_in_users_have_their_own_rate(authed, rates):
    rates("anon", "1/minute")
    rates("user", "3/minute")

    statuses = [authed.get("/api/polls/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_votes_have_a_tighter_limit(authed, rates):
    rates("votes", "2/minute")
    polls = [PollFactory() for _ in range(3)]

    statuses = [
        authed.post(
            f"/api/polls/{poll.public_id}/votes/",
            {"option": poll.options.first().pk},
            format="json",
        ).status_code
        for poll in polls
    ]

    assert statuses == [201, 201, 429]
    assert authed.get("/api/polls/").status_code == 200  # reads are still allowed


def test_poll_creation_has_a_tighter_limit(authed, rates):
    rates("poll_create", "1/hour")
    new = {"title": "Q?", "options": ["A", "B"]}

    assert authed.post("/api/polls/", new, format="json").status_code == 201
    refused = authed.post("/api/polls/", new, format="json")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60


def test_sign_up_is_limited_per_address(api, db, rates):
    rates("signup", "1/hour")

    def sign_up(name):
        details = {"username": name, "email": f"{name}@example.com", "password": "long-passphrase"}
        return api.post("/api/users/", details, format="json").status_code

    assert [sign_up("first"), sign_up("second")] == [202, 429]  # 202: issue 10


def test_a_forged_forwarded_header_does_not_dodge_the_limit(api, db, rates):
    """With no trusted proxy (the local default) the TCP peer is the client, whatever it sends."""
    rates("anon", "1/minute")

    assert api.get("/api/polls/", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 200
    assert api.get("/api/polls/", HTTP_X_FORWARDED_FOR="10.0.0.2").status_code == 429


def test_behind_one_proxy_the_address_it_appended_is_the_client(api, db, rates):
    """Heroku's router appends the client's address; what the client put before it is ignored,
    and two real clients are counted apart."""
    rates("anon", "1/minute")
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        first = api.get("/api/polls/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
        forged = api.get("/api/polls/", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
        other_client = api.get("/api/polls/", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert [first.status_code, forged.status_code, other_client.status_code] == [200, 429, 200]


def test_throttle_counts_are_kept_in_the_shared_database_cache(api, db):
    """Not DRF's per-process memory: every web process and dyno reads the same table."""
    api.get("/api/polls/")

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM votr_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any(key.endswith("throttle_anon_127.0.0.1") for key in keys)


def settings_in_a_new_process(**environment) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], "
        "settings.REST_FRAMEWORK['NUM_PROXIES']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "votr_project.settings",
        "DJANGO_DEBUG": "1",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_every_rate_and_the_proxy_count_come_from_the_environment():
    result = settings_in_a_new_process(
        DJANGO_THROTTLE_ANON="1/second",
        DJANGO_THROTTLE_USER="2/minute",
        DJANGO_THROTTLE_VOTES="3/hour",
        DJANGO_THROTTLE_SIGNUP="4/day",
        DJANGO_THROTTLE_POLL_CREATE="5/hour",
        DJANGO_TRUSTED_PROXY_HOPS="1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[{"anon": "1/second", "user": "2/minute", "votes": "3/hour", '
        '"signup": "4/day", "poll_create": "5/hour"}, 1]'
    )


def test_a_malformed_rate_stops_start_up_with_a_message_naming_it():
    result = settings_in_a_new_process(DJANGO_THROTTLE_VOTES="lots")

    assert result.returncode != 0
    assert "DJANGO_THROTTLE_VOTES must be a rate such as 30/minute" in result.stderr
