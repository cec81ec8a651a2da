import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from accounts import tokens
from polls.services import limits, publishing
from votr_project import health
from votr_project.celery import app as celery_app

from .factories import PollFactory, UserFactory
from .production import BASE_DIR, production_environment

CHROMIUM = Path("/usr/bin/chromium")


def database_is_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def broker_is_rabbitmq() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))


def cache_is_redis() -> bool:
    return bool(settings.REDIS_URL)


# The cache without REDIS_URL (settings: "Cache"), for tests that must run on it whatever the
# environment says, such as the pinned query counts.
DATABASE_CACHE = {
    "default": {
        "BACKEND": "votr_project.cache.UnculledDatabaseCache",
        "LOCATION": settings.CACHE_TABLE,
    }
}


def pytest_collection_modifyitems(config, items):
    """Leave out tests whose service this run does not have, and say so.

    They are deselected rather than skipped: the SQLite run is the quick local one, and
    `.ci/run` runs everything again on PostgreSQL, RabbitMQ and Redis, where a missing service
    fails.
    """
    missing = set()
    if not database_is_postgresql():
        missing.add("postgres")
    if not broker_is_rabbitmq():
        missing.add("rabbitmq")
    if not cache_is_redis():
        missing.add("redis")
    if not CHROMIUM.exists() and os.environ.get("VOTR_REQUIRE_BROWSER") != "1":
        missing.add("browser")
    selected, deselected, unmet = [], [], set()
    for item in items:
        needs = {mark.name for mark in item.iter_markers()} & missing
        unmet |= needs
        (deselected if needs else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"votr: left out {len(deselected)} test(s) that need {', '.join(sorted(unmet))}, "
                "absent from this run; `bash .ci/run` runs them on PostgreSQL, RabbitMQ, Redis "
                "and Chromium."
            )


@pytest.fixture(autouse=True, scope="session")
def _test_speedups():
    """Templates resolve {% static %} from the source folders, so tests need no collectstatic;
    and passwords hash quickly, since nearly every test makes users and the real hasher is
    slow on purpose. The Procfile tests run the real storage and hasher in their own
    processes."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(STORAGES=storages, PASSWORD_HASHERS=hashers):
        yield


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "_django_db_helper"}


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(request):
    """Throttle counts (API and page forms) live in the shared cache, which outlives a test:
    Redis, or a table that live-server tests really commit to and that no flush empties. Start
    and end every test at zero, so no test is refused for an earlier one's requests."""
    uses_database = request.node.get_closest_marker("django_db") or (
        DATABASE_FIXTURES & set(request.fixturenames)
    )
    if uses_database:
        request.getfixturevalue("_django_db_helper")  # as the test itself would
    elif not cache_is_redis():
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def database_cache(db):
    """The database cache, empty, whatever REDIS_URL says (each throttle check then costs two
    queries, pinned in api/test_throttling.py)."""
    with override_settings(CACHES=DATABASE_CACHE):
        cache.clear()
        yield cache


@pytest.fixture(
    params=[pytest.param("memory", id="memory"), pytest.param("redis", marks=pytest.mark.redis)]
)
def shared_cache(request, db):
    """A cache shared without queries, empty: Redis when this run has one, and process memory,
    which stands in for it here (never in production, where processes must share it)."""
    if request.param == "redis":
        assert cache_is_redis()
        cache.clear()
        yield cache
        return
    memory = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=memory):
        cache.clear()
        yield cache


@pytest.fixture(autouse=True)
def _broker_breaker_closed(monkeypatch):
    """Each test starts with publishing allowed and no broker state remembered by /healthz: a
    broker failure in one test (real or mocked) must not carry over to the next."""
    monkeypatch.setattr(publishing, "_broker_breaker", publishing._BrokerBreaker())
    monkeypatch.setattr(health, "_broker_checked", {"at": None, "up": False})
    # Likewise a cache found unreachable: the token cache and the limits pause for 10 s.
    monkeypatch.setattr(tokens._CacheDown, "until", 0.0)
    monkeypatch.setattr(limits._CacheDown, "until", 0.0)


@pytest.fixture
def challenge_off(settings):
    """No proof-of-work check on votes without an account: it has tests of its own
    (services/test_challenges.py, the browser's), and these are about telling voters apart."""
    settings.VOTR_CHALLENGE_DIFFICULTY = 0


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def poll(db):
    return PollFactory()


@pytest.fixture(autouse=True, scope="session")
def _celery_messages_to_a_queue_of_this_run():
    """Tests that really commit (live server, transactional) queue real messages when a poll
    closes soon or is closed early. Send those to a queue of this run, dropped at the end, so
    they never reach a worker consuming the real queue on the same broker."""
    from votr_project.celery import app as celery_app

    previous = celery_app.conf.task_default_queue
    name = f"votr-test-run-{os.getpid()}"
    celery_app.conf.task_default_queue = name
    yield
    celery_app.conf.task_default_queue = previous
    try:
        with celery_app.connection_for_write() as broker:
            broker.default_channel.queue_purge(name)
            broker.default_channel.queue_delete(name)
    except Exception:  # noqa: BLE001, S110 (nothing was published, or the broker is gone)
        pass


class AccountEmails:
    """Account emails as the worker sends them: what the pages and services queue is recorded
    (nothing is published), and `deliver()` runs it, as a worker would."""

    TASK_NAMES = (
        "send_activation_email_task",
        "send_signup_notice_task",
        "send_password_reset_task",
    )

    def __init__(self, capture_on_commit):
        self._capture_on_commit = capture_on_commit
        self.queued: list[tuple[str, list]] = []

    def committing(self):
        """Run the on-commit callbacks of what happens inside (the test's transaction never
        commits)."""
        return self._capture_on_commit(execute=True)

    def deliver(self) -> list:
        from polls import tasks

        queued, self.queued = self.queued, []
        return [getattr(tasks, name)(*args) for name, args in queued]


@pytest.fixture
def account_emails(django_capture_on_commit_callbacks):
    from polls import tasks

    emails = AccountEmails(django_capture_on_commit_callbacks)

    def recorder(name):
        def send(args=None, **options):
            emails.queued.append((name, list(args)))

        return send

    handlers = {getattr(tasks, name).name: recorder(name) for name in AccountEmails.TASK_NAMES}
    with sending_tasks(handlers):
        yield emails


def sending_tasks(handlers: dict):
    """Patch the Celery app's send_task (the seam services queue work through, by task name):
    a message for a task named in `handlers` goes to its handler, called with the message's
    args and options; any other goes where it went before."""
    send_before = celery_app.send_task

    def send_task(name, args=None, **options):
        if name in handlers:
            return handlers[name](args=args, **options)
        return send_before(name, args=args, **options)

    return mock.patch.object(celery_app, "send_task", side_effect=send_task)


@pytest.fixture(scope="session")
def collected_static() -> Path:
    """What Heroku's Python buildpack runs at build time, run once per test run and shared by
    every test that needs collected files: collecting them all (25 MB with the compressed
    copies, most of it the API viewers') takes a minute or more. They go to STATIC_ROOT (the
    project's `staticfiles/`, ignored by git), not a temporary folder, because the gunicorn
    servers the tests start read that folder and take no setting from the test."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=production_environment(DJANGO_ALLOWED_HOSTS="127.0.0.1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(settings.STATIC_ROOT)


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
