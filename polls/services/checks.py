"""The pure checks of a poll's words, settings and closing time, shared by poll_create,
poll_reword and poll_edit (and by any form that wants the same answer before writing)."""

import unicodedata
from datetime import datetime

from django.utils import timezone

from ..labels import label_key
from ..models import (
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MAX_POLL_DURATION,
    MIN_OPTIONS,
    MIN_POLL_DURATION,
    TITLE_MAX_LENGTH,
    Ballot,
    NamesShownTo,
    Option,
    Poll,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
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

# Line breaks a description may hold, each stored as "\n"; any other control character is
# refused (a tab, a bell, an escape sequence would show as nothing or as garbage).
LINE_BREAKS = ("\r\n", "\r", "\x85", "\u2028", "\u2029")


def clean_description(description):
    """The description as stored: line breaks as "\\n", no whitespace around it. Anything
    that is not text is returned as it is, for _description_errors to refuse."""
    if not isinstance(description, str):
        return description
    for line_break in LINE_BREAKS:
        description = description.replace(line_break, "\n")
    return description.strip()


def _description_errors(description) -> list[str]:
    """What is wrong with a description already passed through clean_description."""
    if not isinstance(description, str):
        return ["The description must be text."]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        return [
            f"The description must be at most {DESCRIPTION_MAX_LENGTH} characters "
            f"(it has {len(description)})."
        ]
    for position, character in enumerate(description, start=1):
        if character != "\n" and unicodedata.category(character) == "Cc":
            return [
                f"The description contains a control character (U+{ord(character):04X}, "
                f"character {position}); only line breaks are allowed."
            ]
    return []


def _whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice_limit_errors(min_choices, max_choices, *, option_count) -> dict[str, list[str]]:
    """1 <= min_choices <= max_choices <= the number of options (MAX_OPTIONS when the options
    themselves are wrong in number, so that only their own error is said)."""
    if option_count is None or not MIN_OPTIONS <= option_count <= MAX_OPTIONS:
        option_count = MAX_OPTIONS
    errors = {"min_choices": [], "max_choices": []}
    for field, value, what in (
        ("min_choices", min_choices, "The fewest"),
        ("max_choices", max_choices, "The most"),
    ):
        if not _whole_number(value):
            errors[field].append(f"{what} options a ballot holds must be a whole number.")
        elif value < 1:
            errors[field].append("A ballot holds at least 1 option.")
        elif value > option_count:
            errors[field].append(
                f"A ballot cannot hold more options than the poll has ({option_count})."
            )
    if not errors["min_choices"] and not errors["max_choices"] and max_choices < min_choices:
        errors["max_choices"].append(
            f"The most options a ballot holds ({max_choices}) cannot be fewer than the fewest "
            f"({min_choices})."
        )
    return errors


VISIBILITY_CHOICES_TEXT = ", ".join(ResultsVisibility.values)
FLAGS = {
    "allow_vote_change": "Whether voters may change their vote",
    "public_ballots": "Whether the ballots are public",
    "unlisted": "Whether the poll is unlisted",
    "shuffle_options": "Whether the options are shown in a random order",
    "rank_all": "Whether voters must rank every option",
}


CHOOSE = (
    ("voting_method", VotingMethod, "Choose how ballots mark the options"),
    ("voter_mode", VoterMode, "Choose how voters are told apart"),
    ("voter_names", VoterNames, "Choose whether voters give a name"),
    ("names_shown_to", NamesShownTo, "Choose who sees the voters' names"),
)
RANKED_TAKES_NO_LIMITS = (
    "A ranked poll has no choice limits: voters rank one option or more (or every option, "
    "where it asks for all)."
)
RANK_ALL_RANKED_ONLY = "Only a ranked poll can ask voters to rank every option."
OPEN_VOTES_FINAL = (
    "An open poll cannot let voters change their vote: nothing ties a ballot to its voter."
)


def _settings_errors(*, option_count, **settings) -> dict[str, list[str]]:
    """What is wrong with the settings given (any of description, results_visibility,
    min_choices with max_choices, the FLAGS and the CHOOSE ones; voting_method with the choice
    limits and rank_all); the description already cleaned."""
    errors = {}
    if "description" in settings:
        errors["description"] = _description_errors(settings["description"])
    if "results_visibility" in settings and (
        settings["results_visibility"] not in ResultsVisibility.values
    ):
        errors["results_visibility"] = [
            f"Choose who sees the results: one of {VISIBILITY_CHOICES_TEXT}."
        ]
    if "min_choices" in settings:
        errors |= _choice_limit_errors(
            settings["min_choices"], settings["max_choices"], option_count=option_count
        )
    for flag, what in FLAGS.items():
        if flag in settings and not isinstance(settings[flag], bool):
            errors[flag] = [f"{what} must be true or false."]
    for field, choices, what in CHOOSE:
        if field in settings and settings[field] not in choices.values:
            errors[field] = [f"{what}: one of {', '.join(choices.values)}."]
    if settings.get("voting_method") == VotingMethod.RANKED:
        if (settings.get("min_choices", 1), settings.get("max_choices", 1)) != (1, 1):
            errors.setdefault("max_choices", []).append(RANKED_TAKES_NO_LIMITS)
    elif settings.get("rank_all") is True:
        errors.setdefault("rank_all", []).append(RANK_ALL_RANKED_ONLY)
    if settings.get("voter_mode") == VoterMode.OPEN and settings.get("allow_vote_change") is True:
        errors.setdefault("allow_vote_change", []).append(OPEN_VOTES_FINAL)
    return errors


def _has_votes(*, poll_id: int, options) -> bool:
    """Whether anyone has voted in the poll. Read under the options' row locks, a vote that
    committed first is seen, and a vote that comes later waits for the lock."""
    return (
        any(option.votes for option in options) or Ballot.objects.filter(poll_id=poll_id).exists()
    )


def _without_empty(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {field: messages for field, messages in errors.items() if messages}


def closing_time_errors(*, closes_at: datetime, now: datetime | None = None) -> list[str]:
    """What poll_create and poll_reschedule say about `closes_at` (1 minute to 30 days away)."""
    return _closing_time_errors(closes_at, now=now or timezone.now())


def poll_errors(
    *,
    title,
    option_labels,
    closes_at: datetime,
    now: datetime | None = None,
    description="",
    results_visibility=ResultsVisibility.AFTER_VOTE,
    min_choices=1,
    max_choices=1,
    voting_method=VotingMethod.CHOICE,
    rank_all=False,
    allow_vote_change=False,
    unlisted=False,
    shuffle_options=False,
    voter_mode=VoterMode.ACCOUNT,
    public_ballots=False,
    voter_names=VoterNames.OFF,
    names_shown_to=NamesShownTo.AUTHOR,
) -> dict[str, list[str]]:
    """What poll_create would refuse, per field (`title`, `options`, `closes_at` and each
    setting by its name), written nowhere: a form calls it from clean() and leaves the write
    to its save."""
    title = title.strip() if isinstance(title, str) else ""
    labels, option_errors = _clean_option_labels(option_labels)
    settings = _settings_errors(
        option_count=len(labels),
        description=clean_description(description),
        results_visibility=results_visibility,
        min_choices=min_choices,
        max_choices=max_choices,
        voting_method=voting_method,
        rank_all=rank_all,
        allow_vote_change=allow_vote_change,
        unlisted=unlisted,
        shuffle_options=shuffle_options,
        voter_mode=voter_mode,
        public_ballots=public_ballots,
        voter_names=voter_names,
        names_shown_to=names_shown_to,
    )
    return _without_empty(
        {
            "title": _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH),
            "options": option_errors,
            "closes_at": _closing_time_errors(closes_at, now=now or timezone.now()),
            **settings,
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
