"""A poll's life as its author and staff change it: create, reword, reschedule, close, delete."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from ..labels import label_key
from ..models import (
    DEFAULT_POLL_DURATION,
    TITLE_MAX_LENGTH,
    AuditEntry,
    NamesShownTo,
    Option,
    Poll,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
)
from .audit import audit_record
from .checks import (
    WORDING_FIXED,
    _clean_option_labels,
    _closing_time_errors,
    _text_errors,
    clean_description,
    poll_errors,
)
from .closing import poll_notify_closed_on_commit, poll_schedule_close
from .errors import DUPLICATE_LABEL, NotAllowed
from .permissions import DELETE_POLL, _may_change_poll
from .tallies import tallies_store, tally_forget

User = get_user_model()

EXTEND_LATER = "To extend a poll, choose a time later than its closing time."
CLOSED_NOT_EXTENDED = "Only an open poll can be extended: this one is closed."
REOPEN_OPEN = "This poll is open: extend it instead."


def poll_create(
    *,
    author: User,
    title: str,
    option_labels: list[str],
    closes_at: datetime | None = None,
    now: datetime | None = None,
    description: str = "",
    results_visibility: str = ResultsVisibility.AFTER_VOTE,
    min_choices: int = 1,
    max_choices: int = 1,
    voting_method: str = VotingMethod.CHOICE,
    rank_all: bool = False,
    allow_vote_change: bool = False,
    unlisted: bool = False,
    shuffle_options: bool = False,
    voter_mode: str = VoterMode.ACCOUNT,
    public_ballots: bool = False,
    voter_names: str = VoterNames.OFF,
    names_shown_to: str = NamesShownTo.AUTHOR,
) -> Poll:
    """Create a poll with its options, in order, and its settings (docs/poll-settings.md).
    Raises ValidationError with per-field messages under `title`, `options`, `closes_at` and
    each setting's name."""
    now = now or timezone.now()
    if closes_at is None:
        closes_at = now + DEFAULT_POLL_DURATION
    settings = {
        "description": description,
        "results_visibility": results_visibility,
        "min_choices": min_choices,
        "max_choices": max_choices,
        "voting_method": voting_method,
        "rank_all": rank_all,
        "allow_vote_change": allow_vote_change,
        "unlisted": unlisted,
        "shuffle_options": shuffle_options,
        "voter_mode": voter_mode,
        "public_ballots": public_ballots,
        "voter_names": voter_names,
        "names_shown_to": names_shown_to,
    }
    errors = poll_errors(
        title=title, option_labels=option_labels, closes_at=closes_at, now=now, **settings
    )
    if errors:
        raise ValidationError(errors)
    title = title.strip()
    labels, _ = _clean_option_labels(option_labels)
    settings["description"] = clean_description(description)

    with transaction.atomic():
        poll = Poll.objects.create(
            author=author, title=title, created_at=now, closes_at=closes_at, **settings
        )
        Option.objects.bulk_create(
            Option(poll=poll, label=label, label_key=label_key(label), position=position)
            for position, label in enumerate(labels, start=1)
        )
        transaction.on_commit(lambda: poll_schedule_close(poll=poll, now=now))
    return poll


def poll_close(*, poll: Poll, by: User | None = None, now: datetime | None = None) -> bool:
    """Record that `poll` is closed. Idempotent: returns True only for the call that closed it.

    `by` is the person closing it: its author, or anyone holding polls.change_poll; None means
    the system, on time. A close by a person is recorded in the audit log, in its transaction.
    A poll closed early records the moment it was closed; one past its closing time records the
    closing time, however late the close is recorded.
    """
    if by is not None and not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can close it.")
    now = now or timezone.now()
    with transaction.atomic():
        closed = Poll.objects.filter(pk=poll.pk, closed_at__isnull=True).update(
            closed_at=Least(F("closes_at"), now), revision=F("revision") + 1
        )
        if closed:
            poll.refresh_from_db(fields=["closed_at"])
            if poll.is_ranked:
                tallies_store(poll_ids=[poll.pk])
            if by is not None:
                audit_record(actor=by, action=AuditEntry.Action.CLOSE, obj=poll)
            poll_notify_closed_on_commit(poll_id=poll.pk)
    return bool(closed)


def poll_reschedule(
    *,
    poll: Poll,
    closes_at: datetime | None,
    by: User | None = None,
    later_only: bool = False,
    now: datetime | None = None,
) -> Poll:
    """Move the closing time (1 minute to 30 days from now). A closed poll opens again.
    `by` is the person moving it: its author, or anyone holding polls.change_poll (raises
    NotAllowed for anyone else); the move is then recorded in the audit log. None means the
    system. `closes_at=None` changes nothing once the person is allowed to (an empty PATCH).
    `later_only` extends: only an open poll, and only to a later closing time.
    Raises ValidationError under `closes_at`."""
    if by is not None and not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can change its closing time.")
    if closes_at is None:
        return poll
    now = now or timezone.now()
    if later_only and not poll.is_open(now=now):
        raise ValidationError({"closes_at": [CLOSED_NOT_EXTENDED]})
    if later_only and closes_at <= poll.closes_at:
        raise ValidationError({"closes_at": [EXTEND_LATER]})
    errors = _closing_time_errors(closes_at, now=now)
    if errors:
        raise ValidationError({"closes_at": errors})
    with transaction.atomic():
        # A reopened poll's next close is a new one, mailed again.
        Poll.objects.filter(pk=poll.pk).update(
            closes_at=closes_at, closed_at=None, close_notified_at=None, revision=F("revision") + 1
        )
        if poll.closed_at is not None and poll.is_ranked:
            tally_forget(poll_id=poll.pk)
        was, poll.closes_at, poll.closed_at = poll.closes_at, closes_at, None
        if by is not None:
            audit_record(
                actor=by,
                action=AuditEntry.Action.RESCHEDULE,
                obj=poll,
                details=f"Closing time {was.isoformat()} → {closes_at.isoformat()}.",
            )
        transaction.on_commit(lambda: poll_schedule_close(poll=poll, now=now))
    return poll


def poll_reopen(*, poll: Poll, closes_at: datetime, by: User, now: datetime | None = None) -> Poll:
    """Open a closed poll again until `closes_at` (poll_reschedule's rules and audit entry).
    An open poll is refused, under `closes_at`: it is extended, not reopened."""
    if not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can reopen it.")
    now = now or timezone.now()
    if poll.is_open(now=now):
        raise ValidationError({"closes_at": [REOPEN_OPEN]})
    return poll_reschedule(poll=poll, closes_at=closes_at, by=by, now=now)


def poll_delete(*, poll: Poll, by: User) -> None:
    """Anyone holding polls.delete_poll may delete any poll; its author, without it, only while
    nobody has voted in it. The deletion is recorded in the audit log, in its transaction.

    The poll's options are locked first, then the poll's row, the order a vote takes them in
    (poll_reword and ballot_remove too), so a vote in flight commits before the check and a vote
    arriving later waits for the delete, then finds the poll gone; never a deadlock."""
    may_delete_any = by.has_perm(DELETE_POLL)
    if not may_delete_any and by.pk != poll.author_id:
        raise NotAllowed("Only the poll's author or staff can delete it.")
    with transaction.atomic():
        list(Option.objects.select_for_update().filter(poll_id=poll.pk).order_by("id"))
        locked = Poll.objects.select_for_update().filter(pk=poll.pk).first()
        if locked is None:
            return
        if not may_delete_any and locked.ballots.exists():
            raise NotAllowed("A poll that has votes can only be deleted by staff.")
        audit_record(actor=by, action=AuditEntry.Action.DELETE, obj=locked)
        locked.delete()


def poll_reword(
    *,
    poll: Poll,
    title: str | None = None,
    labels: dict[int, str] | None = None,
    by: User | None = None,
) -> Poll:
    """Change the question and/or option labels ({option id: new label}) of a poll nobody has
    voted in yet: a vote is for the words the voter saw. The rules are poll_create's. Locks the
    poll's options, so a vote committed first is seen and refuses the change. `by` is its
    author or anyone holding polls.change_poll (raises NotAllowed for anyone else); the change
    is then recorded in the audit log. Raises ValidationError under `title` and `options`."""
    if by is not None and not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can change its wording.")
    labels = labels or {}
    with transaction.atomic():
        options = list(Option.objects.select_for_update().filter(poll_id=poll.pk).order_by("id"))
        if any(option.votes for option in options) or poll.ballots.exists():
            raise ValidationError({"options": [WORDING_FIXED]})
        errors = {}
        if title is not None:
            title = title.strip() if isinstance(title, str) else ""
            errors["title"] = _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH)
        by_id = {option.pk: option for option in options}
        if set(labels) - set(by_id):
            errors["options"] = ["That option is not part of this poll."]
        else:
            new_labels = [labels.get(option.pk, option.label) for option in options]
            cleaned, errors["options"] = _clean_option_labels(new_labels)
        errors = {field: messages for field, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)
        changed = [
            (option, label, key)
            for option, label in zip(options, cleaned, strict=True)
            if (option.label, option.label_key) != (label, key := label_key(label))
        ]
        # Two steps, so that swapping two labels never trips the unique-key constraint. A label
        # kept with a stale key (a migration's stand-in, or made by an older ICU) is rewritten.
        try:
            with transaction.atomic():
                for option, _, _ in changed:
                    placeholder = f"~ID{option.pk}"  # no label's key: keys have no capitals
                    Option.objects.filter(pk=option.pk).update(label_key=placeholder)
                for option, label, key in changed:
                    Option.objects.filter(pk=option.pk).update(label=label, label_key=key)
        except IntegrityError:
            raise ValidationError({"options": [DUPLICATE_LABEL]}) from None
        reworded = [
            f'Option {option.position}: "{option.label}" → "{label}".'
            for option, label, _ in changed
        ]
        if title is not None and title != poll.title:
            reworded.insert(0, f'Question: "{poll.title}" → "{title}".')
            poll.title = title
        if reworded:
            Poll.objects.filter(pk=poll.pk).update(title=poll.title, revision=F("revision") + 1)
        if by is not None and reworded:
            audit_record(
                actor=by, action=AuditEntry.Action.CHANGE, obj=poll, details=" ".join(reworded)
            )
    return poll
