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
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .labels import label_key
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
from .tokens import (
    activation_link,
    activation_token_generator,
    password_reset_context,
    user_from_uidb64,
)

User = get_user_model()
logger = logging.getLogger(__name__)

# No answer lists more messages than this for one field (polls/api/errors.py caps the API's).
MAX_MESSAGES_PER_FIELD = 5
# When the unique-label constraint, rather than the rule, finds two options with one label (a
# change made at the same moment by someone else).
TOO_FEW_OPTIONS = f"A poll needs at least {MIN_OPTIONS} options."
DUPLICATE_LABEL = "Two options would have the same label. Reload the poll and try again."


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


# --- Who may do what: Django's model permissions, the same in every face ---------------------
#
# A poll's author closes, reschedules and (while nobody has voted) deletes it without any
# permission; doing so to anyone else's poll is a staff power that needs the model permission.
# A superuser holds every permission; an inactive user holds none.

CHANGE_POLL = "polls.change_poll"
DELETE_POLL = "polls.delete_poll"
DELETE_BALLOT = "polls.delete_ballot"
CHANGE_USER = "polls.change_user"


def _may_change_poll(by: User, poll: Poll) -> bool:
    return by.pk == poll.author_id or by.has_perm(CHANGE_POLL)


def user_may_manage(*, by: User, user: User) -> bool:
    """Whether `by` may change `user`'s account: password, email, username, active/staff/
    superuser flags, groups, permissions. Everyone may change their own; anyone else's needs
    polls.change_user, and another member of staff's or a superuser's needs a superuser."""
    if not by.is_active:
        return False
    if by.pk == user.pk:
        return True
    if not by.has_perm(CHANGE_USER):
        return False
    return by.is_superuser or not (user.is_staff or user.is_superuser)


def permissions_not_held(*, by: User, permissions) -> list[Permission]:
    """Of `permissions` (Permission rows), those `by` does not hold and so may not grant, to a
    user directly or to a group (whose members all get them). A superuser holds all."""
    permissions = list(permissions)
    if by.is_active and by.is_superuser:
        return []
    held = by.get_all_permissions() if by.is_active else set()
    return [
        permission
        for permission in Permission.objects.filter(
            pk__in=[permission.pk for permission in permissions]
        ).select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" not in held
    ]


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


def too_many_options(count: int) -> str:
    return f"A poll can have at most {MAX_OPTIONS} options (it has {count})."


def capped_messages(messages: list[str]) -> list[str]:
    """At most MAX_MESSAGES_PER_FIELD messages: the first ones, then how many more there are."""
    if len(messages) <= MAX_MESSAGES_PER_FIELD:
        return messages
    kept = messages[: MAX_MESSAGES_PER_FIELD - 1]
    return [*kept, f"And {len(messages) - len(kept)} more problems."]


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
            Option(poll=poll, label=label, label_key=label_key(label), position=position)
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
            closed_at=Least(F("closes_at"), now)
        )
        if closed:
            poll.refresh_from_db(fields=["closed_at"])
            if by is not None:
                audit_record(actor=by, action=AuditEntry.Action.CLOSE, obj=poll)
            transaction.on_commit(lambda: _notify_closed(poll.pk))
    return bool(closed)


def poll_reschedule(
    *,
    poll: Poll,
    closes_at: datetime | None,
    by: User | None = None,
    now: datetime | None = None,
) -> Poll:
    """Move the closing time (1 minute to 30 days from now). A closed poll opens again.
    `by` is the person moving it: its author, or anyone holding polls.change_poll (raises
    NotAllowed for anyone else); the move is then recorded in the audit log. None means the
    system. `closes_at=None` changes nothing once the person is allowed to (an empty PATCH).
    Raises ValidationError under `closes_at`."""
    if by is not None and not _may_change_poll(by, poll):
        raise NotAllowed("Only the poll's author or staff can change its closing time.")
    if closes_at is None:
        return poll
    now = now or timezone.now()
    errors = _closing_time_errors(closes_at, now=now)
    if errors:
        raise ValidationError({"closes_at": errors})
    with transaction.atomic():
        # A reopened poll's next close is a new one, mailed again.
        Poll.objects.filter(pk=poll.pk).update(
            closes_at=closes_at, closed_at=None, close_notified_at=None
        )
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


def poll_extend(
    *,
    poll: Poll,
    closes_at: datetime,
    by: User | None = None,
    now: datetime | None = None,
) -> Poll:
    """Give an open poll more time: like poll_reschedule, but only to a later closing time.
    Raises ValidationError under `closes_at`."""
    if closes_at <= poll.closes_at:
        raise ValidationError(
            {"closes_at": ["To extend a poll, choose a time later than its closing time."]}
        )
    return poll_reschedule(poll=poll, closes_at=closes_at, by=by, now=now)


def poll_delete(*, poll: Poll, by: User) -> None:
    """Anyone holding polls.delete_poll may delete any poll; its author, without it, only while
    nobody has voted in it. The deletion is recorded in the audit log, in its transaction.

    The poll's row is locked first: a ballot being inserted holds a key-share lock on it, so the
    check waits for a vote in flight to commit, and a vote arriving later waits for the delete
    (then finds the poll gone)."""
    may_delete_any = by.has_perm(DELETE_POLL)
    if not may_delete_any and by.pk != poll.author_id:
        raise NotAllowed("Only the poll's author or staff can delete it.")
    with transaction.atomic():
        locked = Poll.objects.select_for_update().filter(pk=poll.pk).first()
        if locked is None:
            return
        if not may_delete_any and locked.ballots.exists():
            raise NotAllowed("A poll that has votes can only be deleted by staff.")
        audit_record(actor=by, action=AuditEntry.Action.DELETE, obj=locked)
        locked.delete()


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. It takes polls.delete_ballot
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
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


def _account_errors(
    *, username, email, password, other_than: int | None = None
) -> tuple[str, str, dict[str, list[str]]]:
    """The cleaned username and email, and the problems with a new account's details, per
    field. The email is only checked for its form; `other_than` is an account whose username
    does not count as taken (the one being signed up again)."""
    username = username.strip() if isinstance(username, str) else ""
    email = User.objects.normalize_email(email.strip() if isinstance(email, str) else "")
    errors: dict[str, list[str]] = {"username": [], "email": [], "password": []}

    username_field = User._meta.get_field("username")
    try:
        username_field.clean(username, None)
    except ValidationError as error:
        errors["username"] += error.messages
    taken = User.objects.filter(username__iexact=username).exclude(pk=other_than)
    if username and taken.exists():
        errors["username"].append("That username is taken.")

    try:
        validate_email(email)
    except ValidationError:
        errors["email"].append("Enter a valid email address.")

    if not isinstance(password, str) or not password:
        errors["password"].append("Choose a password.")
    else:
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            errors["password"] += error.messages
    return username, email, errors


def user_create(*, username: str, email: str, password: str) -> User:
    """Create an active account (staff, in the admin). Raises ValidationError with messages
    under `username`, `email` and `password`; usernames and emails are unique ignoring case.
    The public sign-up is user_signup, which never says whether an address has an account."""
    username, email, errors = _account_errors(username=username, email=email, password=password)
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"].append("An account with that email already exists.")

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


def user_signup(*, username: str, email: str, password: str) -> None:
    """Sign a voter up, answering the same whether or not the address has an account.

    A new address gets an inactive account and an activation link by email. An address whose
    account was never activated gets that account back with these details, and a new link
    (the old links stop working, since the password changed). An address with an account gets
    a notice instead, and nothing is created. The emails are sent by the worker, from the
    account's id (never from here, so the answer takes as long either way).
    Raises ValidationError under `username`, `email` and `password`; a taken username is said
    (usernames are public), a taken address never is."""
    normalized = User.objects.normalize_email(email.strip() if isinstance(email, str) else "")
    existing = User.objects.filter(email__iexact=normalized).first() if normalized else None
    # Never an active account, even one staff switched on without clearing the flag.
    waiting = existing is not None and existing.activation_pending and not existing.is_active
    pending = existing if waiting else None
    pending_pk = pending.pk if pending else None
    username, email, errors = _account_errors(
        username=username, email=email, password=password, other_than=pending_pk
    )
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)

    from . import tasks

    if existing is not None and pending is None:
        # As slow as creating an account: the hash is the costly part of both answers.
        make_password(password)
        transaction.on_commit(lambda: _publish(tasks.send_signup_notice_task, args=[existing.pk]))
        return
    try:
        with transaction.atomic():
            if pending is None:
                user = User.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    is_active=False,
                    activation_pending=True,
                )
            else:
                user = pending
                user.username = username
                user.set_password(password)
                User.objects.filter(pk=user.pk, activation_pending=True, is_active=False).update(
                    username=user.username, password=user.password
                )
    except IntegrityError:
        # Another sign-up took the name or the address between the check and the insert.
        if User.objects.filter(username__iexact=username).exclude(pk=pending_pk).exists():
            raise ValidationError({"username": ["That username is taken."]}) from None
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            transaction.on_commit(
                lambda: _publish(tasks.send_signup_notice_task, args=[existing.pk])
            )
        return
    transaction.on_commit(lambda: _publish(tasks.send_activation_email_task, args=[user.pk]))


def user_activate(*, uidb64: str, token: str) -> User | None:
    """Activate the account an emailed link names, if the link is valid: made for this
    account's current state, not expired (settings.PASSWORD_RESET_TIMEOUT), and not used.
    Returns the account, or None for a used, expired or forged link. Only one of two
    concurrent calls activates."""
    user = user_from_uidb64(uidb64)
    if user is None or not user.activation_pending or user.is_active:
        return None
    if not activation_token_generator.check_token(user, token):
        return None
    activated = User.objects.filter(pk=user.pk, activation_pending=True, is_active=False).update(
        is_active=True, activation_pending=False
    )
    if not activated:
        return None
    user.is_active, user.activation_pending = True, False
    return user


def password_reset_request(*, email: str) -> None:
    """Queue a password reset email for the active account with this address, if there is
    one; the worker writes and sends it (password_reset_send). Nothing tells the caller
    whether there was one."""
    from . import tasks

    email = email.strip() if isinstance(email, str) else ""
    user = User.objects.filter(email__iexact=email, is_active=True).only("password").first()
    if email and user is not None and user.has_usable_password():
        transaction.on_commit(lambda: _publish(tasks.send_password_reset_task, args=[user.pk]))


def _account_to_mail(user_id: int, **state) -> User | None:
    return User.objects.filter(pk=user_id, **state).exclude(email="").first()


def user_send_activation(*, user_id: int) -> bool:
    """Email the activation link to an account still waiting for it (in the worker: the link
    is made here). A deleted or already active account is left alone. True if sent."""
    from .notifications import send_account_email

    user = _account_to_mail(user_id, activation_pending=True, is_active=False)
    if user is None:
        return False
    return send_account_email(
        user=user,
        subject_template="registration/activation_subject.txt",
        body_template="registration/activation_email.txt",
        context={"link": activation_link(user)},
    )


def user_send_signup_notice(*, user_id: int) -> bool:
    """Tell an account's owner someone tried to sign up with their address (in the worker).
    A deleted account, or one still waiting for activation, is left alone. True if sent."""
    from .notifications import send_account_email

    user = _account_to_mail(user_id)
    if user is None or (user.activation_pending and not user.is_active):
        return False
    return send_account_email(
        user=user,
        subject_template="registration/signup_notice_subject.txt",
        body_template="registration/signup_notice_email.txt",
        context={},
    )


def password_reset_send(*, user_id: int) -> bool:
    """Email a password reset link (in the worker: the link is made here, as Django's
    PasswordResetForm makes it). An account deleted, inactive, or without a usable password
    gets nothing. True if sent."""
    from .notifications import send_account_email

    user = _account_to_mail(user_id, is_active=True)
    if user is None or not user.has_usable_password():
        return False
    return send_account_email(
        user=user,
        subject_template="registration/password_reset_subject.txt",
        body_template="registration/password_reset_email.html",
        context=password_reset_context(user),
    )


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
            Poll.objects.filter(pk=poll.pk).update(title=title)
            poll.title = title
        if by is not None and reworded:
            audit_record(
                actor=by, action=AuditEntry.Action.CHANGE, obj=poll, details=" ".join(reworded)
            )
    return poll


def user_deactivate(*, user: User, by: User) -> bool:
    """Stop `user` from logging in (their polls and ballots stay). It takes polls.change_user;
    nobody can deactivate themselves, and only a superuser can deactivate a member of staff or
    a superuser (user_may_manage). Idempotent: returns True only for the call that deactivated
    them. Records it in the audit log."""
    if not by.has_perm(CHANGE_USER):
        raise NotAllowed("Only staff can deactivate a user.")
    if user.pk == by.pk:
        raise NotAllowed("You cannot deactivate your own account.")
    if not user_may_manage(by=by, user=user):
        raise NotAllowed("Only a superuser can deactivate a member of staff or a superuser.")
    with transaction.atomic():
        # A sign-up still waiting for its activation link is stopped too: the link must not
        # switch on an account staff turned off.
        stoppable = Q(is_active=True) | Q(activation_pending=True)
        if not User.objects.filter(stoppable, pk=user.pk).update(
            is_active=False, activation_pending=False
        ):
            return False
        user.is_active, user.activation_pending = False, False
        audit_record(actor=by, action=AuditEntry.Action.DEACTIVATE, obj=user)
    return True


def user_password_changed(*, user: User) -> int:
    """Call after `user`'s password changed or was reset, from any face (the password pages,
    the admin): revokes their API tokens, as Django's session hash ends their other sessions.
    Returns how many tokens were revoked."""
    revoked, _ = Token.objects.filter(user_id=user.pk).delete()
    return revoked


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
