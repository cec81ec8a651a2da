"""Error pages in production: an exception or an unknown address shows the plain page, never a
traceback or the URL list."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

from votr_project import urls as site_urls


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


@pytest.mark.django_db
def test_an_unknown_page_shows_the_plain_404_page_not_the_url_list(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert b"Using the URLconf" not in response.content
    assert b"polls/<str:public_id>" not in response.content
