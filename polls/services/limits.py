"""Rate limits on the writes worth abusing: the one decision the page forms and the API share.

Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings.py, each from a DJANGO_THROTTLE_*
variable), "<number>/<second|minute|hour|day>". Counts live in the shared cache under Django REST
framework's throttle keys, so a page form and its API twin (polls/api/throttles.py, which calls
limits_wait) count together: same scope, same key. The client's address is read by one rule
(client_address), for both faces.

Each key holds a fixed window's count, opened by its first request, with the window's start
(for Retry-After) in the same integer, changed only atomically: by one script on Redis
(COUNT_SCRIPT, one round trip), by add and incr on the database cache (votr_project/cache.py);
never a list read and written back, so N requests in flight cannot each find the same free place
and multiply the limit by N.

When the cache cannot be reached (Redis down, or hung past its socket timeout), requests are let
through rather than refused or answered with a 500: a cache outage must not take the site down,
and the limits come back with the cache. The first failure is logged, and the cache is not tried
again for CACHE_DOWN_PAUSE_SECONDS in this process, so a hung Redis costs one socket timeout per
pause rather than one per request.
"""

import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError, ResponseError

from .voters import address_hash

# The API's throttles log as they always did: one logger for the one decision.
logger = logging.getLogger("polls.api.throttles")

CACHE_DOWN_PAUSE_SECONDS = 10
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A count's value is one integer, so that the cache can add to it atomically: the second its
# window opened (Unix time) times COUNT_SCALE, plus the requests counted in it.
COUNT_SCALE = 1_000_000


class _CacheDown:
    until = 0.0  # time.monotonic() before which limits let requests through untried


@dataclass(frozen=True)
class Limit:
    """A rate (`scope`) counted per "user" (the account, else the address), per "signed_in"
    account (anonymous callers are not counted), per "anonymous" caller's address (accounts
    are not counted), per client "address", or per "email" the request names (a digest of it,
    never the address). An address is counted under its keyed hash (an IPv6 address by its
    /64, polls.services.voters.address_hash): no key in the cache holds an address."""

    scope: str
    per: str
    key_format: str = "throttle_%(scope)s_%(ident)s"  # DRF's SimpleRateThrottle.cache_format


ANON = Limit("anon", per="anonymous")
SIGNED_IN = Limit("user", per="signed_in")
VOTES = Limit("votes", per="user")
# Ballots without an account, per address on top of VOTES: what slows ballot stuffing in
# polls that take them.
ANONYMOUS_VOTES = Limit("anon_votes", per="anonymous")
# The vote form's proof-of-work challenges, per address.
CHALLENGES = Limit("challenges", per="address")
POLL_CREATE = Limit("poll_create", per="user")
# Accounts are what a spammer makes in bulk: per address, signed in or not.
SIGNUP = Limit("signup", per="address")
PASSWORD_RESET = Limit("password_reset", per="address")
# Reset emails asked for one address, from wherever: nobody can flood a victim's inbox.
PASSWORD_RESET_TARGET = Limit(
    "password_reset", per="email", key_format="throttle_%(scope)s_to_%(ident)s"
)


def client_address(*, meta: Mapping) -> str | None:
    """The client's address: the X-Forwarded-For entry REST_FRAMEWORK["NUM_PROXIES"] places
    from the right (each trusted proxy appends the address it saw); with 0, the TCP peer, so a
    client's own header never changes it (Django REST framework's rule, for both faces)."""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    remote_addr = meta.get("REMOTE_ADDR")
    hops = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    if hops is not None:
        if hops == 0 or forwarded is None:
            return remote_addr
        addresses = forwarded.split(",")
        return addresses[-min(hops, len(addresses))].strip()
    return "".join(forwarded.split()) if forwarded else remote_addr


def _ident(limit: Limit, *, user, address: str | None, email: str) -> str | None:
    signed_in = user is not None and user.is_authenticated
    if limit.per == "signed_in":
        return str(user.pk) if signed_in else None
    if limit.per == "anonymous":
        return None if signed_in else address_hash(address) or None
    if limit.per == "user" and signed_in:
        return str(user.pk)
    if limit.per == "email":
        email = email.strip().casefold() if isinstance(email, str) else ""
        return hashlib.sha256(email.encode()).hexdigest() if email else None
    return address_hash(address) or None


def _rate(scope: str) -> tuple[int, int] | None:
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(scope)
    if rate is None:
        return None
    number, period = rate.split("/")
    return int(number), PERIODS[period[0]]


def _until_window_ends(*, value: int, now: float, duration: int) -> float:
    return min(max(value // COUNT_SCALE + duration - now, 0.001), duration)


def _count(*, key: str, number: int, duration: int) -> float | None:
    """Count one request under `key` if its window has room (None), else the seconds until the
    window ends. A window opens at the first request counted and lasts `duration`; its value
    (see COUNT_SCALE) changes only by the cache's atomic add and incr, so parallel requests can
    never both take the last place. Two round trips (a read, then an add or an increment);
    one when it refuses."""
    now = time.time()
    for _attempt in range(2):
        value = cache.get(key)
        if value is not None and not isinstance(value, int):
            cache.delete(key)  # a history list an older release wrote
            value = None
        if value is not None and value % COUNT_SCALE >= number:
            return _until_window_ends(value=value, now=now, duration=duration)
        opening = math.ceil(now) * COUNT_SCALE + 1
        if value is None and cache.add(key, opening, duration):
            value = opening
        else:
            try:
                value = cache.incr(key)
            except ValueError:  # the window ended between the read and the increment
                continue
        if value % COUNT_SCALE <= number:
            return None
        # Another request took the last place: undo, so that only allowed requests count.
        with contextlib.suppress(ValueError):
            cache.decr(key)
        return _until_window_ends(value=value, now=now, duration=duration)
    return None


# _count on Redis, as one script Redis runs atomically: open the window if there is none (its
# start, a count of 0, and its expiry), count the request, and undo the count at once when it
# is over the limit, so only allowed requests count and the key never outlives its window (an
# undo sent separately could land after the key expired and leave a count without expiry).
# Lua numbers are doubles: a count's value (about 1.8e15) is exact below 2**53.
COUNT_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX')
local value = redis.call('INCR', KEYS[1])
if value % tonumber(ARGV[3]) > tonumber(ARGV[4]) then
    redis.call('DECR', KEYS[1])
end
return value
"""


def _count_on_redis(*, key: str, number: int, duration: int) -> float | None:
    """_count in one round trip on Redis (COUNT_SCRIPT)."""
    now = time.time()
    redis_cache = caches["default"]
    redis_key = redis_cache.make_and_validate_key(key)
    client = redis_cache._cache.get_client(redis_key, write=True)  # Django's redis-py client
    opening = math.ceil(now) * COUNT_SCALE
    for attempt in range(2):
        try:
            value = client.eval(COUNT_SCRIPT, 1, redis_key, opening, duration, COUNT_SCALE, number)
            break
        except ResponseError:
            if attempt:
                raise
            client.delete(redis_key)  # not an integer: a history list an older release wrote
    if value % COUNT_SCALE <= number:
        return None
    return _until_window_ends(value=value, now=now, duration=duration)


def limits_wait(
    *, limits: Iterable[Limit], user=None, address: str | None = None, email: str = ""
) -> float | None:
    """Seconds before this request may be tried again, or None when every limit allows it.

    As in Django REST framework's own check, every limit is asked, and each counts the request
    only if it allows it. A limit without a rate, or without anyone to count (an anonymous
    caller for SIGNED_IN, no email for PASSWORD_RESET_TARGET), allows it."""
    if time.monotonic() < _CacheDown.until:
        return None
    waits = []
    try:
        for limit in limits:
            rate = _rate(limit.scope)
            ident = _ident(limit, user=user, address=address, email=email)
            if rate is None or ident is None:
                continue
            key = limit.key_format % {"scope": limit.scope, "ident": ident}
            # caches["default"], not `cache`: that is a proxy, never an instance of a backend.
            count = _count_on_redis if isinstance(caches["default"], RedisCache) else _count
            wait = count(key=key, number=rate[0], duration=rate[1])
            if wait is not None:
                waits.append(wait)
    except RedisError as error:
        _CacheDown.until = time.monotonic() + CACHE_DOWN_PAUSE_SECONDS
        logger.warning(
            "throttles: the cache is unreachable (%s); requests are let through unlimited for %d s",
            type(error).__name__,
            CACHE_DOWN_PAUSE_SECONDS,
        )
        return None
    return max(waits, default=None)
