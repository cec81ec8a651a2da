"""One shape for every API error, whatever raised it:

    {"detail": "<a sentence for people>", "code": "<for programs>", "errors": {"<field>": ["…"]}}

`errors` holds per-field messages when fields are at fault and is empty otherwise.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from polls.services import (
    AlreadyVoted,
    BrowserNotKnown,
    ChoicesExpected,
    DuplicateChoice,
    InviteCodeNeeded,
    InviteCodeRefused,
    InviteCodeRevoked,
    InviteCodeUsed,
    NameRefused,
    NameRequired,
    NotAllowed,
    NotVoted,
    OptionNotInPoll,
    PollClosed,
    RankAllRequired,
    RankGap,
    RankingExpected,
    RankingNotExpected,
    RankRepeated,
    TooFewChoices,
    TooManyChoices,
    VoteChangeNotAllowed,
    VoteRefused,
    capped_messages,
)
from votr_project import database_errors

from .parsers import RequestTooLarge

NON_FIELD = "non_field_errors"
# The codes of refused choices: a 400 keeps them as its code, where other field errors are
# "invalid".
CHOICE_CODES = frozenset(
    cls.code
    for cls in (
        OptionNotInPoll,
        DuplicateChoice,
        TooFewChoices,
        TooManyChoices,
        ChoicesExpected,
        RankingExpected,
        RankingNotExpected,
        RankRepeated,
        RankGap,
        RankAllRequired,
        NameRefused,
        NameRequired,
    )
) | {"challenge_failed"}
NOT_ALLOWED = "not_allowed"
# Every `code` an API answer can hold, published as the Error schema's enum (a test holds this
# list to the exception classes and middleware that answer).
ERROR_CODES = (
    # 400
    "invalid",
    OptionNotInPoll.code,
    DuplicateChoice.code,
    TooFewChoices.code,
    TooManyChoices.code,
    ChoicesExpected.code,
    RankingExpected.code,
    RankingNotExpected.code,
    RankRepeated.code,
    RankGap.code,
    RankAllRequired.code,
    NameRefused.code,
    NameRequired.code,
    "challenge_failed",
    "parse_error",
    "invalid_credentials",
    # 401, 403
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    NOT_ALLOWED,
    BrowserNotKnown.code,
    InviteCodeNeeded.code,
    InviteCodeRefused.code,
    InviteCodeUsed.code,
    InviteCodeRevoked.code,
    # 404, 405, 406
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    # 409
    "conflict",
    AlreadyVoted.code,
    PollClosed.code,
    VoteChangeNotAllowed.code,
    NotVoted.code,
    # 413, 414, 415
    "too_large",
    "uri_too_long",
    "unsupported_media_type",
    "unsupported_charset",
    # 429, 503
    "throttled",
    "locked_out",
    "service_unavailable",
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = database_errors.UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"
    wait = database_errors.RETRY_AFTER_SECONDS  # DRF sends it as Retry-After


class LockedOut(exceptions.Throttled):
    default_detail = "Too many failed logins. Try again later."
    default_code = "locked_out"


def _messages(detail, prefix: str = "") -> list[str]:
    """Flatten DRF's nested error details (lists, {index: …} for list items) into sentences."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            label = f"Item {int(key) + 1}: " if isinstance(key, int) else f"{key}: "
            found += _messages(value, prefix + label)
        return found
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item, prefix)]
    return [f"{prefix}{detail}"]


def _field_errors(detail) -> dict[str, list[str]]:
    """Messages per field, a handful at most for each."""
    if isinstance(detail, dict):
        return {str(field): capped_messages(_messages(value)) for field, value in detail.items()}
    return {NON_FIELD: capped_messages(_messages(detail))}


def _translate(exc):
    """Domain errors (polls/services/) and Django's, as the API exception they mean."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail)
    if isinstance(exc, OptionNotInPoll):
        return exceptions.ValidationError({"option": [exc.message]}, code=exc.code)
    if isinstance(exc, VoteRefused):
        return Conflict(exc.message, code=exc.code)
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(exc.message, code=NOT_ALLOWED)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, IntegrityError):
        return Conflict(database_errors.CONFLICT_MESSAGE)
    if isinstance(exc, database_errors.UNAVAILABLE):
        return DatabaseUnavailable()
    return exc


def exception_handler(exc, context):
    database_error = exc if isinstance(exc, database_errors.HANDLED) else None
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not a client error: Django's 500 handling, logged
    if database_error is not None:
        database_errors.log_once(context["request"], response, database_error)
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        codes = exc.get_codes()
        first_code = next(iter(_flat_codes(codes)), "invalid")
        code = first_code if first_code in CHOICE_CODES else "invalid"
        messages = [
            message if field == NON_FIELD else f"{field}: {message}"
            for field, field_messages in errors.items()
            for message in field_messages
        ]
        if len(messages) == 1:
            detail = messages[0]
        else:
            detail = f"The request has {len(messages)} problems; see errors."
        response.data = {"detail": detail, "code": code, "errors": errors}
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"detail": str(detail), "code": str(code), "errors": {}}
    return response


def _flat_codes(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            yield from _flat_codes(value)
    elif isinstance(codes, list):
        for value in codes:
            yield from _flat_codes(value)
    else:
        yield codes
