"""No raw address is stored by the vote path (issue 14): after votes from distinctive IPv4
and IPv6 addresses, sent as the TCP peer and through X-Forwarded-For, no table of the
database, no key or value of the cache and no log line of the votes holds any of them.

The faces: a signed-in vote by the page and by the API; a vote without an account by the
page and the API as they stand (they may still refuse one: the pages and API of issue 14 are
being built on other branches, and whatever they do, this test searches afterwards); and a
vote without an account in every mode, driven as the faces will drive it: the request read by
polls.voter_requests.request_voter, the vote limits asked with limits.limits_wait, then
services.vote_cast."""

import base64
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from polls import services
from polls.models import Ballot, VoterMode
from polls.services import limits
from polls.voter_requests import browser_cookie_needed, request_voter

from .conftest import DATABASE_CACHE, cache_is_redis
from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

ROUTER = "10.77.66.55"  # the trusted proxy (Heroku's router) that appends the client's address
IPV4 = "203.0.113.77"
IPV6 = "2001:db8:85a3:4d2:9:8a2e:370:7334"
IPV6_NETWORK = "2001:db8:85a3:4d2::"  # its /64, what address_hash groups by: not stored either
FORGED = "192.0.2.201"  # what a client writes into X-Forwarded-For itself
NEEDLES = (ROUTER, IPV4, IPV6, IPV6_NETWORK, FORGED)

# The ways a request names its address: the TCP peer with no proxy, then through one proxy.
DIRECT = [{"REMOTE_ADDR": IPV4}, {"REMOTE_ADDR": IPV6}]
PROXIED = [
    {"REMOTE_ADDR": ROUTER, "HTTP_X_FORWARDED_FOR": f"{FORGED}, {IPV4}"},
    {"REMOTE_ADDR": ROUTER, "HTTP_X_FORWARDED_FOR": f"{FORGED}, {IPV6}"},
]


@pytest.fixture(
    params=[pytest.param("database", id="database"), pytest.param("redis", marks=pytest.mark.redis)]
)
def searched_cache(request, db):
    """The cache the votes' throttle counts land in: the database cache table, or Redis."""
    if request.param == "redis":
        assert cache_is_redis()
        cache.clear()
        yield "redis"
        return
    with override_settings(CACHES=DATABASE_CACHE):
        cache.clear()
        yield "database"


@pytest.fixture(params=["direct", "proxied"])
def addresses(request, settings) -> list[dict]:
    settings.VOTR_CHALLENGE_DIFFICULTY = 0
    if request.param == "direct":
        return DIRECT
    settings.TRUSTED_PROXY_HOPS = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    return PROXIED


def found_in(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in text]


def _decoded(value) -> str:
    """A stored value as text, and what it hides: a database cache value is a base64 pickle."""
    text = value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
    try:
        hidden = base64.b64decode(text, validate=True).decode("latin-1")
    except ValueError:
        return text
    return f"{text}\n{hidden}"


def database_holdings() -> dict[str, list[str]]:
    """Each table.column (every column of every table that introspection lists, read as text)
    holding a needle; a session's data is read decoded."""
    held: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            # Every column, whatever its type, as the database describes the rows it returns
            # (SQLite's get_table_description trips on the DDL of some of Votr's tables).
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = _decoded(value)
                    if table == "django_session" and column == "session_data":
                        text += str(SessionStore().decode(value))
                    if found := found_in(text):
                        held.setdefault(f"{table}.{column}", []).extend(found)
    return held


def redis_holdings() -> list[str]:
    client = cache._cache.get_client()
    held = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key)]
        elif kind == "hash":
            values = [*client.hgetall(key).keys(), *client.hgetall(key).values()]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        else:
            values = []
        for part in [key, *values]:
            held.extend(found_in(_decoded(part or b"")))
    return held


def vote_without_account(poll, meta: dict, **voter) -> Ballot:
    """A vote without an account as the faces cast one: who the request is, its vote limits
    (counted under a hash of its address), then the service."""
    request = RequestFactory().post("/", **meta)
    request.user = AnonymousUser()
    browser_cookie_needed(request)  # as the poll's page does: a browser poll's voter cookie
    voter_ = request_voter(request, **voter)
    waited = limits.limits_wait(
        limits=[limits.VOTES, limits.ANONYMOUS_VOTES], user=request.user, address=voter_.address
    )
    assert waited is None
    return services.vote_cast(poll=poll, voter=voter_, option_id=poll.options.first().pk)


def test_no_raw_address_is_stored_or_logged_by_the_vote_path(
    searched_cache, addresses, client, caplog
):
    browser_poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names="optional")
    open_poll = PollFactory(voter_mode=VoterMode.OPEN)
    code_poll = PollFactory(voter_mode=VoterMode.CODE)
    codes = services.invite_codes_create(poll=code_poll, by=code_poll.author, count=2)
    account_poll = PollFactory()
    signed_in = UserFactory()
    api = APIClient()
    api.force_authenticate(UserFactory())

    with caplog.at_level(logging.DEBUG):
        for number, meta in enumerate(addresses):
            # Without an account, every mode, as the faces will cast them.
            vote_without_account(browser_poll, meta, name=f"Voter {number}")
            vote_without_account(open_poll, meta)
            vote_without_account(code_poll, meta, code=codes[number].code)
            # Without an account through the faces as they stand (refused or cast).
            for poll in (browser_poll, open_poll):
                option = poll.options.last().pk
                client.post(
                    reverse("polls:vote", args=[poll.public_id]), {"option": option}, **meta
                )
                APIClient().post(
                    reverse("api:poll-votes", args=[poll.public_id]),
                    {"option": option},
                    format="json",
                    **meta,
                )
        # Signed in, by the page and by the API.
        client.force_login(signed_in)
        client.post(
            reverse("polls:vote", args=[account_poll.public_id]),
            {"option": account_poll.options.first().pk},
            **addresses[0],
        )
        response = api.post(
            reverse("api:poll-votes", args=[open_poll.public_id]),
            {"option": open_poll.options.first().pk},
            format="json",
            **addresses[1],
        )
        assert response.status_code in (201, 409), response.content

    # The votes happened, under hashes of the addresses.
    hashed = Ballot.objects.exclude(address_hash="").values_list("address_hash", flat=True)
    assert len(hashed) >= 3 * len(addresses)
    assert Ballot.objects.filter(poll=account_poll, voter=signed_in).exists()

    # The throttles counted the votes without an account, each under a hashed address.
    anonymous_keys = f"throttle_anon_votes_{hashed[0]}"
    if searched_cache == "redis":
        keys = [key.decode() for key in cache._cache.get_client().scan_iter()]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM votr_cache")
            keys = [key for (key,) in cursor.fetchall()]
    assert any(key.endswith(anonymous_keys) for key in keys), keys

    assert database_holdings() == {}
    if searched_cache == "redis":
        assert redis_holdings() == []
    assert found_in(caplog.text) == []


def test_the_search_finds_an_address_where_one_is_stored(searched_cache):
    """The search itself works: an address put in a table, a cache value and a key is found."""
    poll = PollFactory(description=f"Written from {IPV4}")
    cache.set(f"seen-{IPV6}", {"from": FORGED})
    held = database_holdings()
    assert held.get("polls_poll.description") == [IPV4]
    if searched_cache == "redis":
        assert sorted(redis_holdings()) == sorted([IPV6, FORGED])
    else:
        assert sorted(sum(held.values(), [])) == sorted([IPV4, IPV6, FORGED])
    assert poll.pk
