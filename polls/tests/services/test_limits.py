"""polls/services/limits.py: the rate limits the page forms and the API share."""

import ast
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.db import connections
from rest_framework.throttling import SimpleRateThrottle

from polls.services import limits
from polls.services.voters import address_hash

from ..factories import UserFactory


@pytest.fixture
def rates(monkeypatch):
    def set_rate(scope: str, rate: str):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_a_limit_counts_until_its_rate_then_says_how_long_to_wait(rates):
    rates("signup", "2/hour")
    answers = [limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.7") for _ in range(3)]
    assert answers[:2] == [None, None]
    assert 1700 < answers[2] <= 3600
    assert limits.limits_wait(limits=[limits.SIGNUP], address="198.51.100.2") is None


def test_every_limit_is_asked_and_only_those_that_allow_count(rates):
    rates("password_reset", "1/hour")
    first = limits.limits_wait(
        limits=[limits.PASSWORD_RESET, limits.PASSWORD_RESET_TARGET],
        address="203.0.113.7",
        email="Ada@Example.com ",
    )
    # From another address: that address's limit allows and counts; the target's refuses.
    elsewhere = limits.limits_wait(
        limits=[limits.PASSWORD_RESET, limits.PASSWORD_RESET_TARGET],
        address="198.51.100.2",
        email="ada@example.com",
    )
    assert first is None
    assert elsewhere is not None  # the target address already had its one email
    assert (
        cache.get(f"throttle_password_reset_{address_hash('198.51.100.2')}") % limits.COUNT_SCALE
        == 1
    )
    digest = hashlib.sha256(b"ada@example.com").hexdigest()
    assert cache.get(f"throttle_password_reset_to_{digest}") % limits.COUNT_SCALE == 1


def test_accounts_are_counted_by_account_and_anonymous_callers_by_address(rates):
    rates("votes", "1/minute")
    rates("user", "1/minute")
    rates("anon", "1/minute")
    voter = UserFactory()
    for _ in range(2):
        limits.limits_wait(limits=[limits.VOTES], user=voter, address="203.0.113.7")
    assert limits.limits_wait(limits=[limits.VOTES], user=voter, address="198.51.100.2")
    assert (
        limits.limits_wait(limits=[limits.VOTES], user=UserFactory(), address="203.0.113.7") is None
    )
    anonymous = AnonymousUser()
    assert limits.limits_wait(limits=[limits.SIGNED_IN], user=anonymous, address="1.2.3.4") is None
    assert limits.limits_wait(limits=[limits.SIGNED_IN], user=anonymous, address="1.2.3.4") is None
    assert limits.limits_wait(limits=[limits.ANON], user=voter, address="1.2.3.4") is None
    assert limits.limits_wait(limits=[limits.ANON], user=voter, address="1.2.3.4") is None


IN_FLIGHT = 20


@pytest.mark.parametrize(
    "shared_cache",
    [
        pytest.param("database", marks=pytest.mark.postgres, id="database"),
        pytest.param("redis", marks=pytest.mark.redis, id="redis"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_requests_in_flight_at_once_cannot_exceed_the_limit(shared_cache, rates, request):
    """20 requests released together from 20 connections under a limit of 5: exactly 5 pass.
    (A count read and written back let all 20 through: each read the same empty window.)"""
    if shared_cache == "database":
        request.getfixturevalue("database_cache")
    rates("signup", "5/hour")
    start = threading.Barrier(IN_FLIGHT)

    def sign_up(_):
        try:
            start.wait(timeout=60)
            return limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.9")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        answers = list(pool.map(sign_up, range(IN_FLIGHT)))

    assert answers.count(None) == 5, answers
    assert all(3500 < wait <= 3600 for wait in answers if wait is not None)
    assert cache.get(f"throttle_signup_{address_hash('203.0.113.9')}") % limits.COUNT_SCALE == 5


@pytest.mark.parametrize(
    "shared_cache",
    [pytest.param("database", id="database"), pytest.param("redis", marks=pytest.mark.redis)],
)
def test_a_count_is_one_integer_of_its_window_start_and_requests(
    shared_cache, rates, request, monkeypatch
):
    """One integer the cache can add to atomically; a refused request is not counted."""
    if shared_cache == "database":
        request.getfixturevalue("database_cache")
    clock = SimpleNamespace(time=lambda: 1_800_000_000.5, monotonic=time.monotonic)
    monkeypatch.setattr(limits, "time", clock)
    rates("signup", "2/hour")
    answers = [limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.7") for _ in range(3)]

    assert answers == [None, None, 3600]  # the window opened at the next whole second
    assert (
        cache.get(f"throttle_signup_{address_hash('203.0.113.7')}")
        == 1_800_000_001 * limits.COUNT_SCALE + 2
    )


def test_a_history_list_an_older_release_stored_is_replaced_by_a_count(rates):
    rates("signup", "1/hour")
    cache.set(f"throttle_signup_{address_hash('203.0.113.7')}", [1.0, 2.0], 3600)

    assert limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.7") is None
    assert limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.7") is not None


@pytest.mark.parametrize(
    ("hops", "forwarded", "client"),
    [
        (0, "10.0.0.1", "127.0.0.1"),
        (1, "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (2, "1.1.1.1, 203.0.113.7, 10.0.0.5", "203.0.113.7"),
        (1, None, "127.0.0.1"),
    ],
)
def test_the_client_address_is_the_entry_the_trusted_proxies_appended(
    settings, hops, forwarded, client
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": hops}
    meta = {"REMOTE_ADDR": "127.0.0.1"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert limits.client_address(meta=meta) == client


def test_pages_decide_their_limits_without_the_api_package():
    views = Path(__file__).resolve().parents[2] / "views"
    imported = [
        (node.module or "").lstrip(".")
        for module in views.glob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.ImportFrom)
    ]
    assert "services" in imported  # the walk reads the views' imports
    # The API's serializers are the one JSON contract the page endpoints render; the limits
    # are the domain's, never the API's throttles.
    assert "api.throttles" not in imported
    assert "api" not in imported


@pytest.mark.redis
def test_on_redis_a_count_is_one_script_and_a_refusal_leaves_the_window_expiring(
    rates, monkeypatch
):
    """One round trip per count, refusals included (the undo is in the script), and the key
    keeps its expiry: a count without one would refuse the caller for good."""
    rates("signup", "2/hour")
    monkeypatch.setattr(limits, "_count", None)  # calling it would raise TypeError
    client = caches["default"]._cache.get_client(write=True)
    client_class = type(client)
    scripts = []
    real_eval = client_class.eval

    def counted_eval(self, *args, **kwargs):
        scripts.append(args[0])
        return real_eval(self, *args, **kwargs)

    monkeypatch.setattr(client_class, "eval", counted_eval)
    answers = [limits.limits_wait(limits=[limits.SIGNUP], address="203.0.113.8") for _ in range(3)]

    assert answers[:2] == [None, None]
    assert 3500 < answers[2] <= 3600
    assert scripts == [limits.COUNT_SCRIPT] * 3
    key = caches["default"].make_and_validate_key(f"throttle_signup_{address_hash('203.0.113.8')}")
    assert 3500 < client.ttl(key) <= 3600
    assert cache.get(f"throttle_signup_{address_hash('203.0.113.8')}") % limits.COUNT_SCALE == 2
