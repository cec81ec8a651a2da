"""Request ids and the Content-Security-Policy header.

Both sit first in MIDDLEWARE so that every response carries them, including whitenoise's static
files, the HTTPS redirect and error pages.
"""

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

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


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY on every response that does not set its own.

    Django 5.2 has no CSP support of its own (6.0 adds it) and the policy is one fixed string,
    so this is all it takes. https://developer.mozilla.org/docs/Web/HTTP/CSP
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
