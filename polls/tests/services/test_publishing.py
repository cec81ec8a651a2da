"""polls/services/publishing.py: the one seam that queues background work, by task name."""

import pytest

from polls import tasks
from polls.services import publishing
from votr_project.celery import app as celery_app

from ..conftest import sending_tasks

TASK_NAMES = {
    publishing.CLOSE_POLL_TASK: tasks.close_poll_task,
    publishing.NOTIFY_POLL_CLOSED_TASK: tasks.notify_poll_closed_task,
    publishing.SEND_ACTIVATION_EMAIL_TASK: tasks.send_activation_email_task,
    publishing.SEND_SIGNUP_NOTICE_TASK: tasks.send_signup_notice_task,
    publishing.SEND_PASSWORD_RESET_TASK: tasks.send_password_reset_task,
}


@pytest.mark.parametrize("name", TASK_NAMES)
def test_each_name_services_queue_is_the_registered_task_of_that_name(name):
    """Names never change: a message with an ETA may wait in the broker across a deploy."""
    assert name.startswith("polls.tasks.")
    assert celery_app.tasks[name] == TASK_NAMES[name]
    assert TASK_NAMES[name].name == name


def test_a_publish_sends_the_task_by_name_once_without_retrying():
    sent = []
    with sending_tasks({publishing.CLOSE_POLL_TASK: lambda **message: sent.append(message)}):
        assert publishing.task_publish(name=publishing.CLOSE_POLL_TASK, args=[7]) is True
    assert sent == [{"args": [7], "retry": False}]


@pytest.mark.django_db
def test_a_publish_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    sent = []
    with sending_tasks({publishing.NOTIFY_POLL_CLOSED_TASK: lambda **m: sent.append(m)}):
        with django_capture_on_commit_callbacks() as callbacks:
            publishing.task_publish_on_commit(name=publishing.NOTIFY_POLL_CLOSED_TASK, args=[3])
            assert sent == []
        for callback in callbacks:
            callback()
    assert sent == [{"args": [3], "retry": False}]
