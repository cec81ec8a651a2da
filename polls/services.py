"""Votr's domain rules: every write, and every rule about one, lives here once.

Pages, the API, the admin and the Celery tasks all call these functions. Invalid input raises
Django's ValidationError with a message per field; refused votes raise a VoteRefused subclass.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .models import (
    DEFAULT_POLL_DURATION,
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MAX_POLL_DURATION,
    MIN_OPTIONS,
    MIN_POLL_DURATION,
    TITLE_MAX_LENGTH,
    AuditEntry,
    Ballot,
    Choice,
    Option,
    Poll,
)

User = get_user_model()
logger = logging.getLogger(__name__)


class VoteRefused(Exception):
    """A vote the rules do not allow. `message` is fit to show to the voter."""

    message = "This vote cannot be accepted."
    code = "vote_refused"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class AlreadyVoted(VoteRefused):
    message = "You have already voted in this poll."
    code = "already_voted"


class PollClosed(VoteRefused):
    message = "This poll is closed."
    code = "poll_closed"


class OptionNotInPoll(VoteRefused):
    message = "That option is not part of this poll."
    code = "option_not_in_poll"


class NotAllowed(Exception):
    """The user may not do this to that poll. `message` is fit to show to them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _is_author_or_staff(user: User, poll: Poll) -> bool:
    return user.is_staff or user.pk == poll.author_id


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
    if isinstance(option_labels, str) or not isinstance(option_labels, list | tuple):
        return [], ["Give the options as a list of labels."]
    labels = [label.strip() if isinstance(label, str) else label for label in option_labels]
    errors = []
    if len(labels) < MIN_OPTIONS:
        errors.append(f"A poll needs at least {MIN_OPTIONS} options.")
    if len(labels) > MAX_OPTIONS:
        errors.append(f"A poll can have at most {MAX_OPTIONS} options (it has {len(labels)}).")
    seen = set()
    for number, label in enumerate(labels, start=1):
        if not isinstance(label, str):
            errors.append(f"Option {number} must be text.")
            continue
        errors += _text_errors(label, what=f"Option {number}", max_length=LABEL_MAX_LENGTH)
        key = label.casefold()
        if label and key in seen:
            errors.append(f'Option {number} ("{label}") is already in this poll.')
        seen.add(key)
    return labels, errors


def poll_create(
    *,
    author: User,
    title: str,
    option_labels: list[str],
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Poll:
    """Create a poll with its options, in order. Raises ValidationError with per-field messages
    under `title`, `options` and `closes_at`."""
    now = now or timezone.now()
    title = title.strip() if isinstance(title, str) else ""
    labels, option_errors = _clean_option_labels(option_labels)
    if closes_at is None:
        closes_at = now + DEFAULT_POLL_DURATION
    errors = {
        "title": _text_errors(title, what="The question", max_length=TITLE_MAX_LENGTH),
        "options": option_errors,
        "closes_at": _closing_time_errors(closes_at, now=now),
    }
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        poll = Poll.objects.create(author=author, title=title, created_at=now, closes_at=closes_at)
        Option.objects.bulk_create(
            Option(poll=poll, label=label, position=position)
            for position, label in enumerate(labels, start=1)
        )
        transaction.on_commit(lambda: poll_schedule_close(poll=poll, now=now))
    return poll


def vote_cast(*, poll: Poll, voter: User, option_id: int) -> Ballot:
    """Record `voter`'s single-choice ballot for `option_id` and count it.

    One transaction: re-read the poll and check it is open at this instant, insert the ballot
    (the one-ballot-per-voter constraint settles races between two requests of one voter), then
    raise the option's counter in the database, so concurrent votes are never lost. The option's
    row is locked from the first read (the poll's is not: votes on other options run side by
    side), so poll_reword, which locks the options too, never relabels under a vote in flight.
    """
    try:
        option_id = int(option_id)
    except (TypeError, ValueError):
        raise OptionNotInPoll from None
    try:
        with transaction.atomic():
            option = (
                Option.objects.select_related("poll")
                .only("id", "poll__id", "poll__closes_at", "poll__closed_at")
                .select_for_update(of=("self",))
                .filter(pk=option_id, poll_id=poll.pk)
                .first()
            )
            if option is None:
                raise OptionNotInPoll
            if not option.poll.is_open():
                raise PollClosed
            ballot = Ballot.objects.create(poll_id=poll.pk, voter=voter)
            Choice.objects.create(ballot=ballot, poll_id=poll.pk, option_id=option_id)
            Option.objects.filter(pk=option_id).update(votes=F("votes") + 1)
    except IntegrityError:
        if Ballot.objects.filter(poll_id=poll.pk, voter=voter).exists():
            raise AlreadyVoted from None
        if not Poll.objects.filter(pk=poll.pk).exists():
            raise PollClosed("This poll has been deleted.") from None
        raise
    return ballot


def poll_close(*, poll: Poll, by: User | None = None, now: datetime | None = None) -> bool:
    """Record that `poll` is closed. Idempotent: returns True only for the call that closed it.

    `by` is the person closing it (its author or staff); None means the system, on time.
    A poll closed early records the moment it was closed; one past its closing time records the
    closing time, however late the close is recorded.
    """
    if by is not None and not _is_author_or_staff(by, poll):
        raise NotAllowed("Only the poll's author or staff can close it.")
    now = now or timezone.now()
    closed = Poll.objects.filter(pk=poll.pk, closed_at__isnull=True).update(
        closed_at=Least(F("closes_at"), now)
    )
    if closed:
        poll.refresh_from_db(fields=["closed_at"])
        transaction.on_commit(lambda: _notify_closed(poll.pk))
    return bool(closed)


def poll_reschedule(*, poll: Poll, closes_at: datetime, now: datetime | None = None) -> Poll:
    """Move the closing time (1 minute to 30 days from now). A closed poll opens again.
    Raises ValidationError under `closes_at`."""
    now = now or timezone.now()
    errors = _closing_time_errors(closes_at, now=now)
    if errors:
        raise ValidationError({"closes_at": errors})
    # A reopened poll's next close is a new one, mailed again.
    Poll.objects.filter(pk=poll.pk).update(
        closes_at=closes_at, closed_at=None, close_notified_at=None
    )
    poll.closes_at, poll.closed_at = closes_at, None
    transaction.on_commit(lambda: poll_schedule_close(poll=poll, now=now))
    return poll


def poll_extend(*, poll: Poll, closes_at: datetime, now: datetime | None = None) -> Poll:
    """Give an open poll more time: like poll_reschedule, but only to a later closing time.
    Raises ValidationError under `closes_at`."""
    if closes_at <= poll.closes_at:
        raise ValidationError(
            {"closes_at": ["To extend a poll, choose a time later than its closing time."]}
        )
    return poll_reschedule(poll=poll, closes_at=closes_at, now=now)


def poll_delete(*, poll: Poll, by: User) -> None:
    """Staff may delete any poll; its author only while nobody has voted in it.

    The poll's row is locked first: a ballot being inserted holds a key-share lock on it, so the
    check waits for a vote in flight to commit, and a vote arriving later waits for the delete
    (then finds the poll gone)."""
    if not _is_author_or_staff(by, poll):
        raise NotAllowed("Only the poll's author or staff can delete it.")
    with transaction.atomic():
        locked = Poll.objects.select_for_update().filter(pk=poll.pk).first()
        if locked is None:
            return
        if not by.is_staff and locked.ballots.exists():
            raise NotAllowed("A poll that has votes can only be deleted by staff.")
        locked.delete()


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. Only staff may remove one
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.is_staff:
        raise NotAllowed("Only staff can remove a ballot.")
    with transaction.atomic():
        choices = list(ballot.choices.select_related("option").order_by("rank", "id"))
        _, per_model = Ballot.objects.filter(pk=ballot.pk).delete()
        if not per_model.get(Ballot._meta.label):
            return False
        Option.objects.filter(pk__in=[choice.option_id for choice in choices]).update(
            votes=F("votes") - 1
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.REMOVE_BALLOT,
            obj=ballot,
            details="Took off the count: "
            + (", ".join(f'"{choice.option.label}"' for choice in choices) or "nothing")
            + f" (voter {ballot.voter_id}, poll {ballot.poll_id}).",
        )
    return True


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int
    percent: float


@dataclass(frozen=True)
class PollResults:
    total_votes: int
    options: list[OptionResult]


def poll_results(*, poll: Poll) -> PollResults:
    """Counts and percentages from the options' counters: no ballot is counted, so the cost
    does not grow with the number of votes. Uses prefetched options when present."""
    options = list(poll.options.all())
    total = sum(option.votes for option in options)
    return PollResults(
        total_votes=total,
        options=[
            OptionResult(
                id=option.id,
                label=option.label,
                votes=option.votes,
                percent=round(100 * option.votes / total, 1) if total else 0.0,
            )
            for option in options
        ],
    )


def user_create(*, username: str, email: str, password: str) -> User:
    """Sign a voter up. Raises ValidationError with messages under `username`, `email` and
    `password`; usernames and emails are unique ignoring case."""
    username = username.strip() if isinstance(username, str) else ""
    email = User.objects.normalize_email(email.strip() if isinstance(email, str) else "")
    errors: dict[str, list[str]] = {"username": [], "email": [], "password": []}

    username_field = User._meta.get_field("username")
    try:
        username_field.clean(username, None)
    except ValidationError as error:
        errors["username"] += error.messages
    if username and User.objects.filter(username__iexact=username).exists():
        errors["username"].append("That username is taken.")

    try:
        validate_email(email)
    except ValidationError:
        errors["email"].append("Enter a valid email address.")
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"].append("An account with that email already exists.")

    if not isinstance(password, str) or not password:
        errors["password"].append("Choose a password.")
    else:
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            errors["password"] += error.messages

    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # Another sign-up took the name or address between the check and the insert.
        raise ValidationError(
            {"username": ["That username or email was just taken. Try another."]}
        ) from None


def audit_record(
    *, actor: User | None, action: str, obj, details: str = "", object_repr: str | None = None
) -> AuditEntry:
    """Append one entry to the audit log (AuditEntry). Call it inside the transaction of the
    change it records, so the change and its record commit or roll back together. Entries are
    never updated or deleted."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        details=details,
    )


def poll_reword(
    *, poll: Poll, title: str | None = None, labels: dict[int, str] | None = None
) -> Poll:
    """Change the question and/or option labels ({option id: new label}) of a poll nobody has
    voted in yet: a vote is for the words the voter saw. The rules are poll_create's. Locks the
    poll's options, so a vote committed first is seen and refuses the change. Raises
    ValidationError under `title` and `options`."""
    labels = labels or {}
    with transaction.atomic():
        options = list(Option.objects.select_for_update().filter(poll_id=poll.pk))
        if any(option.votes for option in options) or poll.ballots.exists():
            raise ValidationError(
                {"options": ["Somebody has voted in this poll: its wording can no longer change."]}
            )
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
            (option, label)
            for option, label in zip(options, cleaned, strict=True)
            if option.label != label
        ]
        # Two steps, so that swapping two labels never trips the unique-label constraint.
        for option, _ in changed:
            Option.objects.filter(pk=option.pk).update(label=f"\x1f{option.pk}\x1f")
        for option, label in changed:
            Option.objects.filter(pk=option.pk).update(label=label)
        if title is not None and title != poll.title:
            Poll.objects.filter(pk=poll.pk).update(title=title)
            poll.title = title
    return poll


def user_deactivate(*, user: User, by: User) -> bool:
    """Stop `user` from logging in (their polls and ballots stay). Staff only; nobody can
    deactivate themselves, and only a superuser can deactivate a superuser. Idempotent:
    returns True only for the call that deactivated them. Records it in the audit log."""
    if not by.is_staff:
        raise NotAllowed("Only staff can deactivate a user.")
    if user.pk == by.pk:
        raise NotAllowed("You cannot deactivate your own account.")
    if user.is_superuser and not by.is_superuser:
        raise NotAllowed("Only a superuser can deactivate a superuser.")
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
            return False
        user.is_active = False
        audit_record(actor=by, action=AuditEntry.Action.DEACTIVATE, obj=user)
    return True


# --- Closing in the background (polls/tasks.py runs these in the Celery worker) ---------------


class _BrokerBreaker:
    """A per-process circuit breaker for publishing: after a failure, publishes are skipped
    (not tried) for settings.BROKER_PAUSE_SECONDS, so a black-holed broker costs one request
    its timeout, not every request. One log line when it opens, one when it closes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._paused_until: float | None = None

    def allows(self) -> bool:
        with self._lock:
            return self._paused_until is None or time.monotonic() >= self._paused_until

    def failed(self, *, task_name: str, args: tuple, error: Exception) -> None:
        with self._lock:
            self._paused_until = time.monotonic() + settings.BROKER_PAUSE_SECONDS
        # The type only: a broker error's text can hold the broker URL and its password.
        logger.error(
            "Could not queue %s%r (%s); the close sweep will catch up. Not publishing for %s s.",
            task_name,
            args,
            type(error).__name__,
            settings.BROKER_PAUSE_SECONDS,
        )

    def succeeded(self) -> None:
        with self._lock:
            was_open, self._paused_until = self._paused_until is not None, None
        if was_open:
            logger.warning("The broker answers again; publishing resumed.")


_broker_breaker = _BrokerBreaker()


def _publish(task, *, args: list, **options) -> bool:
    """Queue `task` without retrying: on the web path a broker outage must cost a log line, not
    a failed or slow request. Returns False when nothing was queued: the broker failed (within
    settings.BROKER_TIMEOUT_SECONDS), or failed lately and is not tried again yet. The close
    sweep catches up on anything not queued."""
    if not _broker_breaker.allows():
        return False
    try:
        task.apply_async(args=args, retry=False, **options)
    except Exception as error:  # noqa: BLE001 (any broker failure; never the caller's problem)
        _broker_breaker.failed(task_name=task.name, args=tuple(args), error=error)
        return False
    _broker_breaker.succeeded()
    return True


def poll_schedule_close(*, poll: Poll, now: datetime | None = None) -> bool:
    """Queue the close of a poll that closes within settings.VOTR_CLOSE_AHEAD_SECONDS, with an
    ETA at its closing time; later polls are left to the sweep, which runs every minute. Called
    on commit by poll_create and poll_reschedule. Never raises: returns False when nothing was
    queued (not due soon, or the broker is down, which is logged)."""
    from django.conf import settings

    from . import tasks

    now = now or timezone.now()
    if poll.closes_at - now > timedelta(seconds=settings.VOTR_CLOSE_AHEAD_SECONDS):
        return False
    return _publish(tasks.close_poll_task, args=[poll.pk], eta=poll.closes_at)


def _notify_closed(poll_id: int) -> None:
    """Queue the author's email after a close by a person: the fast path. If it cannot be
    queued, the close sweep mails it (the poll's close_notified_at is still None); no email is
    ever sent from a web request."""
    from . import tasks

    _publish(tasks.notify_poll_closed_task, args=[poll_id])


def poll_notify_closed(*, poll_id: int, now: datetime | None = None) -> bool:
    """Email the author of a closed poll its outcome, unless they were told of this close
    already (by this task or the sweep: the poll's row lock decides which), and record that
    they were. A poll deleted or reopened since is left alone (its next close sends its own
    email). Returns True when the email went out."""
    from .notifications import send_outcome_emails

    now = now or timezone.now()
    with transaction.atomic():
        poll = (
            Poll.objects.select_related("author")
            .prefetch_related("options")
            .select_for_update(of=("self",))
            .filter(pk=poll_id, closed_at__isnull=False, close_notified_at__isnull=True)
            .first()
        )
        if poll is None:
            return False
        sent = send_outcome_emails([poll]) == 1
        Poll.objects.filter(pk=poll.pk).update(close_notified_at=now)
    return sent


def _due_polls_locked(*, now: datetime):
    # Lock the poll rows only (not their authors'). The options are read by a second query,
    # for the email: no GROUP BY may come near FOR UPDATE.
    return (
        Poll.objects.due_for_closing(now=now)
        .select_related("author")
        .prefetch_related("options")
        .order_by("closes_at", "pk")
    )


def poll_close_if_due(*, poll_id: int, now: datetime | None = None) -> bool:
    """Record the close of one poll whose closing time has passed (the system closing it on
    time) and email its author, in one transaction that holds the poll's row lock: a second
    caller waits, then finds it closed. A deleted poll, one already closed, or one whose
    closing time was moved into the future is left alone. Returns True only for the call that
    closed it. If the process dies before the commit, nothing is recorded and a retry starts
    over; the email is sent just before the commit, so a crash in that instant is the one case
    where an author could get it twice."""
    from .notifications import send_outcome_emails

    now = now or timezone.now()
    with transaction.atomic():
        poll = _due_polls_locked(now=now).select_for_update(of=("self",)).filter(pk=poll_id)
        poll = poll.first()
        if poll is None:
            return False
        send_outcome_emails([poll])
        Poll.objects.filter(pk=poll.pk).update(closed_at=F("closes_at"), close_notified_at=now)
    return True


POLLS_CLOSE_DUE_LIMIT = 100


def polls_close_due(
    *, now: datetime | None = None, limit: int = POLLS_CLOSE_DUE_LIMIT
) -> list[int]:
    """Record the close of up to `limit` due polls, and email their authors and those of polls
    closed by a person whose email was never sent (its message could not be queued), in a
    fixed number of queries and one transaction; returns the ids closed or mailed. Rows another
    caller holds are skipped (they are being closed or mailed), so two sweeps at once, or a
    sweep and the email task, mail each close once."""
    from .notifications import send_outcome_emails

    now = now or timezone.now()
    with transaction.atomic():
        polls = list(
            Poll.objects.due_for_closing_or_notice(now=now)
            .select_related("author")
            .prefetch_related("options")
            .order_by("closes_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if polls:
            send_outcome_emails(polls)
            Poll.objects.filter(pk__in=[poll.pk for poll in polls]).update(
                closed_at=Coalesce("closed_at", "closes_at"), close_notified_at=now
            )
    return [poll.pk for poll in polls]


def poll_reschedule_by(
    *, poll: Poll, by: User, closes_at: datetime, now: datetime | None = None
) -> Poll:
    """poll_reschedule on behalf of a person: only the poll's author or staff may move its
    closing time (raises NotAllowed for anyone else); then poll_reschedule's rules apply."""
    if not _is_author_or_staff(by, poll):
        raise NotAllowed("Only the poll's author or staff can change its closing time.")
    return poll_reschedule(poll=poll, closes_at=closes_at, now=now)
