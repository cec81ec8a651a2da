"""Background work: recording closes on time, telling authors the outcome, account emails.

Tasks take ids only, re-read the database and call polls.services, so running a close task
twice, late, or for a poll that was deleted or rescheduled does nothing wrong. Voting never waits
for them: the vote checks the closing time itself.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import KombuError

from accounts import services as accounts
from votr_project.cache import cache_purge_expired

from . import services

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


@shared_task(name="polls.tasks.purge_expired_cache_task", **RETRY)
def purge_expired_cache_task() -> int:
    """Beat: delete the database cache's expired entries (throttle counts whose window is
    over), which that cache never culls on write. Nothing to do with Redis, which expires keys."""
    purged = cache_purge_expired()
    if purged:
        logger.info("purge_expired_cache_task: deleted %d expired cache entries", purged)
    return purged


# Sending an email cannot be undone, so this one message is acknowledged when it is received:
# a worker dying mid-send loses that email rather than sending it twice on redelivery.
@shared_task(name="polls.tasks.notify_poll_closed_task", acks_late=False, **RETRY)
def notify_poll_closed_task(poll_id: int) -> bool:
    """Email the author of a poll a person closed early (queued on commit by
    services.poll_close, once, by the call that recorded the close). At most once."""
    return services.poll_notify_closed(poll_id=poll_id)


# Account emails: the link is made here, from the account's id, so no link travels through the
# broker and the page that asked answers as fast whether or not the address has an account. A
# lost email costs more than a repeated one (the owner would wait for nothing), so these keep
# the default late acknowledgement.
@shared_task(name="polls.tasks.send_activation_email_task", **RETRY)
def send_activation_email_task(user_id: int) -> bool:
    """Email an activation link (queued on commit by accounts.services.user_signup). An account
    deleted or activated since gets nothing."""
    return accounts.user_send_activation(user_id=user_id)


@shared_task(name="polls.tasks.send_signup_notice_task", **RETRY)
def send_signup_notice_task(user_id: int) -> bool:
    """Tell an account's owner someone signed up with their address (queued on commit by
    accounts.services.user_signup). A deleted account gets nothing."""
    return accounts.user_send_signup_notice(user_id=user_id)


@shared_task(name="polls.tasks.send_password_reset_task", **RETRY)
def send_password_reset_task(user_id: int) -> bool:
    """Email a password reset link (queued on commit by accounts.services.password_reset_request
    for every request, with 0 for an address without an account). No account, or one deleted,
    deactivated or without a usable password since, gets nothing."""
    return accounts.password_reset_send(user_id=user_id)
