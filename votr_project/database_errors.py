"""A database that is down, hung or locked answers 503 with Retry-After; a write that breaks a
constraint (two requests racing for the same unique value) answers 409. Never a 500.

Both as JSON in the API's error shape under /api/ and as the site's page elsewhere, with one log
line each, not a traceback. DatabaseErrorMiddleware catches what views raise (DRF views map the
same errors in polls/api/errors.py); Django turns an exception raised inside a middleware
(sessions, authentication, messages) into a response before any outer middleware sees it, so
handler500 (votr_project/urls.py) sorts those out too.
"""

import logging
import sys

from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from votr_project.middleware import is_api_request

logger = logging.getLogger(__name__)

UNAVAILABLE = (OperationalError, InterfaceError)
HANDLED = (IntegrityError, *UNAVAILABLE)
RETRY_AFTER_SECONDS = 10
UNAVAILABLE_MESSAGE = "Votr is briefly unavailable. Please try again in a few seconds."
CONFLICT_MESSAGE = (
    "This change conflicts with another one made at the same moment. Reload the page and try again."
)


def unavailable_response(request) -> HttpResponse:
    if is_api_request(request):
        body = {"detail": UNAVAILABLE_MESSAGE, "code": "service_unavailable", "errors": {}}
        response = JsonResponse(body, status=503)
    else:
        # No request and so no context processors: `user` and `messages` would read the
        # session and the user from the database that just failed. The page shows the
        # signed-out header.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def conflict_response(request) -> HttpResponse:
    if is_api_request(request):
        body = {"detail": CONFLICT_MESSAGE, "code": "conflict", "errors": {}}
        return JsonResponse(body, status=409)
    return HttpResponse(loader.render_to_string("409.html", request=request), status=409)


def response_for(request, exception) -> HttpResponse | None:
    """The 503 or 409 for a database error, logged in one line; None for anything else."""
    if isinstance(exception, IntegrityError):
        response = conflict_response(request)
    elif isinstance(exception, UNAVAILABLE):
        response = unavailable_response(request)
    else:
        return None
    log_once(request, response, exception)
    return response


def log_once(request, response, exception) -> None:
    """One line for the failure, in place of Django's own line for the response."""
    # The exception's text can name the database host; its type and the path tell enough.
    logger.warning(
        "%s %r answered %d: %s",
        request.method,
        request.path,
        response.status_code,
        type(exception).__name__,
    )
    response._has_been_logged = True


class DatabaseErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return response_for(request, exception)


def handler500(request):
    """Django's 500 page, unless the exception being handled is a database error."""
    response = response_for(request, sys.exc_info()[1])
    return response or defaults.server_error(request)
