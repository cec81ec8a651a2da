"""The cached API token lookup (accounts/tokens.py): no query once cached, dropped at once."""

import socket

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services as accounts
from accounts import tokens
from polls.api.authentication import TokenAuthentication
from polls.models import AuditEntry
from polls.tests.accounts.flows import reset_password_by_link
from polls.tests.factories import PASSWORD, PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Strong-pass-77"


@pytest.fixture
def key(user):
    return Token.objects.create(user=user).key


@pytest.fixture
def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def authenticated(key):
    return TokenAuthentication().authenticate_credentials(key)


def status(client) -> int:
    return client.get("/api/polls/?page_size=1").status_code


def test_second_lookup_costs_no_query(shared_cache, key, user, django_assert_num_queries):
    with django_assert_num_queries(1):
        authenticated(key)
    with django_assert_num_queries(0):
        found, token = authenticated(key)

    assert (found.pk, found.username, found.is_active) == (user.pk, user.username, True)
    assert token.key == key
    assert token.user is found


def test_the_cache_holds_neither_the_key_nor_the_password(shared_cache, key):
    authenticated(key)

    entry = cache.get(tokens._cache_key(key))
    assert key not in tokens._cache_key(key)
    assert "password" not in entry
    assert not any(isinstance(value, str) and key in value for value in entry.values())


def test_a_cached_users_password_is_read_when_asked(shared_cache, key):
    authenticated(key)
    found, _ = authenticated(key)

    assert found.check_password(PASSWORD)


def test_database_cache_is_not_used_for_tokens(database_cache, key, django_assert_num_queries):
    """A hit in the database cache would cost the query it saves."""
    authenticated(key)
    with django_assert_num_queries(1):
        authenticated(key)


# --- Dropped the moment it could be wrong ------------------------------------------------------


def test_revoking_the_token_is_401_at_once(shared_cache, client_with):
    assert status(client_with) == 200

    assert client_with.delete("/api/auth/token/").status_code == 204
    assert status(client_with) == 401


def test_a_token_deleted_any_way_is_401_at_once(shared_cache, client_with, key):
    assert status(client_with) == 200

    Token.objects.filter(key=key).delete()

    assert status(client_with) == 401


def test_changing_the_password_on_its_page_is_401_at_once(shared_cache, client_with, user):
    assert status(client_with) == 200
    page = APIClient()
    page.force_login(user)

    page.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert status(client_with) == 401


def test_resetting_the_password_by_the_emailed_link_is_401_at_once(
    shared_cache, client_with, user, client
):
    assert status(client_with) == 200
    reset_password_by_link(client, user, NEW_PASSWORD)

    assert status(client_with) == 401


def test_a_password_set_in_the_admin_is_401_at_once(shared_cache, client_with, user, client):
    assert status(client_with) == 200
    client.force_login(staff_with("polls.change_user"))

    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert status(client_with) == 401


def test_deactivating_the_user_is_401_at_once(shared_cache, client_with, user):
    assert status(client_with) == 200

    accounts.user_deactivate(user=user, by=staff_with("polls.change_user"))

    assert status(client_with) == 401


def test_deleting_the_user_is_401_at_once(shared_cache, client_with, user):
    assert status(client_with) == 200

    user.delete()

    assert status(client_with) == 401


def test_a_new_username_is_seen_at_once(shared_cache, client_with, user):
    """The audit log copies the username of the request's user."""
    poll = PollFactory(author=user)
    assert status(client_with) == 200

    user.username = "renamed"
    user.save()
    client_with.post(f"/api/polls/{poll.public_id}/close/")

    assert AuditEntry.objects.get().actor_username == "renamed"


def test_permissions_are_read_fresh_on_every_request(shared_cache, client_with, user):
    """Groups and permissions are not on the user's row, and never cached."""
    poll = PollFactory()
    close = f"/api/polls/{poll.public_id}/close/"
    assert client_with.post(close).status_code == 403

    permission = Permission.objects.get(content_type__app_label="polls", codename="change_poll")
    user.user_permissions.add(permission)

    assert client_with.post(close).status_code == 200


def test_a_lookup_that_read_the_old_row_cannot_put_it_back(shared_cache, key, user):
    """A change drops the entry with a tombstone that only expires after any lookup in flight,
    and lookups only add where nothing is."""
    authenticated(key)
    stale = {"created": None, **{f: getattr(user, f) for f in tokens.USER_FIELDS}}

    tokens.tokens_forget(keys=[key])
    cache.add(tokens._cache_key(key), stale, tokens.TOKEN_CACHE_SECONDS)  # as a late lookup would

    assert cache.get(tokens._cache_key(key)) == tokens.TOMBSTONE
    found, _ = authenticated(key)
    assert found.pk == user.pk
    assert cache.get(tokens._cache_key(key)) == tokens.TOMBSTONE


def test_other_users_entries_stay(shared_cache, key, django_assert_num_queries):
    authenticated(key)
    other = UserFactory()

    other.first_name = "Changed"
    other.save()

    with django_assert_num_queries(0):
        authenticated(key)


# --- When the cache cannot be reached ----------------------------------------------------------


def test_an_unreachable_cache_authenticates_from_the_database_with_one_log_line(
    client_with, caplog
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        redis = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
            }
        }
        with override_settings(CACHES=redis):
            statuses = [status(client_with) for _ in range(3)]

    assert statuses == [200, 200, 200]
    logged = [r.getMessage() for r in caplog.records if r.name == "accounts.tokens"]
    assert logged == [
        "token cache: the cache is unreachable (ConnectionError); tokens are read from the "
        f"database for {tokens.CACHE_DOWN_PAUSE_SECONDS} s"
    ]
