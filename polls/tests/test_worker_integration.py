"""A real `celery -A votr_project worker --beat` closing polls.

On RabbitMQ and PostgreSQL (as in production): the per-poll message closes a poll on time, the
sweep closes one whose message was lost, a worker killed with SIGKILL mid-close leaves every
poll closed and mailed once after a restart, and with RabbitMQ unreachable creating polls and
voting still work. On the embedded default (filesystem transport, SQLite file), what
`python3 dev.py run` starts closes a poll too.

Each test's worker consumes a queue of its own (CELERY_TASK_DEFAULT_QUEUE), so concurrent runs
on one broker never take each other's messages, and sends mail to files in a temporary folder.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from polls import services, tasks
from polls.models import Poll
from votr_project.celery import app as celery_app

from .factories import PollFactory, UserFactory

ROOT = Path(settings.BASE_DIR)
BROKER_VARIABLES = (
    "RABBIT_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_TX_URL",
    "CELERY_BROKER_URL",
)


def wait_for(condition: Callable[[], object], *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Waited {seconds} s for {what}.")


def emails_about(mail_dir: Path, title: str) -> list[str]:
    """The emails the file backend wrote whose subject names `title`."""
    subject = f"Subject: Your poll has closed: {title}"
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        messages += [m for m in path.read_text().split("-" * 79) if subject in m]
    return messages


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


class Worker:
    """One worker process group (main process, pool child, embedded beat)."""

    def __init__(self, env: dict, log: Path, schedule: Path):
        self.log = log
        command = [
            sys.executable, "-m", "celery", "-A", "votr_project", "worker", "--beat",
            "--loglevel", "INFO", "--concurrency", "1",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--hostname", f"{env['CELERY_TASK_DEFAULT_QUEUE']}@%h",
            "--schedule", str(schedule),
        ]  # fmt: skip
        with log.open("a") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self.ready, seconds=60, what=f"the worker to start (log: {log})")

    def output(self) -> str:
        return self.log.read_text()

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"The worker exited:\n{self.output()}")
        return " ready." in self.output()

    def kill(self, sig=signal.SIGKILL, *, wait: float = 15) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=wait)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        self.kill(signal.SIGTERM, wait=10)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the beat child, if it lingers
        except ProcessLookupError:
            pass


def base_env(*, queue: str, mail_dir: Path, sweep_seconds: int) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in BROKER_VARIABLES}
    env.update(
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_EMAIL_FILE_PATH=str(mail_dir),
        VOTR_SWEEP_SECONDS=str(sweep_seconds),
    )
    return env


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# --- RabbitMQ and PostgreSQL ------------------------------------------------------------------


@pytest.fixture
def queue():
    """A queue of this test's own; what this process publishes goes there too."""
    name = f"votr-test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_default_queue = previous
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_delete(name)
        broker.default_channel.exchange_delete(name)


@pytest.fixture
def mail_dir(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def start_worker(transactional_db, queue, mail_dir, tmp_path):
    """Start workers on the test database; every one is stopped before the database is
    flushed, whatever the test did."""
    started = []

    def start(*, sweep_seconds: int) -> Worker:
        env = base_env(queue=queue, mail_dir=mail_dir, sweep_seconds=sweep_seconds)
        env.update(
            DATABASE_URL=database_url_of_the_test_database(),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        )
        worker = Worker(
            env, tmp_path / f"worker-{len(started)}.log", tmp_path / "celerybeat-schedule"
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_worker_closes_a_poll_on_time_from_its_own_message_and_mails_the_author(
    start_worker, mail_dir
):
    start_worker(sweep_seconds=3600)  # no sweep during the test: the message must do it
    author, voter = UserFactory(), UserFactory()
    closes_at = timezone.now() + timedelta(seconds=3)
    title = unique("Closes in 3 s?")
    # The rules ask for at least a minute: say the poll was created 57 s ago.
    poll = services.poll_create(
        author=author,
        title=title,
        option_labels=["Yes", "No"],
        closes_at=closes_at,
        now=closes_at - timedelta(minutes=1),
    )
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.get(label="No").pk)

    wait_for(
        lambda: Poll.objects.filter(pk=poll.pk, closed_at__isnull=False).exists(),
        seconds=60,
        what="the worker to close the poll",
    )
    lag = timezone.now() - closes_at
    assert Poll.objects.get(pk=poll.pk).closed_at == closes_at
    [email] = wait_for(lambda: emails_about(mail_dir, title), seconds=10, what="the email")
    assert f"To: {author.email}" in email
    assert "“No” won with 1 of 1 vote (100%)." in email
    assert lag < timedelta(seconds=60)
    print(f"closed {lag.total_seconds():.1f} s after its closing time")


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_the_sweep_closes_a_poll_whose_message_was_lost(start_worker, mail_dir):
    start_worker(sweep_seconds=2)
    closes_at = timezone.now() + timedelta(seconds=3)
    title = unique("Message lost?")
    # Made without services.poll_create, so no message was ever published for it.
    poll = PollFactory(title=title, created_at=closes_at - timedelta(hours=1), closes_at=closes_at)

    wait_for(
        lambda: Poll.objects.filter(pk=poll.pk, closed_at__isnull=False).exists(),
        seconds=60,
        what="the sweep to close the poll",
    )
    assert Poll.objects.get(pk=poll.pk).closed_at == closes_at
    wait_for(lambda: emails_about(mail_dir, title), seconds=10, what="the email")
    assert len(emails_about(mail_dir, title)) == 1


def backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_a_worker_killed_mid_close_and_restarted_closes_and_mails_every_poll_once(
    start_worker, mail_dir
):
    import psycopg2

    long_ago = timezone.now() - timedelta(minutes=5)
    titles = [unique(f"Killed {n}?") for n in range(5)]
    polls = [
        PollFactory(title=title, created_at=long_ago - timedelta(hours=1), closes_at=long_ago)
        for title in titles
    ]
    poll_ids = [poll.pk for poll in polls]
    # Hold the polls' row locks from another connection, so the worker is caught in the
    # middle of closing the first one when it is killed.
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT id FROM polls_poll WHERE id = ANY(%s) FOR UPDATE", (poll_ids,))
        for poll_id in poll_ids:
            tasks.close_poll_task.apply_async(args=[poll_id])

        first = start_worker(sweep_seconds=2)
        wait_for(backends_waiting_for_a_lock, seconds=30, what="the worker to start closing")
        first.kill(signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()
    assert Poll.objects.filter(pk__in=poll_ids, closed_at__isnull=False).count() == 0

    second = start_worker(sweep_seconds=2)
    wait_for(
        lambda: Poll.objects.filter(pk__in=poll_ids, closed_at__isnull=True).count() == 0,
        seconds=60,
        what="the restarted worker to close every poll",
    )
    # Every message handed back by the broker has been run (each logs its outcome) ...
    wait_for(
        lambda: all(f"close_poll_task({pk}):" in second.output() for pk in poll_ids),
        seconds=30,
        what="the redelivered messages to run",
    )
    # ... and each poll was closed at its closing time and mailed exactly once.
    for poll in polls:
        assert Poll.objects.get(pk=poll.pk).closed_at == long_ago
    assert [len(emails_about(mail_dir, title)) for title in titles] == [1] * len(titles)


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_with_rabbitmq_unreachable_polls_are_created_and_votes_cast_quickly(
    transactional_db, queue, mail_dir
):
    author, voter = UserFactory(), UserFactory()
    title = unique("Broker down?")
    env = base_env(queue=queue, mail_dir=mail_dir, sweep_seconds=60)
    env.update(
        DATABASE_URL=database_url_of_the_test_database(),
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:1//",  # nothing listens on port 1
    )
    script = f"""
import time
from datetime import timedelta
from django.utils import timezone
from polls import services
from polls.models import User
author, voter = User.objects.get(pk={author.pk}), User.objects.get(pk={voter.pk})
started = time.monotonic()
poll = services.poll_create(author=author, title={title!r}, option_labels=["a", "b"],
                            closes_at=timezone.now() + timedelta(minutes=2))
created = time.monotonic()
services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
voted = time.monotonic()
services.poll_close(poll=poll, by=author)
print(f"TIMES {{created - started:.3f}} {{voted - created:.3f}}")
"""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    create_seconds, vote_seconds = (float(word) for word in output.split("TIMES ")[1].split())
    assert create_seconds < 2
    assert vote_seconds < 2
    poll = Poll.objects.get(title=title)
    assert poll.options.first().votes == 1
    assert "Could not queue polls.tasks.close_poll_task" in output
    # No email from the request: the close is left for the sweep to mail, once.
    assert emails_about(mail_dir, title) == []
    assert poll.closed_at is not None
    assert poll.close_notified_at is None
    assert services.polls_close_due() == [poll.pk]
    assert services.polls_close_due() == []
    [email] = mail.outbox
    assert email.subject == f"Your poll has closed: {title}"
    print(f"create {create_seconds:.3f} s, vote {vote_seconds:.3f} s with the broker down")


# --- The embedded default: filesystem transport and a SQLite file ----------------------------


def test_worker_on_the_filesystem_transport_and_sqlite_closes_a_due_poll(tmp_path):
    """What `python3 dev.py run` starts: no broker server, no database server."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    queue = f"votr-test-{uuid.uuid4().hex[:12]}"
    database = tmp_path / "db.sqlite3"
    env = base_env(queue=queue, mail_dir=mail_dir, sweep_seconds=2)
    env["DATABASE_URL"] = f"sqlite:///{database}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    title = unique("Filesystem?")
    script = f"""
from datetime import timedelta
from django.utils import timezone
from polls import services
from polls.models import User
author = User.objects.create_user("author", "author@example.com", "x-Long-password-1")
closes_at = timezone.now() + timedelta(seconds=3)
poll = services.poll_create(author=author, title={title!r}, option_labels=["a", "b"],
                            closes_at=closes_at, now=closes_at - timedelta(minutes=1))
print(f"POLL {{poll.pk}}")
"""
    worker = Worker(env, tmp_path / "worker.log", tmp_path / "celerybeat-schedule")
    try:
        created = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        poll_id = int(created.stdout.split("POLL ")[1])

        def closed_at():
            with sqlite3.connect(database) as db:
                row = db.execute("SELECT closed_at FROM polls_poll WHERE id = ?", (poll_id,))
                return row.fetchone()[0]

        wait_for(closed_at, seconds=60, what="the worker to close the poll")
        wait_for(lambda: emails_about(mail_dir, title), seconds=10, what="the email")
        assert len(emails_about(mail_dir, title)) == 1
        assert f"close_poll_task({poll_id}): closed" in worker.output() or (
            "close_due_polls_task: closed 1 poll(s)" in worker.output()
        )
    finally:
        worker.stop()
