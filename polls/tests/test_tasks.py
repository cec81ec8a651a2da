"""Closing polls in the background: the tasks, the sweep, the scheduling and the author's email.

Nothing here publishes to a broker: the Celery app's send_task (and the sweep's own
apply_async) is replaced by a recorder, so the tests see
exactly what would be queued (never eager mode, which ignores ETAs). Queued tasks are then run
by calling them, as a worker would. tests/test_worker_integration.py runs a real worker.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from importlib import import_module
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import OperationalError, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from polls import services, tasks
from polls.models import Option, Poll
from polls.services import closing, notifications, publishing

from .conftest import sending_tasks
from .factories import PollFactory, staff_with


def due_poll(*, ago=timedelta(minutes=5), **fields) -> Poll:
    closes_at = timezone.now() - ago
    return PollFactory(created_at=closes_at - timedelta(hours=1), closes_at=closes_at, **fields)


QUEUED_TASKS = (tasks.close_poll_task, tasks.close_due_polls_task, tasks.notify_poll_closed_task)


@pytest.fixture
def queued():
    """Record what would be published, per task name, instead of publishing it."""
    calls = {}

    def recorder(name):
        def record(args=None, **options):
            calls.setdefault(name, []).append({"args": args, **options})

        return record

    with ExitStack() as stack:
        # Services queue by name, through the app's send_task; the sweep re-queues itself.
        handlers = {task.name: recorder(task.name) for task in QUEUED_TASKS}
        stack.enter_context(sending_tasks(handlers))
        stack.enter_context(
            mock.patch.object(
                tasks.close_due_polls_task,
                "apply_async",
                side_effect=recorder(tasks.close_due_polls_task.name),
            )
        )
        yield calls


def run_emails(queued) -> None:
    """Run the queued email tasks, as the worker would."""
    for call in queued.pop(tasks.notify_poll_closed_task.name, []):
        tasks.notify_poll_closed_task(*call["args"])


# --- The close logic, with a controlled clock -------------------------------------------------


@pytest.mark.django_db
def test_poll_closes_exactly_at_its_closing_time_and_records_it():
    poll = PollFactory()
    closes_at = poll.closes_at
    assert (
        services.poll_close_if_due(poll_id=poll.pk, now=closes_at - timedelta(seconds=1)) is False
    )
    assert Poll.objects.get(pk=poll.pk).closed_at is None
    assert services.poll_close_if_due(poll_id=poll.pk, now=closes_at) is True
    assert Poll.objects.get(pk=poll.pk).closed_at == closes_at


@pytest.mark.django_db
def test_a_late_close_records_the_closing_time_not_the_moment_it_ran():
    poll = PollFactory()
    assert services.poll_close_if_due(poll_id=poll.pk, now=poll.closes_at + timedelta(hours=3))
    assert Poll.objects.get(pk=poll.pk).closed_at == poll.closes_at


@pytest.mark.django_db
def test_close_task_closes_a_due_poll_and_mails_its_author_once(
    queued, django_capture_on_commit_callbacks
):
    poll = due_poll(labels=["Tea", "Coffee", "Water"])
    Option.objects.filter(poll=poll, label="Coffee").update(votes=3)
    Option.objects.filter(poll=poll, label="Tea").update(votes=1)
    Poll.objects.filter(pk=poll.pk).update(ballot_count=4)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_poll_task(poll.pk) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_poll_task(poll.pk) is False

    assert queued == {}  # the worker sends it itself, before committing the close
    assert Poll.objects.get(pk=poll.pk).closed_at == poll.closes_at
    [email] = mail.outbox
    assert email.to == [poll.author.email]
    assert poll.title in email.subject
    assert "“Coffee” won with 3 of 4 votes (75%)." in email.body
    assert "Total votes: 4" in email.body
    assert "- Tea: 1 (25%)" in email.body
    assert "- Coffee: 3 (75%) — winner" in email.body
    assert "- Water: 0 (0%)" in email.body
    assert "<tr><td>Coffee <strong>(winner)</strong></td><td>3</td><td>75%</td></tr>" in html_part(
        email
    )


@pytest.mark.django_db
def test_close_task_for_a_deleted_poll_does_nothing(queued, django_capture_on_commit_callbacks):
    poll = due_poll()
    poll_id = poll.pk
    poll.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_poll_task(poll_id) is False
    assert queued == {}


@pytest.mark.django_db
def test_close_task_for_a_poll_moved_later_does_nothing_and_the_new_time_is_honoured(
    queued, django_capture_on_commit_callbacks
):
    now = timezone.now()
    poll = PollFactory(closes_at=now + timedelta(minutes=2))
    new_time = now + timedelta(minutes=8)
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_reschedule(poll=poll, closes_at=new_time, now=now)
    # The new message carries the new time.
    [message] = queued[tasks.close_poll_task.name]
    assert message["eta"] == new_time

    # The old message arrives at the old time: nothing happens.
    assert services.poll_close_if_due(poll_id=poll.pk, now=now + timedelta(minutes=2)) is False
    assert tasks.close_poll_task(poll.pk) is False
    assert Poll.objects.get(pk=poll.pk).closed_at is None
    # At the new time, the poll closes.
    assert services.poll_close_if_due(poll_id=poll.pk, now=new_time) is True
    assert Poll.objects.get(pk=poll.pk).closed_at == new_time


@pytest.mark.django_db
def test_a_poll_closed_early_by_its_author_mails_the_author_once(
    queued, django_capture_on_commit_callbacks
):
    poll = PollFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.poll_close(poll=poll, by=poll.author) is True
        assert services.poll_close(poll=poll, by=poll.author) is False
    assert mail.outbox == []  # never from the request: the worker sends it
    run_emails(queued)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 0  # closed and mailed: the sweep leaves it alone
    assert len(mail.outbox) == 1
    assert "Nobody voted in this poll." in mail.outbox[0].body
    assert Poll.objects.get(pk=poll.pk).close_notified_at is not None


@pytest.mark.django_db
def test_the_sweep_mails_a_closed_poll_whose_email_task_has_not_run_and_the_task_then_does_not(
    queued, django_capture_on_commit_callbacks
):
    poll = PollFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_close(poll=poll, by=poll.author)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 1
    run_emails(queued)  # the task's message arrives late
    assert [email.to for email in mail.outbox] == [[poll.author.email]]
    assert Poll.objects.get(pk=poll.pk).closed_at is not None  # the early close is kept


@pytest.mark.django_db
def test_a_reopened_poll_closed_again_is_mailed_again(queued, django_capture_on_commit_callbacks):
    poll = PollFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.poll_close(poll=poll, by=poll.author)
        run_emails(queued)
        with django_capture_on_commit_callbacks(execute=True):
            services.poll_reschedule(poll=poll, closes_at=timezone.now() + timedelta(days=1))
        assert Poll.objects.get(pk=poll.pk).close_notified_at is None
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_email_for_a_poll_deleted_or_reopened_before_it_went_out_is_not_sent():
    deleted = PollFactory()
    services.poll_close(poll=deleted)
    deleted_id = deleted.pk
    deleted.delete()
    reopened = PollFactory()
    services.poll_close(poll=reopened)
    services.poll_reschedule(poll=reopened, closes_at=timezone.now() + timedelta(hours=1))

    assert tasks.notify_poll_closed_task(deleted_id) is False
    assert tasks.notify_poll_closed_task(reopened.pk) is False
    assert mail.outbox == []


def outcome_email(title: str, votes: dict[str, int]):
    """The close email of a poll titled `title` with these counts (no database)."""
    total = sum(votes.values())
    results = services.PollResults(
        total_votes=total,
        options=[
            services.OptionResult(
                id=n,
                label=label,
                votes=count,
                percent=round(100 * count / total, 1) if total else 0,
            )
            for n, (label, count) in enumerate(votes.items())
        ],
    )
    poll = Poll(
        title=title,
        closed_at=timezone.now(),
        author=get_user_model()(username="ada", email="ada@example.com"),
    )
    with mock.patch.object(notifications, "poll_results", return_value=results):
        return notifications.outcome_email(poll)


def html_part(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.parametrize(
    ("votes", "verdict"),
    [
        ({"Soup": 2, "Salad": 2}, "A tie between “Soup” and “Salad”, 2 votes each."),
        (
            {"Soup": 1, "Salad": 1, "Stew": 1, "Toast": 0},
            "A tie between “Soup”, “Salad” and “Stew”, 1 vote each.",
        ),
        ({"Soup": 1, "Salad": 0}, "“Soup” won with 1 of 1 vote (100%)."),
        ({"Soup": 1, "Salad": 2}, "“Salad” won with 2 of 3 votes (66.7%)."),
        ({"Soup": 0, "Salad": 0}, "Nobody voted in this poll."),
    ],
)
def test_outcome_email_states_the_verdict_in_plain_english(votes, verdict):
    email = outcome_email("Lunch?", votes)

    assert f"\n\n{verdict}\n\n" in email.body
    assert f"<strong>{verdict}</strong>" in html_part(email)
    assert email.to == ["ada@example.com"]


def test_outcome_email_subject_is_one_line_and_its_html_escapes_the_title():
    email = outcome_email('Lunch?\n<b>Really</b> "now"', {"<i>Soup</i>": 3, "Salad": 1})

    assert email.subject == 'Your poll has closed: Lunch? <b>Really</b> "now"'
    assert 'Your poll "Lunch?\n<b>Really</b> "now"" closed at' in email.body  # text: as typed
    assert "- <i>Soup</i>: 3 (75%)" in email.body
    html = html_part(email)
    assert "&lt;b&gt;Really&lt;/b&gt; &quot;now&quot;" in html
    assert "&lt;i&gt;Soup&lt;/i&gt;" in html
    assert "<b>" not in html
    assert "<i>" not in html


# --- The sweep --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_closes_exactly_the_due_polls(queued, django_capture_on_commit_callbacks):
    due = [due_poll(), due_poll(ago=timedelta(days=2)), due_poll(ago=timedelta(seconds=1))]
    still_open = PollFactory()
    already_closed = due_poll()
    services.poll_close(poll=already_closed)
    Poll.objects.filter(pk=already_closed.pk).update(close_notified_at=timezone.now())
    closed_at_before = Poll.objects.get(pk=already_closed.pk).closed_at

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 3

    assert set(Poll.objects.filter(closed_at__isnull=False).values_list("pk", flat=True)) == {
        *(poll.pk for poll in due),
        already_closed.pk,
    }
    assert Poll.objects.get(pk=still_open.pk).closed_at is None
    assert Poll.objects.get(pk=already_closed.pk).closed_at == closed_at_before
    for poll in due:
        assert Poll.objects.get(pk=poll.pk).closed_at == poll.closes_at
    assert sorted(email.to[0] for email in mail.outbox) == sorted(p.author.email for p in due)


@pytest.mark.parametrize("due_count", [1, 20])
@pytest.mark.django_db
def test_sweep_costs_the_same_queries_for_1_or_20_due_polls(
    due_count, queued, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for _ in range(due_count):
        due_poll()
    PollFactory()
    # Savepoint, select and lock the due polls with their authors, their options (for the
    # emails), update them, release the savepoint.
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(5):
        assert tasks.close_due_polls_task() == due_count
    assert len(mail.outbox) == due_count


@pytest.mark.django_db
def test_sweeping_twice_closes_and_mails_each_poll_once(queued, django_capture_on_commit_callbacks):
    polls = [due_poll() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 0
        assert all(tasks.close_poll_task(poll.pk) is False for poll in polls)
    assert sorted(email.to[0] for email in mail.outbox) == sorted(p.author.email for p in polls)


@pytest.mark.django_db
def test_sweep_with_a_backlog_carries_on_in_a_new_task(
    queued, django_capture_on_commit_callbacks, monkeypatch
):
    for _ in range(3):
        due_poll()
    monkeypatch.setattr(services, "POLLS_CLOSE_DUE_LIMIT", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 2
    assert len(queued[tasks.close_due_polls_task.name]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 1
    assert len(queued[tasks.close_due_polls_task.name]) == 1
    assert not Poll.objects.due_for_closing().exists()


# --- Scheduling -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_poll_closing_soon_is_queued_with_an_eta_at_its_closing_time_and_its_id_only(
    user, queued, django_capture_on_commit_callbacks
):
    closes_at = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        poll = services.poll_create(
            author=user, title="Soon?", option_labels=["a", "b"], closes_at=closes_at
        )
    assert queued == {
        tasks.close_poll_task.name: [{"args": [poll.pk], "eta": closes_at, "retry": False}]
    }
    assert type(poll.pk) is int


@pytest.mark.django_db
def test_a_poll_closing_later_is_left_to_the_sweep(
    user, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_create(author=user, title="Later?", option_labels=["a", "b"])
        services.poll_create(
            author=user,
            title="In an hour?",
            option_labels=["a", "b"],
            closes_at=timezone.now() + timedelta(hours=1),
        )
    assert queued == {}


@pytest.mark.django_db
def test_nothing_is_queued_for_a_poll_whose_transaction_rolled_back(
    user, queued, django_capture_on_commit_callbacks
):
    def create_then_fail():
        with transaction.atomic():
            services.poll_create(
                author=user,
                title="Soon?",
                option_labels=["a", "b"],
                closes_at=timezone.now() + timedelta(minutes=5),
            )
            raise RuntimeError("the request failed after creating the poll")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            create_then_fail()
    assert callbacks == []
    assert queued == {}


@pytest.mark.django_db
def test_rescheduling_to_a_time_soon_queues_a_close_at_the_new_time(
    poll, queued, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_reschedule(poll=poll, closes_at=now + timedelta(days=3), now=now)
    assert queued == {}
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_reschedule(poll=poll, closes_at=now + timedelta(minutes=3), now=now)
    assert queued[tasks.close_poll_task.name] == [
        {"args": [poll.pk], "eta": now + timedelta(minutes=3), "retry": False}
    ]


# --- Broker down ------------------------------------------------------------------------------


@pytest.fixture
def broker_down():
    with mock.patch(
        "celery.app.base.Celery.send_task", side_effect=BrokerDown("[Errno 111] Connection refused")
    ) as apply_async:
        yield apply_async


@pytest.mark.django_db
def test_with_the_broker_down_polls_are_created_and_votes_cast_and_the_error_logged(
    user, other_user, broker_down, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="polls.services"):
        with django_capture_on_commit_callbacks(execute=True):
            poll = services.poll_create(
                author=user,
                title="Broker down?",
                option_labels=["yes", "no"],
                closes_at=timezone.now() + timedelta(minutes=2),
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.vote_cast(poll=poll, voter=other_user, option_id=poll.options.first().pk)
    assert broker_down.called
    assert Poll.objects.filter(pk=poll.pk).exists()
    assert poll.options.first().votes == 1
    [record] = caplog.records
    assert "Could not queue polls.tasks.close_poll_task" in record.getMessage()
    assert "the close sweep will catch up" in record.getMessage()


@pytest.mark.django_db
def test_with_the_broker_down_no_email_is_sent_in_the_request_and_the_sweep_mails_it_once(
    broker_down, django_capture_on_commit_callbacks
):
    """An SMTP server that hangs would hold the request: the sweep, in the worker, mails it."""
    poll = PollFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.poll_close(poll=poll, by=staff_with("polls.change_poll")) is True
    assert broker_down.called
    assert mail.outbox == []
    assert Poll.objects.get(pk=poll.pk).close_notified_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.close_due_polls_task() == 1
        assert tasks.close_due_polls_task() == 0
    assert [email.to for email in mail.outbox] == [[poll.author.email]]


@pytest.mark.django_db
def test_after_a_broker_failure_publishing_pauses_then_resumes_with_one_log_line_each(
    broker_down, caplog, settings, monkeypatch
):
    settings.BROKER_PAUSE_SECONDS = 30
    clock = [1000.0]
    monkeypatch.setattr(publishing.time, "monotonic", lambda: clock[0])
    close_poll = tasks.close_poll_task.name
    with caplog.at_level(logging.INFO, logger="polls.services"):
        assert publishing.task_publish(name=close_poll, args=[1]) is False
        assert publishing.task_publish(name=close_poll, args=[2]) is False  # not tried
        assert broker_down.call_count == 1
        clock[0] += 29
        assert publishing.task_publish(name=close_poll, args=[3]) is False
        assert broker_down.call_count == 1
        clock[0] += 1
        broker_down.side_effect = None  # the broker is back
        assert publishing.task_publish(name=close_poll, args=[4]) is True
        assert publishing.task_publish(name=close_poll, args=[5]) is True
    assert broker_down.call_count == 3
    assert [record.getMessage() for record in caplog.records] == [
        "Could not queue polls.tasks.close_poll_task(1,) (OperationalError); the close sweep "
        "will catch up. Not publishing for 30 s.",
        "The broker answers again; publishing resumed.",
    ]


@pytest.mark.django_db
def test_close_task_retries_a_transient_database_error_then_gives_up():
    with mock.patch.object(
        services, "poll_close_if_due", side_effect=OperationalError("server closed")
    ) as close:
        result = tasks.close_poll_task.apply(args=[1])
    assert isinstance(result.result, OperationalError)
    assert close.call_count == tasks.close_poll_task.max_retries + 1


@pytest.mark.django_db
def test_closed_polls_are_marked_notified_by_the_migration_and_open_ones_are_not():
    """0004 backfills close_notified_at, so the sweep does not mail polls closed long ago."""
    migration = import_module("polls.migrations.0007_poll_close_notified_at")
    closed, still_open = PollFactory(), PollFactory()
    Poll.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    migration.mark_closed_polls_notified(apps, None)
    assert (
        Poll.objects.get(pk=closed.pk).close_notified_at == Poll.objects.get(pk=closed.pk).closed_at
    )
    assert Poll.objects.get(pk=still_open.pk).close_notified_at is None
    assert tasks.close_due_polls_task() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_failure_is_logged_and_the_close_still_recorded(caplog):
    poll = due_poll()
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=ConnectionRefusedError("smtp down"),
        ),
        caplog.at_level(logging.ERROR, logger="polls.services.notifications"),
    ):
        assert tasks.close_poll_task(poll.pk) is True
    assert Poll.objects.get(pk=poll.pk).closed_at == poll.closes_at
    assert f"Could not send the outcome email of poll(s) {poll.pk}" in caplog.text


# --- No lock while mailing --------------------------------------------------------------------


@pytest.fixture
def sending_observed(monkeypatch):
    """Record, at each send, whether a transaction was open and what the database had already
    committed for the polls being mailed."""
    seen = []
    send = closing.send_outcome_emails

    def observe(polls):
        committed = Poll.objects.filter(pk__in=[poll.pk for poll in polls]).values_list(
            "closed_at", "close_notified_at"
        )
        seen.append((connections["default"].in_atomic_block, list(committed)))
        return send(polls)

    monkeypatch.setattr(closing, "send_outcome_emails", observe)
    return seen


@pytest.mark.parametrize("path", ["task", "sweep", "notice"])
@pytest.mark.django_db(transaction=True)
def test_the_close_is_committed_and_its_email_claimed_before_the_email_is_sent(
    path, sending_observed
):
    """A slow mail server must not hold a poll's row lock (a web close or reopen would wait):
    the close and the claim commit first, the email goes out outside any transaction."""
    poll = due_poll()
    if path == "task":
        assert tasks.close_poll_task(poll.pk) is True
    elif path == "sweep":
        assert tasks.close_due_polls_task() == 1
    else:
        with mock.patch.object(closing, "task_publish_on_commit"):
            services.poll_close(poll=poll, by=poll.author)
        assert tasks.notify_poll_closed_task(poll.pk) is True

    [(in_transaction, [(closed_at, notified_at)])] = sending_observed
    assert in_transaction is False
    assert closed_at is not None
    assert notified_at is not None
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_mail_each_close_once():
    polls = [due_poll() for _ in range(10)]
    start = threading.Barrier(2)

    def sweep(_):
        try:
            start.wait(timeout=60)
            return services.polls_close_due()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        swept = [poll_id for ids in pool.map(sweep, range(2)) for poll_id in ids]

    assert sorted(swept) == sorted(poll.pk for poll in polls)
    assert sorted(email.to[0] for email in mail.outbox) == sorted(p.author.email for p in polls)
