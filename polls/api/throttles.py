"""The API's throttles: Django REST framework's hooks onto polls/services/limits.py, which decides
for the API and the page forms alike (same scopes, same counts, same failure behaviour). Rates:
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]; clients are told when to come back in Retry-After."""

from rest_framework.throttling import BaseThrottle

from polls.services import limits


class LimitThrottle(BaseThrottle):
    limit: limits.Limit

    def allow_request(self, request, view):
        self._wait = limits.limits_wait(
            limits=[self.limit], user=request.user, address=self.get_ident(request)
        )
        return self._wait is None

    def get_ident(self, request):
        return limits.client_address(meta=request.META)

    def wait(self):
        return self._wait


class AnonymousRateThrottle(LimitThrottle):
    """The "anon" rate: every request of an anonymous caller, per address."""

    limit = limits.ANON


class SignedInRateThrottle(LimitThrottle):
    """The "user" rate, for signed-in callers only: anonymous ones are counted once, by
    AnonymousRateThrottle, rather than twice by address."""

    limit = limits.SIGNED_IN


class VoteThrottle(LimitThrottle):
    limit = limits.VOTES


class AnonymousVoteThrottle(LimitThrottle):
    """The "anon_votes" rate: votes without an account, per (hashed) address."""

    limit = limits.ANONYMOUS_VOTES


class PollCreateThrottle(LimitThrottle):
    limit = limits.POLL_CREATE


class SignUpThrottle(LimitThrottle):
    """Per client address, signed in or not: accounts are what a spammer makes in bulk."""

    limit = limits.SIGNUP
