import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from polls.models import Poll, User

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
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


@override_settings(DEBUG=True)
def test_load_demo_leaves_a_database_with_polls_alone(poll):
    call_command("load_demo")
    assert list(Poll.objects.all()) == [poll]


@override_settings(DEBUG=False)
def test_load_demo_refuses_to_run_with_debug_off():
    """Its superuser's password is published: never create it on a real site."""
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo", "--username", "demo", "--password", "demo-password-123")
    assert not User.objects.exists()
    assert not Poll.objects.exists()
