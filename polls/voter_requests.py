"""Who a request votes as, for both faces (pages and API): the signed-in user, the browser's
value from Votr's signed, HTTP-only voter cookie, the invite code it sends, the client's
address and the name it typed, as a polls.services.voters.Voter. The services decide what
each poll makes of them.

The voter cookie is given by the page of a one-vote-per-browser poll (`browser_cookie_set`)
and read back on every request; a value that is missing, unsigned or tampered with is no
browser at all. The code comes from the request's `code` (a form field, a query parameter of
the invite link, or the API's body).
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from .models import INVITE_CODE_PATTERN
from .services import Voter, browser_identity, code_identity
from .services.limits import client_address

VOTER_COOKIE = "votr_voter"
VOTER_COOKIE_SALT = "polls.voter_requests.browser"
VOTER_COOKIE_MAX_AGE = timedelta(days=400)  # the longest a browser keeps a cookie
BROWSER_VALUE_BYTES = 16
BROWSER_VALUE = re.compile(r"[A-Za-z0-9_-]{22}")
INVITE_CODE = re.compile(INVITE_CODE_PATTERN)


def request_browser(request: HttpRequest) -> str | None:
    """The browser's value from its voter cookie, None when it has none that Votr signed."""
    browser = request.get_signed_cookie(VOTER_COOKIE, default=None, salt=VOTER_COOKIE_SALT)
    if browser is None:
        return getattr(request, "_votr_new_browser", None)
    return browser if BROWSER_VALUE.fullmatch(browser) else None


def request_code(value) -> str | None:
    """An invite code as sent (`value`: a form field, query parameter or JSON value), None
    for anything that cannot be one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if INVITE_CODE.fullmatch(value) else None


def request_voter(request: HttpRequest, *, code=None, name=None, hide_name: bool = False) -> Voter:
    """The Voter this request votes as, with the invite `code` and `name` it sent."""
    return Voter(
        user=request.user,
        browser=request_browser(request),
        code=request_code(code),
        address=client_address(meta=request.META),
        name=name if isinstance(name, str) else "",
        hide_name=hide_name is True,
    )


def viewer_identities(request: HttpRequest, *, code=None) -> tuple[str, ...]:
    """The ballot identities, beyond the signed-in account's, that this request may hold: its
    browser's and its invite code's (PollQuerySet.with_choice_of reads their ballots)."""
    identities = []
    if (code := request_code(code)) is not None:
        identities.append(code_identity(code))
    if (browser := request_browser(request)) is not None:
        identities.append(browser_identity(browser))
    return tuple(identities)


def browser_cookie_needed(request: HttpRequest) -> None:
    """Give this browser a voter cookie if it has none: the page of a one-vote-per-browser poll
    calls it before reading the viewer's ballot, and browser_cookie_set then sets it on the
    response."""
    if request_browser(request) is None:
        request._votr_new_browser = secrets.token_urlsafe(BROWSER_VALUE_BYTES)


def browser_cookie_set(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Set the voter cookie on `response` when browser_cookie_needed chose a new value."""
    browser = getattr(request, "_votr_new_browser", None)
    if browser is not None:
        response.set_signed_cookie(
            VOTER_COOKIE,
            browser,
            salt=VOTER_COOKIE_SALT,
            max_age=VOTER_COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
