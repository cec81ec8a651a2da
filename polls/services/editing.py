"""Changing a poll after it was created, by the one rule written in docs/poll-settings.md:
before the first vote, anything; from the first vote on, nothing that changes what a cast
ballot means (the question, the options, how many options a ballot holds), while the
description, the closing time, who sees the results, being unlisted, the shuffled order and
whether votes may change stay editable."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..labels import label_key
from ..models import TITLE_MAX_LENGTH, AuditEntry, Option, Poll, VotingMethod
from .audit import audit_record
from .checks import (
    WORDING_FIXED,
    _clean_option_labels,
    _closing_time_errors,
    _has_votes,
    _settings_errors,
    _text_errors,
    _without_empty,
    clean_description,
)
from .errors import DUPLICATE_LABEL, NotAllowed
from .permissions import _may_change_poll
from .polls import poll_reschedule, poll_reword
from .tallies import tallies_store

User = get_user_model()

SETTINGS = (
    "description",
    "results_visibility",
    "min_choices",
    "max_choices",
    "voting_method",
    "rank_all",
    "allow_vote_change",
    "unlisted",
    "shuffle_options",
    "voter_mode",
    "public_ballots",
    "voter_names",
    "names_shown_to",
)
# `labels` relabels options by id ({id: label}); `option_labels` is the whole new list.
EDITABLE = frozenset({"title", "labels", "option_labels", "closes_at", *SETTINGS})
# What a cast ballot means, so what no longer changes once anyone has voted.
# Who may vote, whether ballots are public and whether names are asked: what voters were told
# before they voted.
FIXED_ONCE_VOTED = frozenset(
    {
        "title",
        "labels",
        "option_labels",
        "min_choices",
        "max_choices",
        "voting_method",
        "rank_all",
        "voter_mode",
        "public_ballots",
        "voter_names",
    }
)

QUESTION_FIXED = "Somebody has voted in this poll: its question can no longer change."
CHOICE_LIMITS_FIXED = (
    "Somebody has voted in this poll: how a ballot marks the options, and how many, can no "
    "longer change."
)
VOTERS_FIXED = (
    "Somebody has voted in this poll: who may vote, whether ballots are public and whether "
    "names are asked can no longer change (voters were told before they voted)."
)
LABELS_OR_LIST = "Give new labels by option id, or the whole list of options, not both."
LABELS_BY_ID = "Give the new labels as {option id: label}."
NOT_IN_POLL = "That option is not part of this poll."
NOT_A_TIME = "Give the closing time as a date and time."
POLL_GONE = "This poll has been deleted."
# Where options are parked while they move, clear of every real position (1 to MAX_OPTIONS).
PARKED_POSITION = 1000

FIXED_MESSAGES = {
    "title": ("title", QUESTION_FIXED),
    "labels": ("options", WORDING_FIXED),
    "option_labels": ("options", WORDING_FIXED),
    "min_choices": ("min_choices", CHOICE_LIMITS_FIXED),
    "max_choices": ("max_choices", CHOICE_LIMITS_FIXED),
    "voting_method": ("voting_method", CHOICE_LIMITS_FIXED),
    "rank_all": ("rank_all", CHOICE_LIMITS_FIXED),
    "voter_mode": ("voter_mode", VOTERS_FIXED),
    "public_ballots": ("public_ballots", VOTERS_FIXED),
    "voter_names": ("voter_names", VOTERS_FIXED),
}
CHOICE_WORDS = {
    "voting_method": "Voting method",
    "results_visibility": "Results visibility",
    "voter_mode": "Voters",
    "voter_names": "Voter names",
    "names_shown_to": "Names shown to",
}
FLAG_WORDS = {
    "allow_vote_change": "Vote changes allowed",
    "unlisted": "Unlisted",
    "shuffle_options": "Options in a random order",
    "public_ballots": "Public ballots",
    "rank_all": "Every option must be ranked",
}


def poll_edit(*, poll: Poll, by: User, now: datetime | None = None, **changes) -> Poll:
    """Change any of EDITABLE by the rule above; a value equal to the current one is no change.
    `by` is the poll's author or a holder of polls.change_poll (NotAllowed for anyone else).
    All or nothing: ValidationError with a message per field (`title`, `options`,
    `closes_at`, each setting's name) and nothing written, or every change written, `revision`
    raised and each change recorded in the audit log with its before and after.

    The options' rows are locked first (by id), then the poll's: the order a vote takes them
    in. A vote that committed first is seen and refuses a change to what it means; a vote
    arriving later waits, then votes for the options as they are now (one for a removed
    option finds nothing and is refused). A new closing time reopens a closed poll, as
    poll_reschedule does. Returns the poll as changed (its options are to be read again)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"poll_edit() cannot change {', '.join(sorted(unknown))}")
    if not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can change it.")
    now = now or timezone.now()
    with transaction.atomic():
        options = list(Option.objects.select_for_update().filter(poll_id=poll.pk).order_by("id"))
        locked = Poll.objects.select_for_update().filter(pk=poll.pk).first()
        if locked is None:
            raise NotAllowed(POLL_GONE)
        changes = _real_changes(locked, options, changes)
        errors = _edit_errors(
            locked, options, changes, voted=_has_votes(poll_id=locked.pk, options=options), now=now
        )
        if errors:
            raise ValidationError(errors)
        if "title" in changes or "labels" in changes:
            poll_reword(
                poll=locked, title=changes.get("title"), labels=changes.get("labels"), by=by
            )
        if "option_labels" in changes:
            _options_replace(poll=locked, options=options, labels=changes["option_labels"], by=by)
        if "closes_at" in changes:
            poll_reschedule(poll=locked, closes_at=changes["closes_at"], by=by, now=now)
        settings = _method_follows(
            locked, {field: changes[field] for field in SETTINGS if field in changes}
        )
        if settings:
            _settings_write(poll=locked, settings=settings, by=by)
        if locked.is_ranked and locked.closed_at is not None and "closes_at" not in changes:
            # Its revision moved: store the tally again, or the closed poll would recount.
            tallies_store(poll_ids=[locked.pk])
    return locked


def _method_follows(poll: Poll, settings: dict) -> dict:
    """`settings` with what a new voting method brings along: a ranked poll has no choice
    limits (1 and 1), and a poll that chooses asks no one to rank every option."""
    settings = dict(settings)
    method = settings.get("voting_method")
    if method == VotingMethod.RANKED and "min_choices" not in settings:
        if (poll.min_choices, poll.max_choices) != (1, 1):
            settings |= {"min_choices": 1, "max_choices": 1}
    elif method == VotingMethod.CHOICE and poll.rank_all:
        settings.setdefault("rank_all", False)
    return settings


def poll_edit_errors(*, poll: Poll, now: datetime | None = None, **changes) -> dict:
    """What poll_edit would refuse, per field, read without a lock and written nowhere (a form
    calls it from clean()); poll_edit checks again under its locks when it writes."""
    options = list(Option.objects.filter(poll_id=poll.pk).order_by("id"))
    changes = _real_changes(poll, options, changes)
    voted = _has_votes(poll_id=poll.pk, options=options)
    return _edit_errors(poll, options, changes, voted=voted, now=now or timezone.now())


def poll_fixed_fields(*, poll: Poll) -> frozenset[str]:
    """What poll_edit refuses to change in `poll` now: FIXED_ONCE_VOTED once anyone has voted,
    else nothing (a page shows only the rest, and says why). Reads the poll's options as
    prefetched, if they are."""
    options = list(poll.options.all())
    return FIXED_ONCE_VOTED if _has_votes(poll_id=poll.pk, options=options) else frozenset()


def _labels_in_order(options) -> list[str]:
    return [option.label for option in sorted(options, key=lambda option: option.position)]


def _real_changes(poll: Poll, options, changes: dict) -> dict:
    """`changes` without those that leave the value as it is (the question and labels
    compared trimmed, the description as stored); choice limits go as a pair."""
    changes = dict(changes)
    if isinstance(changes.get("title"), str) and changes["title"].strip() == poll.title:
        del changes["title"]
    labels = changes.get("labels")
    if isinstance(labels, dict):
        current = {option.pk: option.label for option in options}
        if all(
            isinstance(label, str) and current.get(option_id) == label.strip()
            for option_id, label in labels.items()
        ):
            del changes["labels"]
    option_labels = changes.get("option_labels")
    if isinstance(option_labels, list | tuple) and all(isinstance(x, str) for x in option_labels):
        if [label.strip() for label in option_labels] == _labels_in_order(options):
            del changes["option_labels"]
    if "closes_at" in changes and poll.closed_at is None and changes["closes_at"] == poll.closes_at:
        del changes["closes_at"]
    if "description" in changes:
        changes["description"] = clean_description(changes["description"])
    if "min_choices" in changes or "max_choices" in changes:
        changes.setdefault("min_choices", poll.min_choices)
        changes.setdefault("max_choices", poll.max_choices)
        if (changes["min_choices"], changes["max_choices"]) == (poll.min_choices, poll.max_choices):
            del changes["min_choices"], changes["max_choices"]
    for field in set(SETTINGS) - {"min_choices", "max_choices"}:
        if field in changes and _same(changes[field], getattr(poll, field)):
            del changes[field]
    return changes


def _same(new, old) -> bool:
    # A flag given as 1 is not True (and is refused later); a TextChoices member is its text.
    return isinstance(new, type(old)) and new == old


def _edit_errors(poll: Poll, options, changes: dict, *, voted: bool, now: datetime) -> dict:
    errors: dict[str, list[str]] = {}
    if voted:
        fixed = FIXED_ONCE_VOTED & set(changes)
        for field in sorted(fixed):
            key, message = FIXED_MESSAGES[field]
            if changes[field] != getattr(poll, field, None):
                errors.setdefault(key, [message])
        # What may no longer change is refused whatever it is: only the rest is judged.
        changes = {field: value for field, value in changes.items() if field not in fixed}
    if "title" in changes:
        title = changes["title"].strip() if isinstance(changes["title"], str) else ""
        errors["title"] = _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH)
    new_labels = None
    if "labels" in changes and "option_labels" in changes:
        errors["options"] = [LABELS_OR_LIST]
    elif "labels" in changes:
        new_labels, errors["options"] = _relabelled(options, changes["labels"])
    elif "option_labels" in changes:
        new_labels, errors["options"] = _clean_option_labels(changes["option_labels"])
    if "closes_at" in changes:
        closes_at = changes["closes_at"]
        errors["closes_at"] = (
            _closing_time_errors(closes_at, now=now)
            if isinstance(closes_at, datetime)
            else [NOT_A_TIME]
        )
    settings = {field: changes[field] for field in SETTINGS if field in changes}
    if new_labels is not None and "min_choices" not in settings:
        # Fewer options must still hold the choice limits.
        settings |= {"min_choices": poll.min_choices, "max_choices": poll.max_choices}
    if {"voting_method", "rank_all", "min_choices"} & set(settings):
        # Judged as they would be written: with what the method brings along, then the rest.
        settings = _method_follows(poll, settings)
        for field in ("voting_method", "rank_all", "min_choices", "max_choices"):
            settings.setdefault(field, getattr(poll, field))
    if "voter_mode" in settings or "allow_vote_change" in settings:
        # An open poll takes no vote changes, whichever of the two changes.
        settings.setdefault("voter_mode", poll.voter_mode)
        settings.setdefault("allow_vote_change", poll.allow_vote_change)
    option_count = len(new_labels) if new_labels is not None else len(options)
    for field, messages in _settings_errors(option_count=option_count, **settings).items():
        errors.setdefault(field, [])
        errors[field] += messages
    return _without_empty(errors)


def _relabelled(options, labels) -> tuple[list[str] | None, list[str]]:
    """The labels in position order once `labels` ({option id: label}) is applied, and what is
    wrong with them."""
    if not isinstance(labels, dict):
        return None, [LABELS_BY_ID]
    by_id = {option.pk: option for option in options}
    if set(labels) - set(by_id):
        return None, [NOT_IN_POLL]
    ordered = sorted(options, key=lambda option: option.position)
    return _clean_option_labels([labels.get(option.pk, option.label) for option in ordered])


def _quoted(labels) -> str:
    return ", ".join(f'"{label}"' for label in labels)


def _options_replace(*, poll: Poll, options, labels, by: User) -> None:
    """Make the poll's options `labels`, in order; the caller holds the options' locks and
    nobody has voted. An option whose label stays (by its key) keeps its id, so a page open on
    it still votes for it; the id of a removed option finds nothing."""
    cleaned, _ = _clean_option_labels(labels)
    current = {label_key(option.label): option for option in options}
    plan = []
    for position, label in enumerate(cleaned, start=1):
        key = label_key(label)
        plan.append((position, label, key, current.pop(key, None)))
    moved = [
        (position, label, key, option)
        for position, label, key, option in plan
        if option is not None
        and (option.position, option.label, option.label_key)
        != (
            position,
            label,
            key,
        )
    ]
    try:
        with transaction.atomic():
            Option.objects.filter(pk__in=[option.pk for option in current.values()]).delete()
            # Two steps, so that no two options ever share a position or a key on the way.
            for parked, (_, _, _, option) in enumerate(moved, start=PARKED_POSITION):
                Option.objects.filter(pk=option.pk).update(
                    position=parked, label_key=f"~ID{option.pk}"
                )
            for position, label, key, option in moved:
                Option.objects.filter(pk=option.pk).update(
                    position=position, label=label, label_key=key
                )
            Option.objects.bulk_create(
                Option(poll_id=poll.pk, label=label, label_key=key, position=position)
                for position, label, key, option in plan
                if option is None
            )
    except IntegrityError:
        raise ValidationError({"options": [DUPLICATE_LABEL]}) from None
    Poll.objects.filter(pk=poll.pk).update(revision=F("revision") + 1)
    audit_record(
        actor=by,
        action=AuditEntry.Action.CHANGE,
        obj=poll,
        details=f"Options: {_quoted(_labels_in_order(options))} → {_quoted(cleaned)}.",
    )


def _described(field: str, before, after) -> str:
    if field == "description":
        return f'Description: "{before}" → "{after}".'
    if field in CHOICE_WORDS:
        return f"{CHOICE_WORDS[field]}: {before} → {after}."
    if field in FLAG_WORDS:
        return f"{FLAG_WORDS[field]}: {'yes' if before else 'no'} → {'yes' if after else 'no'}."
    return ""


def _settings_write(*, poll: Poll, settings: dict, by: User) -> None:
    details = [
        _described(field, getattr(poll, field), value)
        for field, value in settings.items()
        if field not in ("min_choices", "max_choices")
    ]
    if "min_choices" in settings:
        details.append(
            f"Options per ballot: {poll.min_choices} to {poll.max_choices} → "
            f"{settings['min_choices']} to {settings['max_choices']}."
        )
    Poll.objects.filter(pk=poll.pk).update(**settings, revision=F("revision") + 1)
    for field, value in settings.items():
        setattr(poll, field, value)
    audit_record(actor=by, action=AuditEntry.Action.CHANGE, obj=poll, details=" ".join(details))
