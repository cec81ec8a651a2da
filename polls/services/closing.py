"""Closing in the background: polls/tasks.py runs these in the Celery worker, and the close
email they send. The web side only queues work here (poll_schedule_close, on commit)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Poll
from .notifications import send_outcome_emails
from .publishing import (
    CLOSE_POLL_TASK,
    NOTIFY_POLL_CLOSED_TASK,
    task_publish,
    task_publish_on_commit,
)


def poll_schedule_close(*, poll: Poll, now: datetime | None = None) -> bool:
    """Queue the close of a poll that closes within settings.VOTR_CLOSE_AHEAD_SECONDS, with an
    ETA at its closing time; later polls are left to the sweep, which runs every minute. Called
    on commit by poll_create and poll_reschedule. Never raises: returns False when nothing was
    queued (not due soon, or the broker is down, which is logged)."""
    now = now or timezone.now()
    if poll.closes_at - now > timedelta(seconds=settings.VOTR_CLOSE_AHEAD_SECONDS):
        return False
    return task_publish(name=CLOSE_POLL_TASK, args=[poll.pk], eta=poll.closes_at)


def poll_notify_closed_on_commit(*, poll_id: int) -> None:
    """Queue the author's email after a close by a person, once the close commits: the fast
    path. If it cannot be queued, the close sweep mails it (the poll's close_notified_at is
    still None); no email is ever sent from a web request."""
    task_publish_on_commit(name=NOTIFY_POLL_CLOSED_TASK, args=[poll_id])


def poll_notify_closed(*, poll_id: int, now: datetime | None = None) -> bool:
    """Email the author of a closed poll its outcome, unless they were told of this close
    already (by this task or the sweep: the poll's row lock decides which), and record that
    they were. A poll deleted or reopened since is left alone (its next close sends its own
    email). Returns True when the email went out."""
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
