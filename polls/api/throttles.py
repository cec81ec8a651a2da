"""Tighter limits on the writes worth abusing. Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(settings.py, each from a DJANGO_THROTTLE_* variable). Counts live in the shared cache; clients
are told when to come back in Retry-After."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class SignedInRateThrottle(UserRateThrottle):
    """The "user" rate, for signed-in callers only: anonymous ones are counted once, by
    AnonRateThrottle, rather than twice by address."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class VoteThrottle(UserRateThrottle):
    scope = "votes"


class PollCreateThrottle(UserRateThrottle):
    scope = "poll_create"


class SignUpThrottle(SimpleRateThrottle):
    """Per client address, signed in or not: accounts are what a spammer makes in bulk."""

    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
