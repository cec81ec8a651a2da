"""Error pages in production: an exception or an unknown address shows the plain page, never a
traceback or the URL list."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path, reverse

from votr_project import urls as site_urls

from .production import CSP


def raise_an_error(request):
    raise RuntimeError("a bug with SECRET details")


# The site's own routes (the 500 page links to them) plus one that fails.
urlpatterns = [path("boom/", raise_an_error), *site_urls.urlpatterns]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_an_exception_shows_the_plain_500_page_not_a_traceback():
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", secure=True)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback" not in body
    assert "SECRET details" not in body
    assert "RuntimeError" not in body
    assert response["Content-Security-Policy"] == CSP


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=True)
def test_in_debug_djangos_own_error_pages_render_with_their_inline_styles():
    """Under dev.py run, the policy would leave Django's 404 and 500 pages unstyled; every
    other response keeps it."""
    client = Client(raise_request_exception=False)
    not_found = client.get("/no-such-page/", secure=True)
    assert not_found.status_code == 404
    assert b"Using the URLconf" in not_found.content
    error = client.get("/boom/", secure=True)
    assert error.status_code == 500
    assert b"RuntimeError" in error.content
    for response in (not_found, error):
        assert b"<style>" in response.content
        assert "Content-Security-Policy" not in response

    assert client.get(reverse("polls:index"), secure=True)["Content-Security-Policy"] == CSP
    api_not_found = client.get("/api/polls/no-such-poll/", secure=True)
    assert api_not_found.status_code == 404
    assert api_not_found["Content-Security-Policy"] == CSP


@pytest.mark.django_db
def test_an_unknown_page_shows_the_plain_404_page_not_the_url_list(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert b"Using the URLconf" not in response.content
    assert b"polls/<str:public_id>" not in response.content
