"""Signing up by email: the same answer for a new and a registered address (page and API), an
activation link for a new one, a notice for a registered one, both sent by the worker."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from polls import tasks
from polls.api.account_serializers import SIGN_UP_ACCEPTED
from polls.models import User

from ..factories import PASSWORD, PollFactory, UserFactory
from ..test_views import flashes

pytestmark = pytest.mark.django_db

USERS = "/api/users/"
TOKEN = "/api/auth/token/"
NEW_PASSWORD = "another-Strong-password-77"


def details(username: str, email: str, password: str = PASSWORD) -> dict:
    return {"username": username, "email": email, "password": password}


def sign_up(client, account_emails, username: str, email: str, password: str = PASSWORD):
    with account_emails.committing():
        return client.post(reverse("signup"), details(username, email, password), follow=True)


def link_in(message) -> str:
    """The path of the one link to this site in an email."""
    return re.search(r"http://testserver(/accounts/activate/\S+/)", message.body).group(1)


def activate(client, link: str, password: str = PASSWORD, **kwargs):
    """Submit the activation page the emailed link opens, with the sign-up's password."""
    return client.post(link, {"password": password}, **kwargs)


# --- The same answer for any address ----------------------------------------------------------


def test_the_sign_up_page_answers_the_same_for_a_new_and_a_registered_address(
    client, account_emails
):
    UserFactory(username="ada", email="ada@example.com")

    new = sign_up(client, account_emails, "newbie", "newbie@example.com")
    registered = sign_up(client, account_emails, "someone", "ADA@example.com")

    for response in (new, registered):
        assert response.status_code == 200
        assert response.redirect_chain == [(reverse("signup_done"), 302)]
        assert [t.name for t in response.templates][0] == "registration/signup_done.html"
        assert flashes(response) == []
        assert not response.context["user"].is_authenticated
    assert new.content == registered.content
    assert b"Check your email" in new.content
    # Nothing is sent from the request; the worker sends one email to each address.
    assert mail.outbox == []
    assert account_emails.queued == [
        ("send_activation_email_task", [User.objects.get(username="newbie").pk]),
        ("send_signup_notice_task", [User.objects.get(username="ada").pk]),
    ]
    assert account_emails.deliver() == [True, True]
    assert [message.to for message in mail.outbox] == [["newbie@example.com"], ["ada@example.com"]]
    assert not User.objects.filter(username="someone").exists()


def test_the_api_answers_202_the_same_for_a_new_and_a_registered_address(account_emails):
    UserFactory(username="ada", email="ada@example.com")
    api = APIClient()

    with account_emails.committing():
        new = api.post(USERS, details("newbie", "newbie@example.com"), format="json")
        registered = api.post(USERS, details("someone", "ada@example.com"), format="json")

    assert new.status_code == registered.status_code == 202
    assert new.json() == registered.json() == {"detail": SIGN_UP_ACCEPTED}
    assert new.headers.get("Location") is None
    assert mail.outbox == []
    assert [name for name, _ in account_emails.queued] == [
        "send_activation_email_task",
        "send_signup_notice_task",
    ]
    assert User.objects.get(username="newbie").is_active is False


def test_a_taken_username_is_still_said_since_usernames_are_public(client, account_emails):
    UserFactory(username="ada", email="ada@example.com")

    response = sign_up(client, account_emails, "ADA", "new@example.com")

    assert response.context["form"].errors == {"username": ["That username is taken."]}
    assert account_emails.queued == []


def test_a_registered_address_costs_the_same_password_hash_as_a_new_one(account_emails):
    """The hash is what makes creating an account slow; the notice path hashes too."""
    UserFactory(email="ada@example.com")
    with mock.patch("accounts.services.make_password", wraps=services.make_password) as hashing:
        services.user_signup(username="someone", email="ada@example.com", password=PASSWORD)
    hashing.assert_called_once_with(PASSWORD)


# --- Activation -------------------------------------------------------------------------------


def test_the_activation_link_activates_logs_in_and_works_once(client, account_emails):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    message = mail.outbox[0]
    assert message.subject == "Activate your Votr account"
    link = link_in(message)

    activated = activate(client, link, follow=True)

    assert activated.redirect_chain == [(reverse("polls:index"), 302)]
    assert flashes(activated) == ["Welcome to Votr, newbie! Your account is active."]
    assert activated.context["user"].username == "newbie"
    user = User.objects.get(username="newbie")
    assert user.is_active
    assert not user.activation_pending
    assert user.check_password(PASSWORD)

    client.logout()
    again = client.get(link)
    assert again.status_code == 200
    assert [t.name for t in again.templates][0] == "registration/activation_invalid.html"
    assert b"This link no longer works" in again.content
    assert not again.wsgi_request.user.is_authenticated


def test_opening_the_activation_link_changes_nothing_until_the_password_is_given(
    client, account_emails
):
    """Issue 10 review: a GET (a mail scanner, a forged page's image) neither activates, nor
    logs in, nor uses the link up."""
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    link = link_in(mail.outbox[0])

    opened = client.get(link)
    opened_again = Client().get(link)

    assert [t.name for t in opened.templates][0] == "registration/activate.html"
    assert [t.name for t in opened_again.templates][0] == "registration/activate.html"
    assert 'name="password"' in opened.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.get(username="newbie").is_active is False
    assert activate(client, link)["Location"] == reverse("polls:index")


def test_activating_takes_the_csrf_token(account_emails):
    """No login CSRF: another site cannot post the form to log a browser into its account."""
    sign_up(Client(), account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    browser = Client(enforce_csrf_checks=True)

    assert activate(browser, link_in(mail.outbox[0])).status_code == 403
    assert User.objects.get(username="newbie").is_active is False


def test_an_account_someone_else_signed_up_with_your_address_stays_off(client, account_emails):
    """Pre-hijacking: Mallory signs up with Ada's address and her own password; Ada, following
    the unsolicited link, cannot switch the account on, as she does not know that password."""
    sign_up(Client(), account_emails, "mallory", "ada@example.com", NEW_PASSWORD)
    account_emails.deliver()

    response = activate(client, link_in(mail.outbox[0]), PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].errors == {"password": [services.WRONG_ACTIVATION_PASSWORD]}
    assert User.objects.get(username="mallory").is_active is False
    assert "_auth_user_id" not in client.session


def test_wrong_activation_passwords_count_towards_the_login_lockout(client, account_emails):
    from axes.models import AccessAttempt

    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    link = link_in(mail.outbox[0])

    answers = [activate(client, link, "wrong-password") for _ in range(settings.AXES_FAILURE_LIMIT)]

    assert [answer.status_code for answer in answers[:-1]] == [200] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert answers[-1].status_code == 429
    assert AccessAttempt.objects.get().username == "newbie"
    assert activate(client, link).status_code == 429  # the right one too, while locked out
    assert User.objects.get(username="newbie").is_active is False


def test_the_activation_link_returns_to_the_page_the_sign_up_started_from(client, account_emails):
    """The sign-up form carries `next` (from the header's link); the activation opened in the
    same browser goes back there."""
    poll = PollFactory()
    page = client.get(f"{reverse('signup')}?next={poll.get_absolute_url()}")
    assert f'name="next" value="{poll.get_absolute_url()}"' in page.content.decode()
    with account_emails.committing():
        sent = client.post(
            reverse("signup"),
            details("newbie", "newbie@example.com") | {"next": poll.get_absolute_url()},
            follow=True,
        )
    assert f'href="{reverse("login")}?next={poll.get_absolute_url()}"' in sent.content.decode()
    account_emails.deliver()

    activated = activate(client, link_in(mail.outbox[0]), follow=True)

    assert activated.redirect_chain == [(poll.get_absolute_url(), 302)]
    assert flashes(activated) == ["Welcome to Votr, newbie! Your account is active."]
    assert activated.context["user"].username == "newbie"


def test_the_activation_link_goes_home_for_a_next_on_another_site_or_another_browser(
    client, account_emails
):
    with account_emails.committing():
        client.post(
            reverse("signup"),
            details("newbie", "newbie@example.com") | {"next": "https://evil.example/"},
        )
        Client().post(
            reverse("signup"),
            details("other", "other@example.com") | {"next": PollFactory().get_absolute_url()},
        )
    account_emails.deliver()
    first, second = (link_in(message) for message in mail.outbox)

    assert activate(client, first)["Location"] == reverse("polls:index")
    assert activate(Client(), second)["Location"] == reverse("polls:index")


@pytest.mark.parametrize(
    "damage",
    [
        lambda link: link.replace("/activate/", "/activate/x"),  # another (or no) account
        lambda link: link[:-3] + "00/",  # a forged token
    ],
    ids=["uid", "token"],
)
def test_a_forged_link_gets_the_friendly_page(client, account_emails, damage):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()

    response = client.get(damage(link_in(mail.outbox[0])))

    assert response.status_code == 200
    assert b"sign up again" in response.content
    assert User.objects.get(username="newbie").is_active is False


def test_an_expired_link_gets_the_friendly_page(client, account_emails, settings):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    later = timezone.now().replace(tzinfo=None) + timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )

    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        response = client.get(link_in(mail.outbox[0]))

    assert b"This link no longer works" in response.content
    assert User.objects.get(username="newbie").is_active is False


def test_a_password_reset_link_does_not_activate(account_emails):
    from polls.tokens import _uidb64

    user = UserFactory(is_active=False, activation_pending=True)
    reset_token = PasswordResetTokenGenerator().make_token(user)
    activated = services.user_activate(uidb64=_uidb64(user), token=reset_token, password=PASSWORD)
    assert activated is None


def test_signing_up_again_before_activating_sends_a_new_link_and_ends_the_old(
    client, account_emails
):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    sign_up(client, account_emails, "newbie2", "NEWBIE@example.com", NEW_PASSWORD)
    account_emails.deliver()
    first, second = mail.outbox

    assert second.subject == "Activate your Votr account"
    assert User.objects.filter(email__iexact="newbie@example.com").count() == 1
    assert b"no longer works" in client.get(link_in(first)).content
    activate(client, link_in(second), NEW_PASSWORD)
    user = User.objects.get(email="newbie@example.com")
    # The latest sign-up's details: whoever signed up first cannot log in to the account.
    assert (user.username, user.is_active) == ("newbie2", True)
    assert user.check_password(NEW_PASSWORD)


def test_the_same_username_can_be_used_again_before_activating(client, account_emails):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    response = sign_up(client, account_emails, "newbie", "newbie@example.com")
    assert response.redirect_chain == [(reverse("signup_done"), 302)]
    assert [name for name, _ in account_emails.queued] == ["send_activation_email_task"] * 2


def test_a_deactivated_account_is_never_activated_again_by_signing_up(client, account_emails):
    user = UserFactory(email="ada@example.com", is_active=False)

    sign_up(client, account_emails, "someone", "ada@example.com")

    assert account_emails.queued == [("send_signup_notice_task", [user.pk])]
    account_emails.deliver()
    assert "/accounts/activate/" not in mail.outbox[0].body
    user.refresh_from_db()
    assert user.is_active is False


# --- The notice to a registered address -------------------------------------------------------


def test_the_notice_says_someone_tried_and_links_to_log_in_and_reset(
    client, account_emails, settings
):
    settings.SITE_URL = "https://votr.example.com"
    UserFactory(username="ada", email="ada@example.com")

    sign_up(client, account_emails, "someone", "ada@example.com")
    account_emails.deliver()

    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Someone tried to sign up to Votr with your address"
    assert "tried to sign up to Votr with this email address" in message.body
    assert "your username is ada" in message.body
    assert f"https://votr.example.com{reverse('login')}\n" in message.body
    assert f"https://votr.example.com{reverse('password_reset')}\n" in message.body
    assert "/accounts/activate/" not in message.body
    assert "&amp;" not in message.body


# --- The tasks, run late ----------------------------------------------------------------------


def test_the_tasks_do_nothing_for_a_deleted_account():
    user = UserFactory()
    user_id = user.pk
    user.delete()
    assert tasks.send_activation_email_task(user_id) is False
    assert tasks.send_signup_notice_task(user_id) is False
    assert mail.outbox == []


def test_the_activation_task_does_nothing_once_the_account_is_active():
    user = UserFactory()  # active, as after its link was used
    assert tasks.send_activation_email_task(user.pk) is False
    assert mail.outbox == []


def test_a_mail_server_failure_is_logged_not_raised(settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    user = UserFactory(is_active=False, activation_pending=True)

    assert tasks.send_activation_email_task(user.pk) is False
    assert "Could not send registration/activation_email.txt" in caplog.text


# --- An account that is not active cannot log in ----------------------------------------------


def test_an_account_not_yet_activated_cannot_log_in_and_is_told_as_for_a_wrong_password(client):
    UserFactory(username="waiting", is_active=False, activation_pending=True)
    UserFactory(username="active")

    not_active = client.post(reverse("login"), {"username": "waiting", "password": PASSWORD})
    wrong = client.post(reverse("login"), {"username": "active", "password": "wrong-password"})

    assert not_active.status_code == wrong.status_code == 200
    assert flashes(not_active) == flashes(wrong)
    assert not_active.context["form"].errors == wrong.context["form"].errors
    assert not not_active.wsgi_request.user.is_authenticated


def test_an_account_not_yet_activated_gets_no_api_token():
    UserFactory(username="waiting", is_active=False, activation_pending=True)
    UserFactory(username="active")
    api = APIClient()

    not_active = api.post(TOKEN, {"username": "waiting", "password": PASSWORD}, format="json")
    wrong = api.post(TOKEN, {"username": "active", "password": "wrong"}, format="json")

    assert not_active.status_code == wrong.status_code == 400
    assert not_active.json() == wrong.json()


def test_an_active_account_still_flagged_as_waiting_is_never_taken_over(client, account_emails):
    """Staff may switch an account on in the admin without clearing the flag: signing up with
    its address must neither change its details nor send an activation link."""
    user = UserFactory(username="ada", email="ada@example.com", activation_pending=True)

    sign_up(client, account_emails, "mallory", "ada@example.com", NEW_PASSWORD)

    assert account_emails.queued == [("send_signup_notice_task", [user.pk])]
    user.refresh_from_db()
    assert user.username == "ada"
    assert user.check_password(PASSWORD)
    assert account_emails.deliver() == [True]
    assert mail.outbox[0].subject.startswith("Someone tried to sign up")
    assert tasks.send_activation_email_task(user.pk) is False


def test_deactivating_a_sign_up_still_waiting_for_its_link_makes_the_link_useless(
    client, account_emails, admin_user
):
    sign_up(client, account_emails, "newbie", "newbie@example.com")
    account_emails.deliver()
    user = User.objects.get(username="newbie")

    assert services.user_deactivate(user=user, by=admin_user) is True
    activate(client, link_in(mail.outbox[0]), follow=True)

    user.refresh_from_db()
    assert (user.is_active, user.activation_pending) == (False, False)
