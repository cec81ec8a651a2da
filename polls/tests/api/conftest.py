import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _api_tests_use_the_database(db):
    """Every API request reads the database (its token, the throttle counts' cache table)."""


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


@pytest.fixture
def authed(user):
    """A client that sends the user's token, as API consumers do."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def staff_client(db):
    """staff_client("polls.change_poll"): a client sending the token of a member of staff who
    holds exactly those permissions."""
    from polls.tests.factories import staff_with

    def client_for(*permissions: str) -> APIClient:
        staff = staff_with(*permissions)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
        return client

    return client_for
