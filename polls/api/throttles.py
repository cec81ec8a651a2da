"""Tighter limits on the writes worth abusing. Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(settings.py, each from a DJANGO_THROTTLE_* variable). Counts live in the shared cache; clients
are told when to come back in Retry-After."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class VoteThrottle(UserRateThrottle):
    scope = "votes"


class PollCreateThrottle(UserRateThrottle):
    scope = "poll_create"


class SignUpThrottle(SimpleRateThrottle):
    """Per client address, signed in or not: accounts are what a spammer makes in bulk."""

    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
