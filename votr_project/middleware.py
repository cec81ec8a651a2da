"""Request ids, the Content-Security-Policy header, and the requests Votr refuses to read.

The first two sit first in MIDDLEWARE so that every response carries them, including
whitenoise's static files, the HTTPS redirect and error pages.
"""

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.http import parse_header_parameters
from django.utils.log import log_response

REQUEST_ID_HEADER = "X-Request-ID"
# Heroku's router sends a UUID; other proxies send their own shape. Anything else (too long,
# spaces, quotes, line breaks) would let a client forge or break log lines, so it is replaced.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,200}")

_current_request_id = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request being served in this thread, or "-" outside a request."""
    return _current_request_id.get()


class RequestIdMiddleware:
    """Take the router's X-Request-ID (or make one), echo it in the response, and stamp it on
    every log record written while the request is served (see RequestIdLogFilter).

    The one line per request is gunicorn's access log (gunicorn.conf.py), which prints the id
    from this response header; runserver prints its own.
    https://devcenter.heroku.com/articles/http-request-id
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs a 4xx/5xx response ("Not Found: /x") after the
        # middleware returns. request_finished, sent when the server closes the response, ends it.
        _current_request_id.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs):
    _current_request_id.set("-")


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record, so the log format can print it."""

    def filter(self, record):
        record.request_id = current_request_id()
        return True


# Django's technical 404 and 500 pages (django/views/templates/technical_*.html) carry this near
# the top; no page of Votr's does.
_DJANGO_DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def is_django_debug_page(response) -> bool:
    """Whether this is Django's own error page with its traceback or URL list, which exists
    only with DEBUG on and styles itself inline."""
    return (
        settings.DEBUG
        and response.status_code >= 400
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and _DJANGO_DEBUG_PAGE_MARK in response.content[:1024]
    )


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY on every response that does not set its own,
    except Django's debug error pages (development only), whose inline styles and scripts the
    policy would block.

    Django 5.2 has no CSP support of its own (6.0 adds it) and the policy is one fixed string,
    so this is all it takes. https://developer.mozilla.org/docs/Web/HTTP/CSP
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and not is_django_debug_page(response):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


# Votr's own addresses are short: 2,048 characters leave room for the admin's preserved filters
# and a login link's ?next=, while no error page echoes kilobytes of a client's address.
MAX_URL_LENGTH = 2048
# The bodies Votr reads: its forms (its pages are UTF-8, and Django reads form posts as UTF-8
# only) and the API's JSON (UTF-8 by RFC 8259).
_BODY_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "application/json"}
)
# No codec has this name, so Django ignores it and never decodes anything with it.
REFUSED_CHARSET = "x-votr-refused"


def declares_another_charset(content_type: str) -> bool:
    """Whether a Content-Type header names a charset other than UTF-8, or cannot be parsed.

    Spelled as Django checks form posts (`charset.lower() != "utf-8"`), so that whatever passes
    here never makes Django's request raise.
    """
    try:
        _, params = parse_header_parameters(content_type)
    except ValueError:  # an RFC 2231 parameter (charset*=…) naming an unknown charset
        return True
    charset = params.get("charset")
    return charset is not None and charset.lower() != "utf-8"


class UnreadableCharsetGuard:
    """WSGI middleware around Django (votr_project/wsgi.py): swaps a Content-Type charset other
    than UTF-8 for REFUSED_CHARSET before Django builds its request.

    Django builds the request, and decodes with the declared charset, before any Django
    middleware runs: `charset=base64` (a codec that is not a text encoding) raises there, and a
    form post declared `charset=utf-16` raises BadRequest on every read of request.POST, error
    views included (their CSRF check reads it again), so the error handlers recurse. Renamed,
    the charset is one Django ignores, and RequestLimitsMiddleware refuses the request in the
    site's look.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type and declares_another_charset(content_type):
            main_type = content_type.split(";", 1)[0].strip()
            environ["CONTENT_TYPE"] = f"{main_type}; charset={REFUSED_CHARSET}"
        return self.application(environ, start_response)


class RequestLimitsMiddleware:
    """Refuse, before any view or CSRF check reads it, a request Votr will not read: a URL longer
    than MAX_URL_LENGTH (414), or a form or JSON body declared in a charset other than UTF-8
    (400). The answer is short, in the site's look (JSON under /api/), and logged once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        url_length = len(request.META.get("PATH_INFO", "")) + len(
            request.META.get("QUERY_STRING", "")
        )
        if url_length > MAX_URL_LENGTH:
            return _refuse(
                request,
                status=414,
                template="414.html",
                detail=f"The address is too long (at most {MAX_URL_LENGTH} characters).",
                code="uri_too_long",
            )
        charset = request.content_params.get("charset")
        if (
            request.content_type in _BODY_TYPES
            and charset is not None
            and charset.lower() != "utf-8"
        ):
            return _refuse(
                request,
                status=400,
                template="400.html",
                detail="The request body must be UTF-8 (its Content-Type names another charset).",
                code="unsupported_charset",
            )
        return self.get_response(request)


def _refuse(request, *, status: int, template: str, detail: str, code: str) -> HttpResponse:
    if is_api_request(request):
        response = JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status)
    else:
        # Without the request, like Django's own 400 and 500 pages: nothing echoes the address.
        response = HttpResponse(loader.render_to_string(template), status=status)
    # One line, as for any 4xx; Django escapes the path, cut short so that an over-long URL
    # costs no more than any other.
    log_response(
        "%s (%s): %s",
        response.reason_phrase,
        code,
        request.path[:200],
        response=response,
        request=request,
    )
    return response


def is_api_request(request) -> bool:
    """Whether the request is for the API (answered in JSON), by the URL it resolves to."""
    try:
        return resolve(request.path_info).namespace == "api"
    except Resolver404:
        return False
