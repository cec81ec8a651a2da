"""The Procfile: the processes it declares, and release, web and worker run by a real Procfile
runner (honcho) against PostgreSQL and RabbitMQ, as Heroku would run them."""

import contextlib
import gzip
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from urllib.parse import urlencode

import brotli
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from kombu import Connection

from polls.services import limits
from polls.services.voters import address_hash

from .factories import PASSWORD
from .production import (
    BASE_DIR,
    CSP,
    SECRET_KEY,
    TEN_YEARS,
    VENV_BIN,
    Web,
    descendants,
    free_port,
    production_environment,
    still_running,
    wait_for,
)


def test_procfile_declares_release_web_and_worker():
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in lines if re.match(r"^[A-Za-z0-9_-]+:", line))
    assert set(processes) == {"release", "web", "worker"}
    assert "migrate --no-input" in processes["release"]
    assert "createcachetable" not in processes["release"]  # migrate makes the cache table
    assert processes["release"].strip() == "python manage.py migrate --no-input"
    assert "gunicorn --config gunicorn.conf.py votr_project.wsgi" in processes["web"]


@pytest.fixture
def broker_queue():
    """A queue name of this test's own on the shared RabbitMQ, deleted afterwards."""
    name = f"votr-procfile-{secrets.token_hex(4)}"
    yield name
    with contextlib.suppress(Exception), Connection(settings.CELERY_BROKER_URL) as broker:
        broker.default_channel.queue_delete(name)


def manage_shell(code: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SEED = """
from datetime import timedelta
from django.utils import timezone
from polls.models import Option, Poll, User
now = timezone.now()
author = User.objects.create_user("procfile-author", "author@example.com", "{password}")
User.objects.create_user("procfile-voter", "voter@example.com", "{password}")
# Already due: created two hours ago, closing one hour ago, its close not recorded.
poll = Poll.objects.create(
    title="Due?", author=author, created_at=now - timedelta(hours=2),
    closes_at=now - timedelta(hours=1),
)
Option.objects.create(poll=poll, label="Yes", label_key="yes", position=1)
Option.objects.create(poll=poll, label="No", label_key="no", position=2)
print(poll.pk)
"""


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_procfile_release_web_and_worker_run_as_on_heroku(
    production_database, broker_queue, collected_static, tmp_path
):
    import psycopg2

    port = free_port()
    request_id = f"procfile-{secrets.token_hex(8)}"
    broker_url = settings.CELERY_BROKER_URL
    env = production_environment(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SITE_URL=f"https://127.0.0.1:{port}",
        DATABASE_URL=production_database["url"],
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=broker_queue,
        VOTR_SWEEP_SECONDS="5",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        # The machine's Redis when this run has one (`.ci/run` does), else the database cache.
        **({"REDIS_URL": settings.REDIS_URL} if settings.REDIS_URL else {}),
    )
    honcho = [str(VENV_BIN / "honcho"), "--no-colour", "-f", "Procfile"]

    # Release phase: migrations (the cache table among them), into an empty database.
    release = subprocess.run(
        [*honcho, "start", "release"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert release.returncode == 0, release.stdout + release.stderr
    assert "Applying polls.0001_initial... OK" in release.stdout
    with psycopg2.connect(**production_database["connect"]) as db, db.cursor() as cursor:
        cursor.execute("SELECT to_regclass('votr_cache') IS NOT NULL")
        assert cursor.fetchone() == (True,)

    # What Heroku's Python buildpack runs at build time (once per test run, shared).
    manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]

    due_poll_id = int(manage_shell(SEED.format(password=PASSWORD), env).strip())

    log_path = tmp_path / "honcho.log"
    with log_path.open("wb") as log:
        honcho_process = subprocess.Popen(
            [*honcho, "start", "web", "worker"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children: dict[int, str] = {}
    try:
        web = Web(port)

        def healthy():
            with contextlib.suppress(OSError):
                return web.get("/healthz", https=False)
            return None

        status, headers, body = wait_for(healthy, timeout=90, what="gunicorn to answer /healthz")
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok"}
        children = descendants(honcho_process.pid)

        # A page, with the router's request id and the security headers.
        status, headers, body = web.get("/", headers={"X-Request-ID": request_id})
        assert status == 200
        assert headers["X-Request-ID"] == request_id
        assert headers["Content-Security-Policy"] == CSP
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")

        # Plain HTTP is sent to HTTPS.
        status, headers, _ = web.get("/", https=False)
        assert status == 301
        assert headers["Location"] == f"https://127.0.0.1:{port}/"

        # Logging in over the router's HTTPS: CSRF passes, both cookies are Secure and HttpOnly.
        status, headers, body = web.get("/accounts/login/")
        assert status == 200
        csrf_cookie = next(c for c in headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
        assert "Secure" in csrf_cookie
        assert "HttpOnly" in csrf_cookie
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = {"username": "procfile-voter", "password": PASSWORD}
        status, headers, _ = web.request(
            "POST",
            "/accounts/login/",
            body=urlencode(form | {"csrfmiddlewaretoken": token.decode()}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": csrf_cookie.split(";", 1)[0],
                "Referer": f"https://127.0.0.1:{port}/accounts/login/",
            },
        )
        assert status == 302
        session_cookie = next(
            c for c in headers.get_all("Set-Cookie") if c.startswith("sessionid=")
        )
        assert "Secure" in session_cookie
        assert "HttpOnly" in session_cookie

        # API throttle counts land in the shared cache: Redis when this run has one.
        status, _, _ = web.get("/api/polls/")
        assert status == 200
        if settings.REDIS_URL:
            # Keyed by a hash of the address, made with the web process's own secret key.
            with override_settings(SECRET_KEY=SECRET_KEY):
                key = f"throttle_anon_{address_hash('127.0.0.1')}"
            assert cache.get(key) % limits.COUNT_SCALE == 1

        # No debug page in production.
        status, _, body = web.get("/no-such-page/")
        assert status == 404
        assert b"Using the URLconf" not in body
        assert b"Traceback" not in body

        # A hashed static file, compressed, cached for ten years.
        hashed_css = f"/static/{manifest['css/votr.css']}"
        on_disk = (collected_static / manifest["css/votr.css"]).read_bytes()
        status, headers, body = web.get(hashed_css, headers={"Accept-Encoding": "br, gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "br"
        assert headers["Cache-Control"] == TEN_YEARS
        assert brotli.decompress(body) == on_disk
        status, headers, body = web.get(hashed_css, headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == on_disk

        # The worker's beat sweep records the close of the poll that was already due.
        def closed():
            with (
                psycopg2.connect(**production_database["connect"]) as db,
                db.cursor() as cursor,
            ):
                cursor.execute("SELECT closed_at FROM polls_poll WHERE id = %s", [due_poll_id])
                return cursor.fetchone()[0]

        wait_for(closed, timeout=90, interval=1, what="the worker to close the due poll")

        # SIGTERM, as Heroku sends on a restart: every process stops by itself, none is killed.
        children |= descendants(honcho_process.pid)
        honcho_process.send_signal(signal.SIGTERM)
        returncode = honcho_process.wait(timeout=60)
        output = log_path.read_text(errors="replace")
        assert returncode == 143, output  # honcho's code for "stopped by SIGTERM"
        # Each shut down by itself (honcho would have said "sending SIGKILL" after 5 s). The
        # rc honcho prints is that of the /bin/sh it wraps each line in, which dies of the
        # SIGTERM at once, so the programs' own words are what tells.
        assert "SIGKILL" not in output
        assert "Shutting down: Master" in output  # gunicorn, after its workers finished
        assert "Warm shutdown" in output  # Celery, after its running tasks finished
        assert "beat: Shutting down" in output
        wait_for(
            lambda: not still_running(children), timeout=10, what="every child process to exit"
        )
    finally:
        if honcho_process.poll() is None:
            children |= descendants(honcho_process.pid)
            honcho_process.kill()
            honcho_process.wait(timeout=10)
        for pid in still_running(children):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    output = log_path.read_text(errors="replace")
    assert output.count("Booting worker with pid") == 2  # WEB_CONCURRENCY
    # One access line per request, with the request id the router sent.
    assert re.search(
        rf'method=GET path="/" status=200 bytes=\d+ duration_ms=\d+ request_id={request_id}',
        output,
    ), output
    # Django's own line for a 404 carries the id of its request too.
    assert re.search(r"request_id=[0-9a-f]{32}: Not Found: /no-such-page/", output), output
    # The worker connected and ran the sweep, logged with the task's id.
    assert "Connected to amqp://" in output
    assert re.search(r"Task polls\.tasks\.close_due_polls_task\[[0-9a-f-]+\] succeeded", output)
    # Secrets never reach the logs.
    for secret in (SECRET_KEY, production_database["password"], broker_url):
        assert secret not in output
