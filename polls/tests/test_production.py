"""Production readiness: the deploy checklist, security headers and cookies on real responses,
/healthz, request ids, static files, the Python version, and the Procfile run by a real Procfile
runner (honcho) against PostgreSQL and RabbitMQ, as Heroku would run it."""

import contextlib
import gzip
import http.client
import json
import logging
import os
import platform
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import brotli
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path, reverse
from kombu import Connection

from polls import services
from votr_project import urls as site_urls
from votr_project.middleware import RequestIdLogFilter, RequestIdMiddleware

from .factories import PASSWORD, PollFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "a-production-secret-that-is-long-and-random-enough-" + "0123456789abcdef"
# Every variable that could make a subprocess differ from a clean production environment.
CONFIG_VARIABLES = {
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SITE_URL",
    "DATABASE_URL",
    "RABBIT_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_TX_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_DEFAULT_QUEUE",
    "REDIS_URL",
    "PORT",
    "WEB_CONCURRENCY",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
TEN_YEARS = "max-age=315360000, public, immutable"


def production_environment(**extra) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in CONFIG_VARIABLES}
    required = {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_SITE_URL": "https://votr.example.com"}
    return env | required | {"PYTHONUNBUFFERED": "1"} | extra


# --- The deploy checklist ---------------------------------------------------------------------


def test_check_deploy_is_clean_with_heroku_shaped_configuration():
    env = production_environment(
        DJANGO_ALLOWED_HOSTS="my-votr.herokuapp.com",
        DATABASE_URL="postgres://user:db-password@db.example.com:5432/votr",
        RABBITMQ_BIGWIG_RX_URL="amqp://user:broker-password@rx.example.com/vhost",
        RABBITMQ_BIGWIG_TX_URL="amqp://user:broker-password@tx.example.com/vhost",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "password" not in result.stdout + result.stderr


def test_runtime_txt_and_python_version_name_the_python_that_runs_the_tests():
    runtime = (BASE_DIR / "runtime.txt").read_text().strip()
    python_version = (BASE_DIR / ".python-version").read_text().strip()
    assert runtime == f"python-{python_version}"
    assert python_version == platform.python_version()


def test_procfile_declares_release_web_and_worker():
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in lines if re.match(r"^[A-Za-z0-9_-]+:", line))
    assert set(processes) == {"release", "web", "worker"}
    assert "migrate --no-input" in processes["release"]
    assert "createcachetable" not in processes["release"]  # migrate makes the cache table
    assert processes["release"].strip() == "python manage.py migrate --no-input"
    assert "gunicorn --config gunicorn.conf.py votr_project.wsgi" in processes["web"]


def test_gunicorn_takes_port_and_workers_from_the_platform(monkeypatch):
    monkeypatch.setenv("PORT", "43210")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert config["bind"] == "0.0.0.0:43210"
    assert config["workers"] == 5
    assert config["forwarded_allow_ips"] == "*"
    assert config["timeout"] < 30  # Heroku's router gives up on a request after 30 s
    assert config["accesslog"] == "-"
    assert "%({x-request-id}o)s" in config["access_log_format"]
    # Every name is one gunicorn knows: a typo would be ignored silently.
    from gunicorn.config import Config

    known = set(Config().settings)
    assert {name for name in config if not name.startswith("_") and name != "os"} <= known


def test_app_json_provisions_what_the_settings_read():
    app = json.loads((BASE_DIR / "app.json").read_text())
    assert {addon["plan"] for addon in app["addons"]} == {
        "heroku-postgresql",
        "rabbitmq-bigwig",
        "heroku-redis",  # sets REDIS_URL, the shared cache of the throttles
    }
    assert app["env"]["DJANGO_SECRET_KEY"]["generator"] == "secret"
    assert "DJANGO_ALLOWED_HOSTS" in app["env"]
    assert app["env"]["DJANGO_SITE_URL"]["required"] is True  # links in account emails
    assert app["formation"] == {"web": {"quantity": 1}, "worker": {"quantity": 1}}
    assert app["buildpacks"] == [{"url": "heroku/python"}]
    # The add-ons set these; the settings must read them (see BROKER_URL_VARIABLES).
    assert "RABBITMQ_BIGWIG_RX_URL" in settings.BROKER_URL_VARIABLES


# --- Security headers and cookies on real responses --------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("polls:index"), secure=True)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_error_pages_carry_the_content_security_policy_too(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == CSP


@pytest.mark.django_db
def test_csrf_cookie_is_secure_http_only_and_same_site(client):
    response = client.get(reverse("login"), secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The page carries the token in its form, which is where the pages read it from.
    assert b'name="csrfmiddlewaretoken"' in response.content


@pytest.mark.django_db
def test_session_cookie_is_secure_and_http_only(client):
    user = UserFactory()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_check():
    client = Client()
    page = client.get(reverse("polls:index"))
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/"
    assert client.get(reverse("healthz")).status_code == 200


def raise_an_error(request):
    raise RuntimeError("a bug with SECRET details")


# The site's own routes (the 500 page links to them) plus one that fails.
urlpatterns = [path("boom/", raise_an_error), *site_urls.urlpatterns]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_exception_shows_the_plain_500_page_not_a_traceback():
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", secure=True)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback" not in body
    assert "SECRET details" not in body
    assert "RuntimeError" not in body
    assert response["Content-Security-Policy"] == CSP


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=True)
def test_in_debug_djangos_own_error_pages_render_with_their_inline_styles():
    """Under dev.py run, the policy would leave Django's 404 and 500 pages unstyled; every
    other response keeps it."""
    client = Client(raise_request_exception=False)
    not_found = client.get("/no-such-page/", secure=True)
    assert not_found.status_code == 404
    assert b"Using the URLconf" in not_found.content
    error = client.get("/boom/", secure=True)
    assert error.status_code == 500
    assert b"RuntimeError" in error.content
    for response in (not_found, error):
        assert b"<style>" in response.content
        assert "Content-Security-Policy" not in response

    assert client.get(reverse("polls:index"), secure=True)["Content-Security-Policy"] == CSP
    api_not_found = client.get("/api/polls/no-such-poll/", secure=True)
    assert api_not_found.status_code == 404
    assert api_not_found["Content-Security-Policy"] == CSP


@pytest.mark.django_db
def test_an_unknown_page_shows_the_plain_404_page_not_the_url_list(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert b"Using the URLconf" not in response.content
    assert b"polls/<str:public_id>" not in response.content


class InlineCodeFinder(HTMLParser):
    """Collects what the Content-Security-Policy would block: inline <script> and <style>,
    on...= handlers, style="" attributes and javascript: links."""

    def __init__(self):
        super().__init__()
        self.blocked = []

    def handle_starttag(self, tag, attrs):
        names = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("inline <style>")
        self.blocked += [f"{tag} {name}=" for name in names if name.startswith("on")]
        if "style" in names:
            self.blocked.append(f'{tag} style="{names["style"]}"')
        if names.get("href", "").strip().lower().startswith("javascript:"):
            self.blocked.append(f"{tag} href=javascript:")


@pytest.mark.django_db
def test_pages_hold_nothing_the_content_security_policy_would_block(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    poll = PollFactory(author=staff)
    closed = PollFactory(author=staff)
    services.poll_close(poll=closed, by=staff)
    client.force_login(staff)
    pages = [
        reverse("polls:index"),
        reverse("polls:create"),
        reverse("polls:mine"),
        poll.get_absolute_url(),
        closed.get_absolute_url(),
        reverse("password_change"),
        "/no-such-page/",
        reverse("admin:index"),
        reverse("admin:polls_poll_changelist"),
        reverse("admin:polls_poll_change", args=[poll.pk]),
        reverse("admin:polls_user_changelist"),
        reverse("admin:polls_auditentry_changelist"),
    ]
    anonymous = [reverse("login"), reverse("signup"), poll.get_absolute_url()]
    blocked = {}
    for url, as_client in [(url, client) for url in pages] + [(url, Client()) for url in anonymous]:
        response = as_client.get(url, secure=True)
        assert response.status_code in (200, 404), url
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        if finder.blocked:
            blocked[url] = finder.blocked
    assert blocked == {}


# --- Request ids ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_routers_request_id_is_echoed(client):
    request_id = "f4a1b2c3-0d9e-4f5a-8b7c-6d5e4f3a2b1c"
    response = client.get(reverse("healthz"), headers={"X-Request-ID": request_id})
    assert response["X-Request-ID"] == request_id


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"))["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forged", ['x" status=200 admin="1', "short", "a" * 201, "id with spaces in it"]
)
def test_an_unsafe_request_id_is_replaced_so_it_cannot_forge_log_lines(client, forged):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": forged})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db  # closing a response closes stale database connections
def test_log_lines_written_during_a_request_carry_its_id(rf):
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect()
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("votr.test_request_id")
    logger.addHandler(handler)
    try:

        def view(request):
            logger.warning("inside the view")
            from django.http import HttpResponse

            return HttpResponse()

        middleware = RequestIdMiddleware(view)
        response = middleware(rf.get("/", headers={"X-Request-ID": "router-id-12345678"}))
        # Django logs 4xx and 5xx responses after the middleware returns: still this request.
        logger.warning("after the middleware")
        response.close()  # the server is done with the request
        logger.warning("after the request")
    finally:
        logger.removeHandler(handler)
    assert [(r.getMessage(), r.request_id) for r in records] == [
        ("inside the view", "router-id-12345678"),
        ("after the middleware", "router-id-12345678"),
        ("after the request", "-"),
    ]


# --- /healthz ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_is_ok_with_the_database_up(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    # The test run always has a broker: the filesystem transport or CI's RabbitMQ.
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("could not connect to server at db.internal")
    with mock.patch("votr_project.health.connection", broken):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unreachable"
    assert b"db.internal" not in response.content


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker_without_failing_or_leaking_its_url(client, caplog):
    closed_port = free_port()
    unreachable = Connection(
        f"amqp://votr:broker-password@127.0.0.1:{closed_port}//", connect_timeout=2
    )
    with mock.patch("votr_project.health.celery_app.connection_for_read", return_value=unreachable):
        started = time.monotonic()
        response = client.get(reverse("healthz"))
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "unreachable"}
    assert elapsed < 10
    assert b"broker-password" not in response.content
    assert str(closed_port).encode() not in response.content
    assert "broker-password" not in caplog.text


@pytest.mark.django_db
def test_healthz_checks_the_broker_at_most_every_ten_seconds(client, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("votr_project.health.time.monotonic", lambda: clock[0])
    closed_port = free_port()
    unreachable = Connection(f"amqp://votr:pw@127.0.0.1:{closed_port}//", connect_timeout=1)
    with mock.patch(
        "votr_project.health.celery_app.connection_for_read", return_value=unreachable
    ) as connect:
        assert client.get(reverse("healthz")).json()["broker"] == "unreachable"
        clock[0] += 9
        assert client.get(reverse("healthz")).json()["broker"] == "unreachable"
        assert connect.call_count == 1  # the cached answer
        clock[0] += 1
        client.get(reverse("healthz"))
        assert connect.call_count == 2


@pytest.mark.django_db
def test_healthz_accepts_only_get_and_head(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


# --- Static files, as collectstatic and whitenoise serve them --------------------------------


@pytest.mark.django_db
def test_collected_static_files_are_hashed_compressed_and_cached_for_ten_years(tmp_path):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--no-input", verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
        hashed = manifest["css/votr.css"]
        assert hashed != "css/votr.css"
        original = (tmp_path / hashed).read_bytes()
        # A fresh client builds a fresh middleware stack, so whitenoise indexes tmp_path.
        client = Client()
        url = f"/static/{hashed}"
        as_brotli = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
        plain = client.get(url)
        unhashed = client.get("/static/css/votr.css")

    assert as_brotli["Content-Encoding"] == "br"
    assert brotli.decompress(b"".join(as_brotli.streaming_content)) == original
    assert as_gzip["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(as_gzip.streaming_content)) == original
    assert "Content-Encoding" not in plain
    for response in (as_brotli, as_gzip, plain):
        assert response.status_code == 200
        assert response["Cache-Control"] == TEN_YEARS
        assert response["Vary"] == "Accept-Encoding"
    # The unhashed name may change content under the same URL: short cache only.
    assert unhashed["Cache-Control"] == "max-age=60, public"


# --- The Procfile under honcho, on PostgreSQL and RabbitMQ ------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (to tell a process from a later one with its pid), or
    None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root`, with its start time."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = {}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            started = process_start_time(child)
            if started is not None:
                found[child] = started
                stack.append(child)
    return found


def still_running(processes: dict[int, str]) -> list[int]:
    return [pid for pid, started in processes.items() if process_start_time(pid) == started]


class Web:
    """Plain HTTP to the web process, no redirects followed and no decoding, like a router."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method, path, headers=None, body=None, https=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            all_headers = {"Host": f"127.0.0.1:{self.port}"}
            if https:
                all_headers["X-Forwarded-Proto"] = "https"
            connection.request(method, path, body=body, headers=all_headers | (headers or {}))
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)


def wait_for(condition, *, timeout, interval=0.5, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def production_database():
    """A fresh PostgreSQL database of this test's own, dropped afterwards."""
    import psycopg2

    server = settings.DATABASES["default"]
    name = f"votr_procfile_{secrets.token_hex(4)}"
    connect = {
        "host": server["HOST"] or "127.0.0.1",
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"],
        "dbname": "postgres",
        "connect_timeout": 10,
    }
    admin = psycopg2.connect(**connect)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    # A password the logs must never show (PostgreSQL's trust auth ignores it when unused).
    password = server["PASSWORD"] or "procfile-db-password"
    url = f"postgres://{server['USER']}:{password}@{connect['host']}:{connect['port']}/{name}"
    try:
        yield {"url": url, "password": password, "connect": connect | {"dbname": name}}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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
    production_database, broker_queue, tmp_path
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

    # What Heroku's Python buildpack runs at build time.
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stdout + collect.stderr
    manifest = json.loads((BASE_DIR / "staticfiles" / "staticfiles.json").read_text())["paths"]

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
            assert len(cache.get("throttle_anon_127.0.0.1")) == 1

        # No debug page in production.
        status, _, body = web.get("/no-such-page/")
        assert status == 404
        assert b"Using the URLconf" not in body
        assert b"Traceback" not in body

        # A hashed static file, compressed, cached for ten years.
        hashed_css = f"/static/{manifest['css/votr.css']}"
        on_disk = (BASE_DIR / "staticfiles" / manifest["css/votr.css"]).read_bytes()
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


@pytest.mark.postgres
@pytest.mark.parametrize(
    "shared_cache",
    [pytest.param("database", id="database"), pytest.param("redis", marks=pytest.mark.redis)],
)
def test_two_web_servers_share_their_throttle_counts(production_database, shared_cache, tmp_path):
    """Two gunicorn servers (two dynos) against one PostgreSQL, and one Redis when set: a
    client's requests count together whichever server answers them."""
    env = production_environment(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=production_database["url"],
        DJANGO_THROTTLE_ANON="4/minute",
        WEB_CONCURRENCY="1",
        **({"REDIS_URL": settings.REDIS_URL} if shared_cache == "redis" else {}),
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    servers = []
    try:
        for name in ("one", "two"):
            port = free_port()
            log = (tmp_path / f"{name}.log").open("wb")
            process = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "votr_project.wsgi"],
                cwd=BASE_DIR,
                env=env | {"PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            servers.append((Web(port), process, log))
        for web, _, _ in servers:

            def healthy(web=web):
                with contextlib.suppress(OSError):
                    return web.get("/healthz", https=False)[0] == 200
                return False

            wait_for(healthy, timeout=90, what="both gunicorn servers to answer /healthz")
        one, two = servers[0][0], servers[1][0]

        statuses = [web.get("/api/polls/")[0] for web in (one, two, one, two, one, two)]
    finally:
        for _, process, log in servers:
            process.terminate()
            process.wait(timeout=30)
            log.close()

    # Four a minute in all, not four from each: the fifth is refused, on either server.
    assert statuses == [200, 200, 200, 200, 429, 429]
