"""The page forms that write (sign-up, password reset, poll creation, voting) are limited like
their API twins: same scopes, same rates, same counts, and a friendly 429 page over the limit."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from polls.models import Poll

from .factories import PASSWORD, PollFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Set a throttle scope's rate for one test (DRF reads the rates once, at import)."""

    def set_rate(scope: str, rate: str):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def user_api(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def assert_friendly_429(response, *, at_least_seconds: int = 1):
    assert response.status_code == 429
    assert "429.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert "Too many attempts for now" in html
    assert 'class="site-header"' in html  # the site's own layout, from base.html
    assert int(response["Retry-After"]) >= at_least_seconds


def sign_up(client, name, **extra):
    details = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return client.post(reverse("signup"), details, **extra)


# --- Sign-up -----------------------------------------------------------------------------------


def test_page_sign_up_is_limited_per_address(rates):
    rates("signup", "2/hour")

    first, second = (sign_up(Client(), name).status_code for name in ("ann", "bob"))
    third = sign_up(Client(), "cyd")

    assert 429 not in (first, second)
    assert_friendly_429(third, at_least_seconds=3500)
    assert not get_user_model().objects.filter(username="cyd").exists()
    # Another address has its own count.
    assert sign_up(Client(REMOTE_ADDR="203.0.113.5"), "dee").status_code != 429


def test_page_and_api_sign_ups_share_one_count(rates):
    rates("signup", "1/hour")
    details = {"username": "api", "email": "api@example.com", "password": PASSWORD}

    assert APIClient().post("/api/users/", details, format="json").status_code in {201, 202}
    assert_friendly_429(sign_up(Client(), "page"))


def test_showing_the_sign_up_page_is_not_counted(client, rates):
    rates("signup", "1/hour")
    for _ in range(3):
        assert client.get(reverse("signup")).status_code == 200

    assert sign_up(client, "ann").status_code != 429


# --- Password reset ------------------------------------------------------------------------------


def ask_reset(email, address="127.0.0.1"):
    return Client(REMOTE_ADDR=address).post(reverse("password_reset"), {"email": email})


def test_password_reset_is_limited_per_address(rates):
    rates("password_reset", "2/hour")

    statuses = [ask_reset(f"user{n}@example.com").status_code for n in range(2)]

    assert 429 not in statuses
    assert_friendly_429(ask_reset("user3@example.com"))


def test_password_reset_is_limited_per_target_address_from_anywhere(rates):
    """Nobody can flood one inbox, even from many addresses; case does not buy more."""
    rates("password_reset", "2/hour")

    first = ask_reset("victim@example.com", "198.51.100.1")
    second = ask_reset("Victim@Example.com", "198.51.100.2")
    third = ask_reset("victim@example.com", "198.51.100.3")

    assert 429 not in (first.status_code, second.status_code)
    assert_friendly_429(third)
    assert ask_reset("someone-else@example.com", "198.51.100.3").status_code != 429


def test_requests_the_per_address_limit_refuses_do_not_use_up_a_victims_resets(rates):
    """Issue 10 review: one client spending its own quota on a victim's address must not block
    the victim's resets."""
    rates("password_reset", "2/hour")
    for n in range(2):
        ask_reset(f"user{n}@example.com", "198.51.100.66")

    refused = [ask_reset("victim@example.com", "198.51.100.66") for _ in range(5)]

    assert {response.status_code for response in refused} == {429}
    assert ask_reset("victim@example.com", "198.51.100.1").status_code != 429
    assert ask_reset("victim@example.com", "198.51.100.2").status_code != 429


@pytest.mark.postgres
def test_spellings_that_find_one_account_share_its_reset_limit(rates):
    """PostgreSQL's case-insensitive match finds victim@ for "vıctim@" (a dotless ı), which
    casefold() keeps apart: the count follows the account found, not the text typed."""
    get_user_model().objects.create_user("victim", "victim@example.com", PASSWORD)
    rates("password_reset", "2/hour")

    first = ask_reset("victim@example.com", "198.51.100.1")
    second = ask_reset("VICTIM@example.com", "198.51.100.2")
    third = ask_reset("v\u0131ctim@example.com", "198.51.100.3")

    assert 429 not in (first.status_code, second.status_code)
    assert_friendly_429(third)


def test_the_password_reset_rate_has_a_default_and_a_variable(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset"] == "5/hour"


# --- Poll creation -----------------------------------------------------------------------------


def create_data(**overrides):
    return {
        "title": "Lunch?",
        "options": ["Pizza", "Sushi"],
        "days": "1",
        "hours": "0",
        "minutes": "0",
    } | overrides


def test_page_poll_creation_shares_its_count_with_the_api(signed_in, user_api, rates):
    rates("poll_create", "2/hour")

    assert signed_in.post(reverse("polls:create"), create_data()).status_code == 302
    api = user_api.post("/api/polls/", {"title": "Q?", "options": ["A", "B"]}, format="json")
    assert api.status_code == 201
    refused = signed_in.post(reverse("polls:create"), create_data(title="Third?"))

    assert_friendly_429(refused, at_least_seconds=60)
    assert Poll.objects.count() == 2


def test_adding_an_option_row_is_not_a_creation_attempt(signed_in, rates):
    rates("poll_create", "1/hour")
    for _ in range(3):
        edited = signed_in.post(reverse("polls:create"), create_data(add_option="1"))
        assert edited.status_code == 200

    assert signed_in.post(reverse("polls:create"), create_data()).status_code == 302


# --- Voting ------------------------------------------------------------------------------------


def vote_on_page(client, poll):
    return client.post(
        reverse("polls:vote", args=[poll.public_id]), {"option": poll.options.first().pk}
    )


def test_page_and_api_votes_by_one_user_count_together(signed_in, user_api, rates):
    rates("votes", "2/minute")
    polls = [PollFactory() for _ in range(3)]

    assert vote_on_page(signed_in, polls[0]).status_code == 302
    api = user_api.post(
        f"/api/polls/{polls[1].public_id}/votes/",
        {"option": polls[1].options.first().pk},
        format="json",
    )
    assert api.status_code == 201
    refused = vote_on_page(signed_in, polls[2])

    assert_friendly_429(refused)
    assert polls[2].ballots.count() == 0


def test_another_user_has_their_own_vote_count(signed_in, other_user, rates):
    rates("votes", "1/minute")
    poll = PollFactory()
    assert vote_on_page(signed_in, poll).status_code == 302

    other = Client()
    other.force_login(other_user)
    assert vote_on_page(other, poll).status_code == 302
