"""Background work: recording closes on time and telling authors the outcome.

Tasks take ids only, re-read the database and call polls.services, so running one twice, late,
or for a poll that was deleted or rescheduled does nothing wrong. Voting never waits for them:
the vote checks the closing time itself.
"""

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError
from kombu.exceptions import KombuError

from . import services
from .models import Poll

logger = logging.getLogger(__name__)

# Database restarts, failovers and broker hiccups pass; retry those with backoff. Anything
# else is a bug and should fail loudly in the worker's log.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, KombuError, ConnectionError)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="polls.tasks.close_poll_task", **RETRY)
def close_poll_task(poll_id: int) -> bool:
    """Record the close of one poll at its closing time (queued with an ETA by
    services.poll_schedule_close). A deleted poll, one already closed, or one whose closing
    time moved into the future is left alone: a moved poll gets a new message, and the sweep
    is the back-up."""
    closed = services.poll_close_if_due(poll_id=poll_id)
    logger.info("close_poll_task(%s): %s", poll_id, "closed" if closed else "nothing to do")
    return closed


@shared_task(name="polls.tasks.close_due_polls_task", **RETRY)
def close_due_polls_task() -> int:
    """Beat, every minute: record the close of every due poll, whatever happened to its own
    message. Harmless if two run at once (each poll is closed, and mailed, by one of them)."""
    poll_ids = services.polls_close_due(limit=services.POLLS_CLOSE_DUE_LIMIT)
    if len(poll_ids) == services.POLLS_CLOSE_DUE_LIMIT:
        # A backlog (say, after an outage): carry on in a fresh task, within its time limit.
        close_due_polls_task.apply_async()
    if poll_ids:
        logger.info("close_due_polls_task: closed %d poll(s)", len(poll_ids))
    return len(poll_ids)


@shared_task(name="polls.tasks.notify_poll_closed_task", **RETRY)
def notify_poll_closed_task(poll_id: int) -> bool:
    """Email the author of a closed poll its outcome. Queued once, by the call that recorded
    the close."""
    return notify_poll_closed(poll_id=poll_id)


def notify_poll_closed(*, poll_id: int) -> bool:
    poll = Poll.objects.with_results().filter(pk=poll_id).first()
    if poll is None or poll.closed_at is None or not poll.author.email:
        # Deleted, or reopened since (its next close will send its own email).
        return False
    subject, body = outcome_email(poll)
    send_mail(subject, body, None, [poll.author.email])
    return True


def outcome_email(poll: Poll) -> tuple[str, str]:
    """Subject and plain-text body telling the author how their poll ended."""
    results = services.poll_results(poll=poll)
    total = results.total_votes
    top = max((option.votes for option in results.options), default=0)
    leaders = [option.label for option in results.options if option.votes == top]
    if total == 0:
        verdict = "Nobody voted."
    elif len(leaders) == 1:
        verdict = f'The winner is "{leaders[0]}" with {top} of {total} votes.'
    else:
        verdict = (
            "It is a tie between "
            + ", ".join(f'"{label}"' for label in leaders)
            + (f" with {top} votes each.")
        )
    lines = [
        f'Your poll "{poll.title}" closed at {poll.closed_at:%Y-%m-%d %H:%M} UTC.',
        "",
        verdict,
        "",
        f"Total votes: {total}",
        *(f"- {option.label}: {option.votes} ({option.percent:g}%)" for option in results.options),
    ]
    # A header cannot hold a line break, whatever the title holds.
    subject = " ".join(f"Your poll has closed: {poll.title}".split())[:200]
    return subject, "\n".join(lines) + "\n"
