"""The one seam through which services queue background work: by task name, on the Celery app.

Services never import polls.tasks (the tasks import the services), so a task is named here by
the name it is registered under. Those names never change: a message with an ETA may wait in the
broker across a deploy, and is run by whatever code then holds its name.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import transaction

from votr_project.celery import app as celery_app

logger = logging.getLogger(__name__)

CLOSE_POLL_TASK = "polls.tasks.close_poll_task"
NOTIFY_POLL_CLOSED_TASK = "polls.tasks.notify_poll_closed_task"
SEND_ACTIVATION_EMAIL_TASK = "polls.tasks.send_activation_email_task"
SEND_SIGNUP_NOTICE_TASK = "polls.tasks.send_signup_notice_task"
SEND_PASSWORD_RESET_TASK = "polls.tasks.send_password_reset_task"  # noqa: S105 (a task name)


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


def task_publish(*, name: str, args: list, **options) -> bool:
    """Queue the task registered as `name` now, without retrying: on the web path a broker
    outage must cost a log line, not a failed or slow request. Returns False when nothing was
    queued: the broker failed (within settings.BROKER_TIMEOUT_SECONDS), or failed lately and is
    not tried again yet. The close sweep catches up on anything not queued."""
    if not _broker_breaker.allows():
        return False
    try:
        celery_app.send_task(name, args=args, retry=False, **options)
    except Exception as error:  # noqa: BLE001 (any broker failure; never the caller's problem)
        _broker_breaker.failed(task_name=name, args=tuple(args), error=error)
        return False
    _broker_breaker.succeeded()
    return True


def task_publish_on_commit(*, name: str, args: list, **options) -> None:
    """Queue the task registered as `name` once the current transaction commits (at once when
    there is none), as task_publish does: a broker outage costs a log line, never the write."""
    transaction.on_commit(lambda: task_publish(name=name, args=args, **options))
