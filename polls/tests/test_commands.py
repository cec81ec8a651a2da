import pytest
from django.core.management import call_command

from polls.models import Poll, User

pytestmark = pytest.mark.django_db


def test_load_demo_creates_a_staff_user_and_open_polls_once():
    call_command("load_demo", "--username", "demo", "--password", "demo-password-123")
    call_command("load_demo", "--username", "demo", "--password", "demo-password-123")

    demo = User.objects.get(username="demo")
    assert demo.is_staff
    assert demo.is_active  # it logs in without an email
    assert not demo.activation_pending
    assert demo.check_password("demo-password-123")
    assert Poll.objects.count() == 4
    assert Poll.objects.open().count() == 4
    assert all(poll.options.count() >= 2 for poll in Poll.objects.all())


def test_load_demo_leaves_a_database_with_polls_alone(poll):
    call_command("load_demo")
    assert list(Poll.objects.all()) == [poll]
