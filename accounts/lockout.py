"""How django-axes names the client of a failed login (settings: "Login lockout"), and the
activation page's use of the same count."""

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed


def username_from_credentials(request, credentials) -> str | None:
    """Usernames are unique ignoring case, so "Admin" and "admin" share one failure count."""
    if credentials:
        username = credentials.get("username")
    else:
        username = request.POST.get("username") if request is not None else None
    return username.casefold() if isinstance(username, str) else username


def client_ip(request) -> str | None:
    """The address that reached the first trusted proxy, or the TCP peer with no proxy.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the client's is the
    entry TRUSTED_PROXY_HOPS from the right; entries further left are whatever the client sent.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def is_locked_out(request, *, username: str) -> bool:
    """Whether logging in as `username` from this client is paused now."""
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def login_failed(request, *, username: str) -> None:
    """Count a wrong password given outside authenticate() (the activation page) as a failed
    login; a lockout it causes is answered by django-axes' middleware."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' standalone backend, minus its demand for a request.

    AxesStandaloneBackend raises AxesBackendRequestParameterRequired (a ValueError, which
    authenticate() does not catch) when called without a request, as Django's test client
    `login()` and a shell do. Such a call comes from no client that could be locked out, so it
    is left to the next backend. Every login over HTTP (the site, the admin, the API token
    endpoint) passes its request and is counted.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
