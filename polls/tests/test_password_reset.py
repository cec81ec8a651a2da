import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from .factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-New-password-77"


def reset_link(client, email: str) -> str:
    client.post(reverse("password_reset"), {"email": email})
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)


def test_login_page_links_to_the_reset_page(client):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page
    assert client.get(reverse("password_reset")).status_code == 200


def test_a_voter_resets_a_forgotten_password_through_the_emailed_link(client):
    user = UserFactory(email="ada@example.com")

    link = reset_link(client, "ADA@example.com")
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


def test_the_reset_page_does_not_tell_who_has_an_account(client):
    UserFactory(email="ada@example.com")
    known = client.post(reverse("password_reset"), {"email": "ada@example.com"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert len(mail.outbox) == 1


def test_a_reset_link_works_once(client):
    UserFactory(email="ada@example.com")
    link = reset_link(client, "ada@example.com")
    set_page = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_page, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert b"This link no longer works" in again.content


def test_a_weak_new_password_is_refused_next_to_its_field(client):
    user = UserFactory(email="ada@example.com")
    link = reset_link(client, "ada@example.com")
    set_page = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(set_page, {"new_password1": "123", "new_password2": "123"})

    assert response.status_code == 200
    assert b"This password is too short" in response.content
    user.refresh_from_db()
    assert not user.check_password("123")


def test_resetting_the_password_revokes_the_users_api_tokens(client):
    user = UserFactory()
    Token.objects.create(user=user)
    link = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    set_page = client.get(link, follow=True).redirect_chain[-1][0]

    client.post(set_page, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not Token.objects.filter(user=user).exists()
