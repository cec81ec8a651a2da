"""Repeated failed logins lock a username out from one address for a while (django-axes)."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.db.models import F
from django.test import Client
from django.urls import reverse

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["login", "admin:login"]


@pytest.fixture
def victim(db):
    return UserFactory(username="victim", is_staff=True)


def log_in(client, url_name, username, password, **extra):
    return client.post(reverse(url_name), {"username": username, "password": password}, **extra)


def fail_until_locked(client, url_name, username="victim"):
    responses = [
        log_in(client, url_name, username, "wrong-password")
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    return responses[-1]


def test_the_limit_and_cool_off_have_sensible_defaults():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


@pytest.mark.parametrize("url_name", LOGIN_PAGES)
def test_repeated_failures_lock_the_login_out_with_a_clear_page(client, victim, url_name):
    locked = fail_until_locked(client, url_name)
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [template.name for template in locked.templates]
    html = locked.content.decode()
    assert "Too many failed logins" in html
    assert "Please try again in 15 minutes." in html
    assert 'class="site-header"' in html  # the site's own layout, from base.html
    # Even the right password is refused while locked out.
    assert log_in(client, url_name, "victim", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url_name", LOGIN_PAGES)
def test_the_locked_out_page_says_only_how_long_to_wait_and_offers_a_reset(
    client, victim, url_name
):
    """Issue 11: no "Username or password is incorrect" above it, no "ask staff"."""
    html = fail_until_locked(client, url_name).content.decode()
    assert "Too many failed logins" in html
    assert "Please try again in 15 minutes." in html
    assert "incorrect" not in html
    assert "staff" not in html
    assert f'href="{reverse("password_reset")}"' in html


def test_the_lockout_page_rounds_the_wait_up_to_whole_minutes(client, victim, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=61)
    assert "Please try again in 2 minutes." in fail_until_locked(client, "login").content.decode()


def test_a_lockout_on_the_site_also_holds_on_the_admin(client, victim):
    fail_until_locked(client, "login")
    assert log_in(client, "admin:login", "victim", PASSWORD).status_code == 429


def test_username_case_does_not_buy_more_attempts(client, victim):
    for name in ["victim", "VICTIM", "Victim", "vIctim"]:
        log_in(client, "login", name, "wrong-password")
    assert log_in(client, "login", "ViCtIm", "wrong-password").status_code == 429


def test_the_same_username_from_another_address_is_not_locked(client, victim):
    fail_until_locked(client, "login")
    other = Client(REMOTE_ADDR="203.0.113.9")
    response = log_in(other, "login", "victim", PASSWORD)
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(victim.pk)


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(client, victim, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    router = {"REMOTE_ADDR": "10.1.1.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # The client forged the first entry; the router appended the address it saw.
        last = log_in(
            client,
            "login",
            "victim",
            "wrong-password",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7",
            **router,
        )
    assert last.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    elsewhere = log_in(
        client, "login", "victim", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **router
    )
    assert elsewhere.status_code == 302


def test_the_lockout_expires_after_the_cool_off(client, victim):
    fail_until_locked(client, "login")
    # Age the recorded failures past the cool-off instead of waiting 15 minutes.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = log_in(client, "login", "victim", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_a_successful_login_resets_the_count(client, victim):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "login", "victim", "wrong-password")
    assert log_in(client, "login", "victim", PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "login", "victim", "wrong-password").status_code == 200


def test_the_activation_link_still_logs_the_new_user_in(client, account_emails):
    """Issue 10: sign-up logs in from the emailed activation link, no longer at once."""
    with account_emails.committing():
        response = client.post(
            reverse("signup"),
            {"username": "newcomer", "email": "newcomer@example.com", "password": PASSWORD},
        )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    account_emails.deliver()
    link = re.search(r"https?://[^/\s]+(/accounts/activate/\S+)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 200  # a page asking for the password
    assert "_auth_user_id" not in client.session
    assert client.post(link, {"password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in client.session


def test_staff_can_lift_a_lockout_in_the_admin_and_it_is_audited(admin_client, victim):
    from polls.models import AuditEntry

    fail_until_locked(Client(), "login")
    attempt = AccessAttempt.objects.get()
    response = admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert log_in(Client(), "login", "victim", PASSWORD).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type) == (AuditEntry.Action.DELETE, "axes.accessattempt")


def test_the_lockout_survives_a_restart(tmp_path):
    """Lock out from one process, then try the right password from a brand-new one: the
    failures live in the database, not in the memory of the process that counted them."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": "lockout-test-secret-key-long-enough-for-django-0123456789",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]

    def run(*args):
        return subprocess.run(
            [*manage, *args], env=environment, check=True, capture_output=True, text=True
        ).stdout

    def statuses(script):
        # The last line: log lines may share stdout.
        return run("shell", "--verbosity", "0", "-c", script).splitlines()[-1].split()

    run("migrate", "--no-input", "-v", "0")
    login = (
        # The pages render without collectstatic, as in the other tests (see conftest).
        "from django.test import Client, override_settings; from django.urls import reverse; "
        "plain = 'django.contrib.staticfiles.storage.StaticFilesStorage'; "
        "override_settings(STORAGES={'staticfiles': {'BACKEND': plain}}).enable(); "
        "post = lambda password: Client().post(reverse('login'), "
        "{'username': 'victim', 'password': password}).status_code; "
    )
    first_process = statuses(
        login + "from polls.models import User; "
        f"User.objects.create_user('victim', 'victim@example.com', {PASSWORD!r}); "
        f"print(*[post('wrong') for _ in range({settings.AXES_FAILURE_LIMIT})])",
    )
    assert first_process == ["200"] * (settings.AXES_FAILURE_LIMIT - 1) + ["429"]
    second_process = statuses(login + f"print(post({PASSWORD!r}))")
    assert second_process == ["429"]


# Over three times the 300 entries Django's stock database cache kept (each real failed login
# costs some ten queries, so not the 10,000 of the throttle test).
LOCKED_CLIENTS = 1_000


def test_lockouts_of_many_clients_all_hold(settings):
    """Lockouts live in the database (django-axes' database handler), not in a cache that could
    forget some: every one of many locked-out username/address pairs stays locked."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    settings.AXES_FAILURE_LIMIT = 1
    factory = RequestFactory()

    def attempt(n):
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        return factory.post(reverse("login"), REMOTE_ADDR=address), {"username": f"user{n}"}

    for n in range(LOCKED_CLIENTS):
        request, credentials = attempt(n)
        authenticate(request, password="wrong-password", **credentials)

    assert AccessAttempt.objects.count() == LOCKED_CLIENTS
    locked = sum(
        AxesProxyHandler.is_locked(request, credentials)
        for request, credentials in map(attempt, range(LOCKED_CLIENTS))
    )
    assert locked == LOCKED_CLIENTS
