import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token

from polls import tasks
from polls.models import User

from ..factories import UserFactory
from ..fake_smtp import FakeSMTPServer
from .flows import reset_password_by_link

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-New-password-77"


def reset_link(client, account_emails, email: str) -> str:
    with account_emails.committing():
        client.post(reverse("password_reset"), {"email": email})
    assert mail.outbox == []  # the worker sends it, not the request
    account_emails.deliver()
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)


def test_login_page_links_to_the_reset_page(client):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page
    assert client.get(reverse("password_reset")).status_code == 200


def test_a_voter_resets_a_forgotten_password_through_the_emailed_link(client, account_emails):
    user = UserFactory(email="ada@example.com")

    link = reset_link(client, account_emails, "ADA@example.com")
    assert mail.outbox[0].to == ["ada@example.com"]
    assert mail.outbox[0].subject == "Reset your Votr password"
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert done.redirect_chain[-1][0] == reverse("login")
    assert b"Your password is set" in done.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_reset_page_does_not_tell_who_has_an_account(client, account_emails):
    UserFactory(email="ada@example.com")
    with account_emails.committing():
        known = client.post(reverse("password_reset"), {"email": "ada@example.com"}, follow=True)
        unknown = client.post(
            reverse("password_reset"), {"email": "nobody@example.com"}, follow=True
        )
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    account_emails.deliver()
    assert len(mail.outbox) == 1


def test_a_reset_link_works_once(client, account_emails):
    UserFactory(email="ada@example.com")
    link = reset_link(client, account_emails, "ada@example.com")
    set_page = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_page, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert b"This link no longer works" in again.content


def test_a_weak_new_password_is_refused_next_to_its_field(client, account_emails):
    user = UserFactory(email="ada@example.com")
    link = reset_link(client, account_emails, "ada@example.com")
    set_page = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(set_page, {"new_password1": "123", "new_password2": "123"})

    assert response.status_code == 200
    assert b"This password is too short" in response.content
    user.refresh_from_db()
    assert not user.check_password("123")


def test_resetting_the_password_revokes_the_users_api_tokens(client):
    user = UserFactory()
    Token.objects.create(user=user)
    reset_password_by_link(client, user, NEW_PASSWORD)

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not Token.objects.filter(user=user).exists()


# --- The email is written and sent by the worker ----------------------------------------------


@pytest.fixture
def smtp_server(settings):
    """A real (local) SMTP server that Django's SMTP backend talks to."""
    server = FakeSMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    yield server
    server.stop()


def test_the_reset_page_never_talks_to_the_mail_server(client, account_emails, smtp_server):
    """Django's own reset page sends the email inside the request, so an address with an
    account answered ~0.36 s slower with a real mail server: the request must not reach it."""
    user = UserFactory(email="ada@example.com")

    with account_emails.committing():
        response = client.post(reverse("password_reset"), {"email": "ada@example.com"})

    assert response.status_code == 302
    assert smtp_server.connections == 0
    assert account_emails.queued == [("send_password_reset_task", [user.pk])]
    assert account_emails.deliver() == [True]
    assert smtp_server.connections == 1
    assert "Subject: Reset your Votr password" in smtp_server.messages[0]


def test_the_reset_link_is_built_in_the_worker_from_the_site_url(client, account_emails, settings):
    settings.SITE_URL = "https://votr.example.com"
    user = UserFactory(email="ada@example.com")
    with account_emails.committing():
        client.post(reverse("password_reset"), {"email": "ada@example.com"})
    account_emails.deliver()

    body = mail.outbox[0].body
    link = re.search(r"https://votr\.example\.com(/accounts/password/reset/\S+/)", body).group(1)
    set_page = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_page, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "account",
    [
        {"is_active": False},
        {"is_active": False, "activation_pending": True},
        {"password": None},  # an unusable password: an account that logs in some other way
    ],
    ids=["deactivated", "not-activated", "unusable-password"],
)
def test_no_reset_is_queued_for_an_account_that_cannot_use_one(client, account_emails, account):
    UserFactory(email="ada@example.com", **account)
    with account_emails.committing():
        client.post(reverse("password_reset"), {"email": "ada@example.com"})
    assert account_emails.queued == [("send_password_reset_task", [0])]  # the one for nobody
    assert account_emails.deliver() == [False]
    assert mail.outbox == []


def test_every_reset_request_publishes_one_message_alike(client, account_emails):
    """Issue 10 review: a slow broker slows an address without an account as much as one with
    one. Every request publishes one message to the same task; 0 names no account."""
    user = UserFactory(email="ada@example.com")

    with account_emails.committing():
        client.post(reverse("password_reset"), {"email": "nobody@example.com"})
        client.post(reverse("password_reset"), {"email": "ADA@example.com"})

    assert account_emails.queued == [
        ("send_password_reset_task", [0]),
        ("send_password_reset_task", [user.pk]),
    ]
    assert account_emails.deliver() == [False, True]
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_the_reset_task_sends_nothing_to_an_account_changed_or_deleted_since(account_emails):
    deactivated, unusable, deleted = UserFactory(), UserFactory(), UserFactory()
    queued_for = [deactivated.pk, unusable.pk, deleted.pk]
    User.objects.filter(pk=deactivated.pk).update(is_active=False)
    unusable.set_unusable_password()
    unusable.save()
    deleted.delete()

    assert [tasks.send_password_reset_task(user_id) for user_id in queued_for] == [False] * 3
    assert mail.outbox == []
