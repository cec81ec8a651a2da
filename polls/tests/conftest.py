import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from polls import services
from votr_project import health

from .factories import PollFactory, UserFactory

CHROMIUM = Path("/usr/bin/chromium")


def database_is_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def broker_is_rabbitmq() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))


def pytest_collection_modifyitems(config, items):
    """Leave out tests whose service this run does not have, and say so.

    They are deselected rather than skipped: the SQLite run is the quick local one, and
    `.ci/run` runs everything again on PostgreSQL and RabbitMQ, where a missing service fails.
    """
    missing = set()
    if not database_is_postgresql():
        missing.add("postgres")
    if not broker_is_rabbitmq():
        missing.add("rabbitmq")
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
                "absent from this run; `bash .ci/run` runs them on PostgreSQL, RabbitMQ and "
                "Chromium."
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


@pytest.fixture(autouse=True)
def _broker_breaker_closed(monkeypatch):
    """Each test starts with publishing allowed and no broker state remembered by /healthz: a
    broker failure in one test (real or mocked) must not carry over to the next."""
    monkeypatch.setattr(services, "_broker_breaker", services._BrokerBreaker())
    monkeypatch.setattr(health, "_broker_checked", {"at": None, "up": False})


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
