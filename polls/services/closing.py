"""Closing in the background: polls/tasks.py runs these in the Celery worker, and the close
email they send. The web side only queues work here (poll_schedule_close, on commit).

Locks are held for the close only: a close and the claim of its email (close_notified_at) commit
together, and the email is sent afterwards, so a mail server that is slow never keeps a poll's
row locked (a web close or reopen would wait on it, up to the statement timeout)."""

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
from .tallies import tallies_store


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
    already (by this task or the sweep), and record that they were. A poll deleted or reopened
    since is left alone (its next close sends its own email). Returns True when the email went
    out.

    At most once: the notice is claimed (close_notified_at set, in one UPDATE that only one
    caller can win) and committed before the email is sent, with no lock held while the mail
    server answers. The trade-off: a crash between the claim and the send loses that email
    rather than sending it twice."""
    now = now or timezone.now()
    claimed = Poll.objects.filter(
        pk=poll_id, closed_at__isnull=False, close_notified_at__isnull=True
    ).update(close_notified_at=now)
    if not claimed:
        return False
    poll = _with_email_data(Poll.objects.filter(pk=poll_id, closed_at__isnull=False)).first()
    return poll is not None and send_outcome_emails([poll]) == 1


def _with_email_data(polls):
    # What the email needs. Under FOR UPDATE only the poll rows are locked (of=self), not their
    # authors', and the options are a second query: no GROUP BY may come near FOR UPDATE.
    return polls.select_related("author").prefetch_related("options").order_by("closes_at", "pk")


def poll_close_if_due(*, poll_id: int, now: datetime | None = None) -> bool:
    """Record the close of one poll whose closing time has passed (the system closing it on
    time) and claim its author's email, in one short transaction that holds the poll's row
    lock: a second caller waits, then finds it closed. A deleted poll, one already closed, or
    one whose closing time was moved into the future is left alone. Returns True only for the
    call that closed it. The email is sent after the commit, with no lock held: if the process
    dies before the commit, nothing is recorded and a retry starts over; if it dies between
    the commit and the send, that email is lost (never sent twice)."""
    now = now or timezone.now()
    with transaction.atomic():
        poll = (
            _with_email_data(Poll.objects.due_for_closing(now=now).filter(pk=poll_id))
            .select_for_update(of=("self",))
            .first()
        )
        if poll is None:
            return False
        Poll.objects.filter(pk=poll.pk).update(
            closed_at=F("closes_at"), close_notified_at=now, revision=F("revision") + 1
        )
        if poll.is_ranked:
            tallies_store(poll_ids=[poll.pk])
    send_outcome_emails([poll])
    return True


POLLS_CLOSE_DUE_LIMIT = 100


def polls_close_due(
    *, now: datetime | None = None, limit: int = POLLS_CLOSE_DUE_LIMIT
) -> list[int]:
    """Record the close of up to `limit` due polls, and claim the emails of their authors and of
    polls closed by a person whose email was never sent (its message could not be queued), in
    one short transaction (storing each ranked poll's tally, three queries a poll); then,
    committed and holding no lock, send them. Otherwise a fixed number of queries whatever the
    count; returns the ids closed or mailed.

    Rows another caller holds are skipped (they are being closed or claimed), and a claimed
    close is no longer picked, so two sweeps at once, or a sweep and the email task, mail each
    close at most once. A web close or reopen of one of these polls waits only for the short
    transaction, never for the mail server. A crash between the commit and the sends loses
    those emails rather than doubling them."""
    now = now or timezone.now()
    with transaction.atomic():
        polls = list(
            _with_email_data(Poll.objects.due_for_closing_or_notice(now=now)).select_for_update(
                skip_locked=True, of=("self",)
            )[:limit]
        )
        if polls:
            Poll.objects.filter(pk__in=[poll.pk for poll in polls]).update(
                closed_at=Coalesce("closed_at", "closes_at"),
                close_notified_at=now,
                revision=F("revision") + 1,
            )
            tallies_store(poll_ids=[poll.pk for poll in polls if poll.is_ranked])
    if polls:
        send_outcome_emails(polls)
    return [poll.pk for poll in polls]
