"""The pure checks of a poll's words and closing time, shared by poll_create and poll_reword
(and by any form that wants the same answer before writing)."""

from datetime import datetime

from django.utils import timezone

from ..labels import label_key
from ..models import (
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MAX_POLL_DURATION,
    MIN_OPTIONS,
    MIN_POLL_DURATION,
    TITLE_MAX_LENGTH,
    Option,
    Poll,
)
from .errors import TOO_FEW_OPTIONS, capped_messages, too_many_options


def _text_errors(value: str, *, what: str, max_length: int) -> list[str]:
    if not value:
        return [f"{what} cannot be blank."]
    if len(value) > max_length:
        return [f"{what} must be at most {max_length} characters (it has {len(value)})."]
    if "\x00" in value:
        return [f"{what} contains a character that is not allowed."]
    return []


def _closing_time_errors(closes_at: datetime, *, now: datetime) -> list[str]:
    if timezone.is_naive(closes_at):
        return ["The closing time must include a time zone."]
    if closes_at < now + MIN_POLL_DURATION:
        return ["The closing time must be at least 1 minute from now."]
    if closes_at > now + MAX_POLL_DURATION:
        return ["The closing time must be at most 30 days from now."]
    return []


def _clean_option_labels(option_labels) -> tuple[list[str], list[str]]:
    """The labels trimmed, and what is wrong with them. Labels are the same label when their
    polls.labels.label_key is (the key Option's unique constraint holds). A list longer than
    MAX_OPTIONS is refused on its length alone, before any label is looked at, and at most
    MAX_MESSAGES_PER_FIELD messages are returned."""
    if isinstance(option_labels, str) or not isinstance(option_labels, list | tuple):
        return [], ["Give the options as a list of labels."]
    if len(option_labels) > MAX_OPTIONS:
        return [], [too_many_options(len(option_labels))]
    labels = [label.strip() if isinstance(label, str) else label for label in option_labels]
    errors = []
    if len(labels) < MIN_OPTIONS:
        errors.append(TOO_FEW_OPTIONS)
    seen = set()
    for number, label in enumerate(labels, start=1):
        if not isinstance(label, str):
            errors.append(f"Option {number} must be text.")
            continue
        label_errors = _text_errors(label, what=f"Option {number}", max_length=LABEL_MAX_LENGTH)
        errors += label_errors
        if label_errors:
            continue
        key = label_key(label)
        if not key:
            errors.append(f"Option {number} cannot be blank.")
        elif key in seen:
            errors.append(f'Option {number} ("{label}") is already in this poll.')
        seen.add(key)
    return labels, capped_messages(errors)


WORDING_FIXED = "Somebody has voted in this poll: its wording can no longer change."


def _without_empty(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {field: messages for field, messages in errors.items() if messages}


def closing_time_errors(*, closes_at: datetime, now: datetime | None = None) -> list[str]:
    """What poll_create and poll_reschedule say about `closes_at` (1 minute to 30 days away)."""
    return _closing_time_errors(closes_at, now=now or timezone.now())


def poll_errors(
    *, title, option_labels, closes_at: datetime, now: datetime | None = None
) -> dict[str, list[str]]:
    """What poll_create would refuse, per field (`title`, `options`, `closes_at`), written
    nowhere: a form calls it from clean() and leaves the write to its save."""
    title = title.strip() if isinstance(title, str) else ""
    _, option_errors = _clean_option_labels(option_labels)
    return _without_empty(
        {
            "title": _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH),
            "options": option_errors,
            "closes_at": _closing_time_errors(closes_at, now=now or timezone.now()),
        }
    )


def poll_wording_errors(
    *, poll: Poll, title: str | None = None, labels: dict[int, str] | None = None
) -> dict[str, list[str]]:
    """What poll_reword would refuse, per field (`title`, `options`), read without a lock and
    written nowhere; poll_reword checks again under its lock when it writes."""
    options = list(Option.objects.filter(poll_id=poll.pk))
    if any(option.votes for option in options) or poll.ballots.exists():
        return {"options": [WORDING_FIXED]}
    errors = {}
    if title is not None:
        title = title.strip() if isinstance(title, str) else ""
        errors["title"] = _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH)
    labels = labels or {}
    if set(labels) - {option.pk for option in options}:
        errors["options"] = ["That option is not part of this poll."]
    else:
        new_labels = [labels.get(option.pk, option.label) for option in options]
        _, errors["options"] = _clean_option_labels(new_labels)
    return _without_empty(errors)
