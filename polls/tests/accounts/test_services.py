"""accounts/services.py: accounts created by staff, and passwords changed."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from polls.models import User

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


# --- user_create --------------------------------------------------------------------------


def test_user_create_signs_a_voter_up_with_a_hashed_password():
    user = services.user_create(username=" ada ", email="Ada@Example.COM", password=PASSWORD)
    assert user.username == "ada"
    assert user.email == "Ada@example.com"
    assert user.check_password(PASSWORD)
    assert PASSWORD not in user.password


def test_user_create_refuses_taken_names_and_emails_ignoring_case():
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="ADA", email="ADA@example.com", password=PASSWORD)
    assert caught.value.message_dict == {
        "username": ["That username is taken."],
        "email": ["An account with that email already exists."],
    }


def test_user_create_applies_djangos_password_validators():
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="bob", email="bob@example.com", password="123")
    assert (
        "This password is too short. It must contain at least 8 characters."
        in (caught.value.message_dict["password"])
    )
    assert not User.objects.exists()


def test_user_create_refuses_a_bad_email_and_a_bad_username():
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="no spaces!", email="not-an-email", password=PASSWORD)
    assert set(caught.value.message_dict) == {"username", "email"}


def test_user_password_changed_revokes_only_that_users_tokens(user, other_user):
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=user)
    kept = Token.objects.create(user=other_user)
    assert services.user_password_changed(user=user) == 1
    assert list(Token.objects.all()) == [kept]


def test_user_create_errors_says_what_user_create_refuses_and_creates_nothing():
    UserFactory(username="taken", email="taken@example.com")
    details = {"username": "TAKEN", "email": "Taken@example.com", "password": "short"}
    errors = services.user_create_errors(**details)
    with pytest.raises(ValidationError) as caught:
        services.user_create(**details)
    assert errors == caught.value.message_dict
    assert set(errors) == {"username", "email", "password"}
    assert User.objects.count() == 1
    assert (
        services.user_create_errors(username="new", email="new@example.com", password=PASSWORD)
        == {}
    )
