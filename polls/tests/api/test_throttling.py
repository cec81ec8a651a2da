import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from polls.services import limits
from polls.services.voters import address_hash
from polls.tests.factories import PASSWORD, PollFactory


@pytest.fixture
def rates(monkeypatch):
    """Set a throttle scope's rate for one test (DRF reads the rates once, at import)."""

    def set_rate(scope: str, rate: str):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def signup_wait(request) -> float | None:
    """The sign-up limit's answer for `request`, as a page form asks it."""
    return limits.limits_wait(
        limits=[limits.SIGNUP], address=limits.client_address(meta=request.META)
    )


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


def test_throttle_counts_are_kept_in_the_shared_cache(api, db):
    """Not DRF's per-process memory: every web process and dyno reads the same cache (Redis with
    REDIS_URL, else the database table)."""
    assert settings.CACHES["default"]["BACKEND"] in {
        "votr_project.cache.UnculledDatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }
    api.get("/api/polls/")

    assert cache.get(f"throttle_anon_{address_hash('127.0.0.1')}") % limits.COUNT_SCALE == 1


def test_without_redis_counts_are_kept_in_the_database_table(api, database_cache):
    api.get("/api/polls/")

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM votr_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any(key.endswith(f"throttle_anon_{address_hash('127.0.0.1')}") for key in keys)


def test_a_throttle_check_costs_two_queries_in_the_database_cache(
    database_cache, django_assert_num_queries
):
    """One read and one upsert: no COUNT(*) of the table, no cull, no savepoints (Django's own
    DatabaseCache took six here: read, count, savepoint, read, write, release)."""
    request = RequestFactory().post("/accounts/signup/")
    signup_wait(request)  # the first write inserts; later ones update

    with django_assert_num_queries(2):
        assert signup_wait(request) is None


CLIENTS = 10_000


@pytest.mark.parametrize(
    "shared_cache",
    [pytest.param("database", id="database"), pytest.param("redis", marks=pytest.mark.redis)],
)
def test_ten_thousand_clients_counts_all_hold(shared_cache, rates, request):
    """Django's stock database cache kept 300 entries and culled the rest, open windows and
    all: with more clients than that, a count was forgotten and its limit dodged."""
    if shared_cache == "database":
        request.getfixturevalue("database_cache")
    rates("signup", "1/hour")
    factory = RequestFactory()
    clients = [
        factory.post(
            "/accounts/signup/", REMOTE_ADDR=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        )
        for n in range(CLIENTS)
    ]

    first = [signup_wait(client) for client in clients]
    second = [signup_wait(client) for client in clients]

    assert first.count(None) == CLIENTS
    assert sum(1 for wait in second if wait is not None and wait > 3500) == CLIENTS
    cache.clear()


# --- When the cache cannot be reached ----------------------------------------------------------


@pytest.fixture
def cache_down_state(monkeypatch):
    """Start with the throttles trusting the cache, and leave them so for the next test."""
    monkeypatch.setattr(limits._CacheDown, "until", 0.0)


@pytest.fixture
def hung_redis():
    """A "Redis" that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def redis_cache_at(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }


def test_a_hung_cache_lets_requests_through_quickly_with_one_log_line(
    api, db, rates, hung_redis, cache_down_state, caplog
):
    rates("anon", "1/minute")
    with override_settings(CACHES=redis_cache_at(hung_redis)):
        started = time.monotonic()
        first = api.get("/api/polls/")
        first_took = time.monotonic() - started
        started = time.monotonic()
        later = [api.get("/api/polls/").status_code for _ in range(5)]
        later_took = time.monotonic() - started

    assert first.status_code == 200
    assert first_took < 1.5  # one socket timeout, not seconds of retries
    assert later == [200] * 5  # over the rate, but nothing can count it: let through
    assert later_took < 1  # the cache is not tried again during the pause
    warnings = [r for r in caplog.records if r.name == "polls.api.throttles"]
    assert [r.getMessage() for r in warnings] == [
        "throttles: the cache is unreachable (TimeoutError); requests are let through "
        f"unlimited for {limits.CACHE_DOWN_PAUSE_SECONDS} s"
    ]


def test_a_cache_that_refuses_connections_lets_page_forms_through(
    client, db, rates, cache_down_state
):
    rates("signup", "1/hour")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"  # bound, not listening
        with override_settings(CACHES=redis_cache_at(url)):
            response = client.post(
                reverse("signup"),
                {"username": "newcomer", "email": "new@example.com", "password": PASSWORD},
            )

    assert response.status_code == 302


def test_the_limits_come_back_after_the_pause(api, db, rates, cache_down_state, monkeypatch):
    rates("anon", "1/minute")
    monkeypatch.setattr(limits._CacheDown, "until", time.monotonic() - 1)

    assert [api.get("/api/polls/").status_code for _ in range(2)] == [200, 429]


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
        DJANGO_THROTTLE_ANON_VOTES="7/minute",
        DJANGO_THROTTLE_CHALLENGES="8/hour",
        DJANGO_THROTTLE_SIGNUP="4/day",
        DJANGO_THROTTLE_POLL_CREATE="5/hour",
        DJANGO_THROTTLE_PASSWORD_RESET="6/day",
        DJANGO_TRUSTED_PROXY_HOPS="1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[{"anon": "1/second", "user": "2/minute", "votes": "3/hour", '
        '"anon_votes": "7/minute", "challenges": "8/hour", "signup": "4/day", '
        '"poll_create": "5/hour", '
        '"password_reset": "6/day"}, 1]'
    )


def test_a_malformed_rate_stops_start_up_with_a_message_naming_it():
    result = settings_in_a_new_process(DJANGO_THROTTLE_VOTES="lots")

    assert result.returncode != 0
    assert "DJANGO_THROTTLE_VOTES must be a rate such as 30/minute" in result.stderr
