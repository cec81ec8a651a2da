"""Malformed addresses and parameters on the pages are a 404 or a plain answer, never a 500
(PostgreSQL refuses NUL characters in queries, so those must never reach one)."""

import pytest
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/?q=a%00b", "/polls/labels.json?q=a%00b", "/?q=%25_%27%22%3Cscript%3E"],
)
def test_search_text_with_odd_characters_is_answered(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/polls/a%00b/",
        "/polls/a%00b/results.json",
        "/polls/a%00b/slug/",
        "/polls/" + "x" * 40 + "/",
    ],
)
def test_malformed_poll_ids_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_votes_and_closes_to_malformed_ids_are_not_found(client, user):
    client.force_login(user)
    assert client.post("/polls/a%00b/vote", {"option": "1"}).status_code == 404
    assert client.post("/polls/a%00b/close").status_code == 404


def test_poll_urls_cannot_be_built_from_malformed_ids():
    with pytest.raises(NoReverseMatch):
        reverse("polls:detail", kwargs={"public_id": "a/b"})
