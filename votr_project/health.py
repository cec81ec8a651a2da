"""/healthz, for load balancers and uptime checks.

200 when the database answers, 503 when it does not: a web process without its database can
serve nothing. The broker is reported but never fails the check: pages and votes work without
it, and polls still close on time because the vote itself checks the closing time.
"""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from votr_project.celery import app as celery_app

logger = logging.getLogger(__name__)


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        # The message may name the host; the log is the place for it, not the response.
        logger.warning("health check: the database is unreachable", exc_info=True)
        return False


def broker_is_up() -> bool:
    try:
        # One attempt, bounded by CELERY_BROKER_CONNECTION_TIMEOUT: the check must answer long
        # before a load balancer gives up on it.
        with celery_app.connection_for_read() as broker:
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
    database = database_is_up()
    broker = broker_is_up()
    body = {
        "status": "ok" if database else "error",
        "database": "ok" if database else "unreachable",
        "broker": "ok" if broker else "unreachable",
    }
    return JsonResponse(body, status=200 if database else 503)
