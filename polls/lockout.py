"""How django-axes names the client of a failed login (settings: "Login lockout")."""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render


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


def lockout_response(request, original_response, credentials):
    """The locked-out page, with the wait in whole minutes (status 429, Too Many Requests)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    context = {"failure_limit": get_failure_limit(request, credentials), "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, minus its demand for a request.

    Every login over HTTP (the site, the admin, the API token endpoint) passes its request and is
    counted. An authenticate() call without one (Django's test client `login()`, a shell) comes
    from no client that could be locked out, so it is left to the next backend instead of
    raising an error.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
