"""/healthz, for load balancers and uptime checks.

200 when the database answers, 503 when it does not: a web process without its database can
serve nothing. The broker is reported but never fails the check: pages and votes work without
it, and polls still close on time because the vote itself checks the closing time.

It answers within two seconds whatever hangs: the database check has a deadline of its own
(DATABASE_CHECK_SECONDS, connecting included), and the broker's answer is checked with
settings.BROKER_TIMEOUT_SECONDS and kept for BROKER_CHECK_CACHE_SECONDS, so a load balancer
polling often opens no broker connection per check.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from votr_project.celery import app as celery_app
from votr_project.database import deadline

logger = logging.getLogger(__name__)

DATABASE_CHECK_SECONDS = 1.0
BROKER_CHECK_CACHE_SECONDS = 10.0

_broker_lock = threading.Lock()
_broker_checked: dict = {"at": None, "up": False}
_broker_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz-broker")


def database_is_up() -> bool:
    try:
        with deadline(DATABASE_CHECK_SECONDS), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as error:
        # One line, the type only: a hung database fails every check, and the message may name
        # the host.
        logger.warning("health check: the database is unreachable (%s)", type(error).__name__)
        return False


def broker_is_up() -> bool:
    """The broker's state as last checked, checking again when that is older than
    BROKER_CHECK_CACHE_SECONDS (one check at a time per process)."""
    with _broker_lock:
        checked_at = _broker_checked["at"]
        if checked_at is None or time.monotonic() - checked_at >= BROKER_CHECK_CACHE_SECONDS:
            _broker_checked.update(up=_check_broker(), at=time.monotonic())
        return _broker_checked["up"]


def _check_broker() -> bool:
    try:
        # One attempt, bounded by settings.BROKER_TIMEOUT_SECONDS (connecting and the
        # handshake): the check must answer long before a load balancer gives up on it.
        with celery_app.connection_for_read(
            connect_timeout=settings.BROKER_TIMEOUT_SECONDS
        ) as broker:
            broker.ensure_connection(max_retries=0)
        return True
    except Exception as error:  # whatever stops the connection, the answer is "unreachable"
        # The message or traceback may carry the URL kombu tried, password included: log the
        # exception's type only.
        logger.warning("health check: the broker is unreachable (%s)", type(error).__name__)
        return False


@never_cache
@require_safe
def healthz(request):
    # Both at once: the answer takes the longer of the two deadlines, not their sum.
    broker_check = _broker_checker.submit(broker_is_up)
    database = database_is_up()
    broker = broker_check.result()
    body = {
        "status": "ok" if database else "error",
        "database": "ok" if database else "unreachable",
        "broker": "ok" if broker else "unreachable",
    }
    return JsonResponse(body, status=200 if database else 503)
