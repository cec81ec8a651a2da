"""Tighter limits on the writes worth abusing, for the API and the page forms alike. Rates:
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings.py, each from a DJANGO_THROTTLE_* variable).
Counts live in the shared cache, so a page form and its API twin count together (same scope,
same key); clients are told when to come back in Retry-After.

When the cache cannot be reached (Redis down, or hung past its socket timeout), requests are let
through rather than refused or answered with a 500: a cache outage must not take the site down,
and the limits come back with the cache. The first failure is logged, and the cache is not tried
again for CACHE_DOWN_PAUSE_SECONDS in this process, so a hung Redis costs one socket timeout per
pause rather than one per request."""

import hashlib
import logging
import time

from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

CACHE_DOWN_PAUSE_SECONDS = 10


class _CacheDown:
    until = 0.0  # time.monotonic() before which throttles let requests through untried


class FailOpenMixin:
    def allow_request(self, request, view):
        if time.monotonic() < _CacheDown.until:
            return True
        try:
            return super().allow_request(request, view)
        except RedisError as error:
            _CacheDown.until = time.monotonic() + CACHE_DOWN_PAUSE_SECONDS
            logger.warning(
                "throttles: the cache is unreachable (%s); requests are let through unlimited "
                "for %d s",
                type(error).__name__,
                CACHE_DOWN_PAUSE_SECONDS,
            )
            return True


class AnonymousRateThrottle(FailOpenMixin, AnonRateThrottle):
    """The "anon" rate: every request of an anonymous caller, per address."""


class SignedInRateThrottle(FailOpenMixin, UserRateThrottle):
    """The "user" rate, for signed-in callers only: anonymous ones are counted once, by
    AnonymousRateThrottle, rather than twice by address."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class VoteThrottle(FailOpenMixin, UserRateThrottle):
    scope = "votes"


class PollCreateThrottle(FailOpenMixin, UserRateThrottle):
    scope = "poll_create"


class SignUpThrottle(FailOpenMixin, SimpleRateThrottle):
    """Per client address, signed in or not: accounts are what a spammer makes in bulk."""

    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetThrottle(SignUpThrottle):
    """Reset emails asked for from one client address."""

    scope = "password_reset"


class PasswordResetTargetThrottle(FailOpenMixin, SimpleRateThrottle):
    """Reset emails asked for one address, from wherever: nobody can flood a victim's inbox.
    Same rate as PasswordResetThrottle, a count of its own; the key holds a digest of the
    address, never the address."""

    scope = "password_reset"
    cache_format = "throttle_%(scope)s_to_%(ident)s"

    def get_cache_key(self, request, view):
        email = request.POST.get("email", "").strip().casefold()
        if not email:
            return None
        digest = hashlib.sha256(email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


def throttle_wait(request, throttles, view=None) -> float | None:
    """Seconds before `request` may be tried again, or None when every throttle allows it.

    As in DRF's own check (APIView.check_throttles), every throttle is asked, and each counts
    the request only if it allows it."""
    refused = [throttle for throttle in throttles if not throttle.allow_request(request, view)]
    if not refused:
        return None
    return max(throttle.wait() or throttle.duration for throttle in refused)
