"""A database or broker that is down or hung (accepts connections, never answers) costs a request
seconds, never the gunicorn timeout: pages and the API answer 503 with Retry-After, /healthz
answers within two seconds, publishing gives up within a second and then pauses. A database
error of any kind (a constraint included) is never a 500.

The hung services are black holes this module opens itself: listening sockets whose
connections are accepted and never answered."""

import json
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import migrate as django_migrate
from django.db import IntegrityError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from psycopg2 import extensions
from rest_framework.views import APIView

from votr_project import database
from votr_project import urls as site_urls

from .production import BASE_DIR, VENV_BIN, free_port, gunicorn, production_environment


@pytest.fixture
def black_hole():
    """A TCP port that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    accepted = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            if select.select([listener], [], [], 0.2)[0]:
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for held in accepted:
        held.close()
    listener.close()


# --- The whole site, under gunicorn, against a hung or absent database and broker -------------


def timed(call):
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


@pytest.mark.parametrize("database_state", ["hung", "down"])
def test_pages_api_and_healthz_answer_quickly_with_the_database_hung_or_down(
    database_state, black_hole, tmp_path, collected_static
):
    """Gunicorn's timeout is 25 s; with the default deadlines (connect 3 s) a request answers
    in about 3 s, /healthz within 2 s."""
    database_port = black_hole if database_state == "hung" else free_port()
    env = production_environment(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"postgres://votr:db-password@127.0.0.1:{database_port}/votr",
        CELERY_BROKER_URL=f"amqp://votr:broker-password@127.0.0.1:{black_hole}//",
    )
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(env, log_path) as web:
        page_seconds, (status, headers, body) = timed(lambda: web.get("/"))
        assert status == 503, body
        assert headers["Retry-After"] == "10"
        assert b"Votr is briefly unavailable" in body
        assert headers["Content-Security-Policy"]  # the site's headers, on the site's page

        api_seconds, (status, headers, body) = timed(lambda: web.get("/api/polls/"))
        assert status == 503, body
        assert headers["Retry-After"] == "10"
        assert json.loads(body) == {
            "detail": "Votr is briefly unavailable. Please try again in a few seconds.",
            "code": "service_unavailable",
            "errors": {},
        }

        health_seconds, (status, _, body) = timed(lambda: web.get("/healthz", https=False))
        assert status == 503
        assert json.loads(body) == {
            "status": "error",
            "database": "unreachable",
            "broker": "unreachable",
        }
    output = log_path.read_text(errors="replace")
    print(
        f"database {database_state}: page {page_seconds:.2f} s, API {api_seconds:.2f} s, "
        f"/healthz {health_seconds:.2f} s"
    )
    assert page_seconds < 6
    assert api_seconds < 6
    assert health_seconds < 2
    # One line per failed request, no traceback, no password.
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if "answered 503" in line]) == 2, output
    assert "db-password" not in output
    assert "broker-password" not in output


def test_publishing_to_a_black_holed_broker_gives_up_within_a_second_then_pauses(
    black_hole, tmp_path
):
    env = production_environment(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL=f"amqp://votr:broker-password@127.0.0.1:{black_hole}//",
    )
    script = """
import time
from polls import tasks
from polls.services import publishing
for poll_id in (1, 2):
    started = time.monotonic()
    queued = publishing.task_publish(name=tasks.close_poll_task.name, args=[poll_id])
    print(f"PUBLISH {queued} {time.monotonic() - started:.3f}")
"""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    first, second = (line.split()[1:] for line in output.splitlines() if "PUBLISH" in line)
    print(f"publish: {first[1]} s, then {second[1]} s while paused")
    assert first[0] == second[0] == "False"
    assert float(first[1]) < 1
    assert float(second[1]) < 0.05  # not tried: the breaker is open
    assert output.count("Not publishing for 30 s.") == 1
    assert "broker-password" not in output


# --- 503 and 409 in-process: views, middleware and API ----------------------------------------


def failing_view(error):
    def view(*args, **kwargs):
        raise error

    return view


def session_writing_view(request):
    request.session["seen"] = True  # saved by SessionMiddleware, after the view
    return HttpResponse("ok")


class FailingAPIView(APIView):
    permission_classes = []
    error = None

    def get(self, request):
        raise self.error


urlpatterns = [
    path("down/", failing_view(OperationalError("could not connect to db.internal"))),
    path("conflict/", failing_view(IntegrityError("duplicate key value violates unique"))),
    path("session/", session_writing_view),
    path("boom/", failing_view(RuntimeError("a bug"))),
    path("api/down/", FailingAPIView.as_view(error=OperationalError("timeout at db.internal"))),
    path("api/conflict/", FailingAPIView.as_view(error=IntegrityError("duplicate key"))),
    *site_urls.urlpatterns,
]
handler500 = site_urls.handler500


@pytest.fixture
def web_client(db):
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(raise_request_exception=False)


def database_log_lines(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name in ("django.request", "votr_project.database_errors")
    ]


def test_a_database_failure_in_a_view_is_a_503_page_that_reads_nothing_from_the_database(
    web_client, user, caplog, django_assert_num_queries
):
    web_client.force_login(user)
    with caplog.at_level(logging.INFO), django_assert_num_queries(0):
        response = web_client.get("/down/", secure=True)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Votr is briefly unavailable" in response.content
    assert b"db.internal" not in response.content
    [line] = database_log_lines(caplog)
    assert line.getMessage() == "GET '/down/' answered 503: OperationalError"
    assert line.exc_info is None


def test_a_database_failure_inside_a_middleware_is_a_503_not_a_500(web_client, caplog):
    with (
        caplog.at_level(logging.INFO),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(
            "django.contrib.sessions.backends.db.SessionStore.save",
            failing_view(OperationalError("server closed the connection unexpectedly")),
        )
        response = web_client.get("/session/", secure=True)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Votr is briefly unavailable" in response.content
    [line] = database_log_lines(caplog)
    assert line.getMessage() == "GET '/session/' answered 503: OperationalError"
    assert line.exc_info is None


def test_any_integrity_error_is_a_409_page_with_a_clear_message(web_client, caplog):
    with caplog.at_level(logging.INFO):
        response = web_client.post("/conflict/", secure=True)
    assert response.status_code == 409
    assert b"That change conflicts with another one" in response.content
    assert b"duplicate key" not in response.content
    [line] = database_log_lines(caplog)
    assert line.getMessage() == "POST '/conflict/' answered 409: IntegrityError"


def test_the_api_answers_database_failures_in_its_error_shape(web_client, caplog):
    with caplog.at_level(logging.INFO):
        down = web_client.get("/api/down/")
        conflict = web_client.get("/api/conflict/")
    assert down.status_code == 503
    assert down["Retry-After"] == "10"
    assert down.json() == {
        "detail": "Votr is briefly unavailable. Please try again in a few seconds.",
        "code": "service_unavailable",
        "errors": {},
    }
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": "This change conflicts with another one made at the same moment. "
        "Reload the page and try again.",
        "code": "conflict",
        "errors": {},
    }
    assert [line.getMessage() for line in database_log_lines(caplog)] == [
        "GET '/api/down/' answered 503: OperationalError",
        "GET '/api/conflict/' answered 409: IntegrityError",
    ]


def test_other_exceptions_still_get_the_500_page(web_client):
    response = web_client.get("/boom/", secure=True)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


# --- The client-side deadline (psycopg2 wait callback) -----------------------------------------


@pytest.fixture
def client_deadlines():
    """Install the wait callback with short limits for this test, then put back what was."""
    previous_callback = extensions.get_wait_callback()
    previous_limits = dict(database._limits)

    def install(*, connect_seconds, statement_seconds):
        database.install_deadlines(
            connect_seconds=connect_seconds, statement_seconds=statement_seconds
        )

    yield install
    extensions.set_wait_callback(previous_callback)
    database._limits.update(previous_limits)


def test_connecting_to_a_hung_database_gives_up_at_the_connect_deadline(
    black_hole, client_deadlines
):
    client_deadlines(connect_seconds=1, statement_seconds=5)
    started = time.monotonic()
    with pytest.raises(psycopg2.OperationalError, match="did not answer within 1 s"):
        psycopg2.connect(host="127.0.0.1", port=black_hole, dbname="votr", user="votr")
    assert 0.9 < time.monotonic() - started < 2


def test_a_deadline_block_overrides_the_limits_for_one_check(black_hole, client_deadlines):
    client_deadlines(connect_seconds=10, statement_seconds=10)
    started = time.monotonic()
    with database.deadline(0.5), pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host="127.0.0.1", port=black_hole, dbname="votr", user="votr")
    assert time.monotonic() - started < 1.5


def test_a_deadline_block_counts_from_its_start_not_from_each_wait(black_hole, client_deadlines):
    """/healthz connects, sets the session up and runs a statement: one budget for all."""
    client_deadlines(connect_seconds=10, statement_seconds=10)
    with database.deadline(1.0):
        time.sleep(0.7)  # what earlier waits of the same check spent
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(host="127.0.0.1", port=black_hole, dbname="votr", user="votr")
    assert time.monotonic() - started < 0.6


class FreezableProxy:
    """Forwards TCP to PostgreSQL until frozen; then it holds every byte, as a hung server."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.frozen = threading.Event()
        self.stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        client, _ = self.listener.accept()
        server = socket.create_connection(self.target)
        self.sockets += [client, server]
        pairs = {client: server, server: client}
        while not self.stop.is_set():
            readable = select.select(list(pairs), [], [], 0.1)[0]
            if self.frozen.is_set():
                continue
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                pairs[source].sendall(data)

    def close(self):
        self.stop.set()
        for held in self.sockets:
            held.close()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_server_that_hangs_on_an_open_connection_is_given_up_on_the_client_side(
    client_deadlines,
):
    """statement_timeout is the server's: a hung server never sends its error. The client's
    deadline (statement timeout + 1 s) ends the wait and closes the connection."""
    client_deadlines(connect_seconds=3, statement_seconds=1)
    db = connection.settings_dict
    proxy = FreezableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    try:
        hung = psycopg2.connect(
            host="127.0.0.1",
            port=proxy.port,
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
        )
        with hung.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        proxy.frozen.set()
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError, match="did not answer within 2 s"):
            with hung.cursor() as cursor:
                cursor.execute("SELECT 1")
        assert time.monotonic() - started < 3
        assert hung.closed
    finally:
        proxy.close()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_carry_the_statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == (f"{settings.DB_STATEMENT_TIMEOUT}s",)
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3
    assert extensions.get_wait_callback() is database._wait_with_deadline


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migrate_runs_without_the_statement_timeout(client_deadlines, monkeypatch):
    """Backfills may outlast a request's limit: `manage.py migrate`, by the release phase or by
    hand, lifts both the server's statement_timeout and the client-side statement deadline."""
    client_deadlines(connect_seconds=3, statement_seconds=5)
    seen = {}

    def record_limits(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen["server"] = cursor.fetchone()[0]
        seen["client"] = database._limits["statement"]

    monkeypatch.setattr(django_migrate.Command, "handle", record_limits)
    call_command("migrate", verbosity=0)

    assert seen == {"server": "0", "client": 0.0}
    with connection.cursor() as cursor:  # and the limits are back once it is done
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == (f"{settings.DB_STATEMENT_TIMEOUT}s",)
    assert database._limits["statement"] == 5
