"""Security headers and cookies on real responses, the HTTPS redirect, and pages that hold
nothing the Content-Security-Policy would block."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from polls import services

from .factories import PASSWORD, PollFactory, UserFactory
from .production import CSP


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("polls:index"), secure=True)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_error_pages_carry_the_content_security_policy_too(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == CSP


@pytest.mark.django_db
def test_csrf_cookie_is_secure_http_only_and_same_site(client):
    response = client.get(reverse("login"), secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The page carries the token in its form, which is where the pages read it from.
    assert b'name="csrfmiddlewaretoken"' in response.content


@pytest.mark.django_db
def test_session_cookie_is_secure_and_http_only(client):
    user = UserFactory()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_check():
    client = Client()
    page = client.get(reverse("polls:index"))
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/"
    assert client.get(reverse("healthz")).status_code == 200


class InlineCodeFinder(HTMLParser):
    """Collects what the Content-Security-Policy would block: inline <script> and <style>,
    on...= handlers, style="" attributes and javascript: links."""

    def __init__(self):
        super().__init__()
        self.blocked = []

    def handle_starttag(self, tag, attrs):
        names = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("inline <style>")
        self.blocked += [f"{tag} {name}=" for name in names if name.startswith("on")]
        if "style" in names:
            self.blocked.append(f'{tag} style="{names["style"]}"')
        if names.get("href", "").strip().lower().startswith("javascript:"):
            self.blocked.append(f"{tag} href=javascript:")


@pytest.mark.django_db
def test_pages_hold_nothing_the_content_security_policy_would_block(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    poll = PollFactory(author=staff)
    closed = PollFactory(author=staff)
    services.poll_close(poll=closed, by=staff)
    client.force_login(staff)
    pages = [
        reverse("polls:index"),
        reverse("polls:create"),
        reverse("polls:mine"),
        poll.get_absolute_url(),
        closed.get_absolute_url(),
        reverse("password_change"),
        "/no-such-page/",
        reverse("admin:index"),
        reverse("admin:polls_poll_changelist"),
        reverse("admin:polls_poll_change", args=[poll.pk]),
        reverse("admin:polls_user_changelist"),
        reverse("admin:polls_auditentry_changelist"),
    ]
    anonymous = [reverse("login"), reverse("signup"), poll.get_absolute_url()]
    blocked = {}
    for url, as_client in [(url, client) for url in pages] + [(url, Client()) for url in anonymous]:
        response = as_client.get(url, secure=True)
        assert response.status_code in (200, 404), url
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        if finder.blocked:
            blocked[url] = finder.blocked
    assert blocked == {}
