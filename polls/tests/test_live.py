"""Conditional GETs of a poll's live answers (polls/live.py): results.json and the API's poll."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from polls import services
from polls.models import Ballot, Poll, ResultsVisibility
from polls.tests.factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

FACES = {
    "results": lambda poll: reverse("polls:results", args=[poll.public_id]),
    "api": lambda poll: f"/api/polls/{poll.public_id}/",
}


@pytest.fixture(params=sorted(FACES))
def url(request, poll):
    """The address of `poll`'s live answer, on each face in turn."""
    return FACES[request.param](poll)


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def vary(response) -> list[str]:
    return [name.strip().lower() for name in response["Vary"].split(",")]


def test_answer_carries_an_etag_kept_privately_and_revalidated(api, url):
    response = api.get(url)

    assert response.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= directives
    assert "no-store" not in directives
    assert sorted(vary(response)) == ["authorization", "cookie"]


def test_same_etag_is_answered_304_without_a_body(api, url):
    etag = api.get(url)["ETag"]

    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "private" in response["Cache-Control"]
    assert sorted(vary(response)) == ["authorization", "cookie"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response


def test_etag_among_several_or_weak_still_matches(api, url):
    etag = api.get(url)["ETag"]

    assert api.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304


def _vote(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)


def _close(poll):
    services.poll_close(poll=poll)


def _reschedule(poll):
    services.poll_reschedule(poll=poll, closes_at=timezone.now() + timedelta(days=3))


def _reword(poll):
    services.poll_reword(poll=poll, title="A new question?")


def _rename_author(poll):
    poll.author.username = "renamed"
    poll.author.save()


CHANGES = {
    "vote": _vote,
    "close": _close,
    "reschedule": _reschedule,
    "reword": _reword,
    "author renamed": _rename_author,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_gives_a_new_etag(api, poll, url, change):
    etag = api.get(url)["ETag"]

    CHANGES[change](poll)
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_ballot_removal_gives_a_new_etag(api, poll, url):
    Poll.objects.filter(pk=poll.pk).update(results_visibility=ResultsVisibility.ALWAYS)
    _vote(poll)
    etag = api.get(url)["ETag"]

    services.ballot_remove(ballot=Ballot.objects.get())
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["total_votes"] == 0
    assert response["ETag"] != etag


def test_closing_time_passing_gives_a_new_etag(api, url, poll, monkeypatch):
    """No write happens when a poll closes by time: the ETag covers is_open at this instant."""
    etag = api.get(url)["ETag"]
    later = poll.closes_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["is_open"] is False
    assert response["ETag"] != etag


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_another_viewer_or_signing_in_gives_another_etag(api, poll, url, user, other_user):
    anonymous = api.get(url)["ETag"]
    mine = session_client(user).get(url)["ETag"]
    by_other = session_client(other_user).get(url, HTTP_IF_NONE_MATCH=mine)
    api.force_login(user)
    signed_in = api.get(url, HTTP_IF_NONE_MATCH=anonymous)

    assert by_other.status_code == 200
    assert signed_in.status_code == 200
    assert len({anonymous, mine, by_other["ETag"]}) == 3
    assert signed_in["ETag"] == mine
    assert sorted(vary(signed_in)) == ["authorization", "cookie"]  # the session's Cookie once


def test_api_etag_is_the_same_by_token_or_session(poll, user):
    url = FACES["api"](poll)
    by_token = token_client(user).get(url)["ETag"]

    assert session_client(user).get(url, HTTP_IF_NONE_MATCH=by_token).status_code == 304


def test_own_vote_gives_a_new_etag_for_the_voter(poll, url, user):
    client = session_client(user)
    etag = client.get(url)["ETag"]

    services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)

    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize(
    "value", ["garbage", '"', "W/", ",,,", '"\x00"', "é" * 300, '"' + "a" * 5000 + '"']
)
def test_garbage_if_none_match_gets_the_answer(api, url, value):
    response = api.get(url, HTTP_IF_NONE_MATCH=value)

    assert response.status_code == 200
    assert response["ETag"]


def test_star_is_not_modified_for_a_poll_and_404_for_none(api, url):
    assert api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    Poll.objects.all().delete()
    assert api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404


def test_head_answers_like_get(api, url):
    head = api.head(url)
    assert head.status_code == 200
    assert head.content == b""

    revalidated = api.head(url, HTTP_IF_NONE_MATCH=head["ETag"])

    assert revalidated.status_code == 304
    assert head["ETag"] == api.get(url)["ETag"]


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("options", [2, 20])
def test_results_json_query_counts(api, django_assert_num_queries, options):
    """200: the poll with its author, then its options; 304: the poll's version only."""
    poll = PollFactory(labels=[f"Choice {n}" for n in range(options)])
    url = FACES["results"](poll)

    with django_assert_num_queries(2):
        etag = api.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_assert_num_queries(3):  # a stale ETag: the version, then the answer
        assert api.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_results_json_query_counts_signed_in(api, user, poll, django_assert_num_queries):
    """The session and the user it names come first (the ETag covers the viewer); then the
    version, which says whether the viewer voted; results hidden from a viewer who has not are
    hidden unless they hold polls.view_results, which costs two queries (their permissions,
    their groups'). Authors and voters: test_results_visibility.py."""
    api.force_login(user)
    url = FACES["results"](poll)
    etag = api.get(url)["ETag"]

    with django_assert_num_queries(5):
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_api_poll_query_counts(user, database_cache, django_assert_num_queries):
    """With the database cache: the token, the signed-in throttle (two), then for a 304 only
    the poll's version; a 200 reads the poll, its options and the caller's ballot. Either way
    the caller's permissions (two), since the results are hidden from a caller who has not
    voted unless they hold polls.view_results."""
    client = token_client(user)
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])
    url = FACES["api"](poll)

    with django_assert_num_queries(8):
        etag = client.get(url)["ETag"]
    with django_assert_num_queries(6):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_api_poll_query_counts_with_a_shared_cache(user, shared_cache, django_assert_num_queries):
    """With Redis (as in production) the token and the throttle count cost no query: a 304 is
    the poll's version alone, for a caller who sees the results (a caller who does not: and
    their permissions, test_api_poll_query_counts)."""
    client = token_client(user)
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)], results_visibility="always")
    url = FACES["api"](poll)
    client.get("/api/")  # an earlier request: the token is cached

    with django_assert_num_queries(3):
        etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_api_304_still_counts_against_the_throttle(api, poll, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/minute")
    url = FACES["api"](poll)
    etag = api.get(url)["ETag"]

    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 429
