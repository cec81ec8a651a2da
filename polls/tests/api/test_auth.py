import re

from django.core import mail
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls.api.account_serializers import SIGN_UP_ACCEPTED
from polls.models import Poll, User
from polls.tests.factories import PASSWORD, UserFactory

TOKEN = "/api/auth/token/"
USERS = "/api/users/"
NEW_POLL = {"title": "Q?", "options": ["A", "B"]}


def test_login_returns_a_token_that_authenticates(api, user):
    response = api.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(key=key).user == user
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post("/api/polls/", NEW_POLL, format="json").status_code == 201


def test_logging_in_twice_returns_the_same_token(api, user):
    credentials = {"username": user.username, "password": PASSWORD}

    first = api.post(TOKEN, credentials, format="json").json()["token"]
    second = api.post(TOKEN, credentials, format="json").json()["token"]

    assert first == second


def test_wrong_password_is_400_without_a_token(api, user):
    response = api.post(TOKEN, {"username": user.username, "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unable to log in with that username and password.",
        "code": "invalid_credentials",
        "errors": {},
    }
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token(api, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 400


def test_login_without_fields_names_them(api, db):
    response = api.post(TOKEN, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


@override_settings(AXES_FAILURE_LIMIT=2)
def test_repeated_failed_logins_lock_the_api_login_out_too(api, user):
    for _ in range(2):
        api.post(TOKEN, {"username": user.username, "password": "wrong"}, format="json")

    response = api.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert response["Content-Type"] == "application/json"
    assert not Token.objects.exists()


def test_revoking_the_token_stops_it_working(authed, user):
    response = authed.delete(TOKEN)

    assert response.status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert authed.post("/api/polls/", NEW_POLL, format="json").status_code == 401


def test_revoking_needs_authentication(api, db):
    assert api.delete(TOKEN).status_code == 401


def test_a_bad_token_is_401_even_on_reads(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get("/api/polls/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_session_authentication_requires_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    refused = client.post("/api/polls/", NEW_POLL, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]
    assert not Poll.objects.exists()

    client.get(reverse("polls:create"))  # a page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post("/api/polls/", NEW_POLL, format="json", HTTP_X_CSRFTOKEN=csrf)

    assert accepted.status_code == 201


def test_session_authentication_reads_without_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get("/api/polls/").status_code == 200


# --- Sign-up ---------------------------------------------------------------------------------


def test_sign_up_creates_a_user_who_can_log_in_once_activated(api, db, account_emails):
    """Issue 10: 202, and the account works once its emailed link is opened."""
    details = {"username": "newcomer", "email": "new@example.com", "password": "a-long-passphrase"}

    with account_emails.committing():
        response = api.post(USERS, details, format="json")

    assert response.status_code == 202
    assert response.json() == {"detail": SIGN_UP_ACCEPTED}
    credentials = {"username": "newcomer", "password": "a-long-passphrase"}
    assert api.post(TOKEN, credentials, format="json").status_code == 400
    account_emails.deliver()
    link = re.search(r"https?://[^/\s]+(/accounts/activate/\S+)", mail.outbox[0].body).group(1)
    APIClient().post(link, {"password": "a-long-passphrase"})
    assert api.post(TOKEN, credentials, format="json").status_code == 200


def test_sign_up_reports_every_problem_per_field(api, db):
    UserFactory(username="taken", email="taken@example.com")

    response = api.post(
        USERS, {"username": "TAKEN", "email": "TAKEN@example.com", "password": "123"}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["username"] == ["That username is taken."]
    # Issue 10: a registered address is never said (its owner is emailed a notice instead).
    assert "email" not in errors
    assert (
        "This password is too short. It must contain at least 8 characters." in errors["password"]
    )
    assert User.objects.count() == 1


def test_sign_up_refuses_non_text_values(api, db):
    response = api.post(USERS, {"username": 7, "email": ["a@b.c"], "password": None}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}
    assert not User.objects.exists()


def test_sign_up_never_echoes_the_password(api, db):
    body = api.post(
        USERS,
        {"username": "quiet", "email": "quiet@example.com", "password": "a-long-passphrase"},
        format="json",
    ).json()

    assert "password" not in body
