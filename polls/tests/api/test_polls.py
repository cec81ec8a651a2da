from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Poll
from polls.tests.factories import PASSWORD, PollFactory, UserFactory

LIST = "/api/polls/"


def detail(poll) -> str:
    return f"/api/polls/{poll.public_id}/"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --- Reading ---------------------------------------------------------------------------------


def test_poll_detail_has_exactly_the_documented_fields(api, user, other_user):
    poll = PollFactory(author=user, labels=["Yes", "No"], results_visibility="always")
    yes = poll.options.get(label="Yes")
    services.vote_cast(poll=poll, voter=other_user, option_id=yes.pk)

    response = api.get(detail(poll))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "id",
        "url",
        "title",
        "description",
        "author",
        "created_at",
        "closes_at",
        "closed_at",
        "is_open",
        "results_visibility",
        "results_hidden_until",
        "unlisted",
        "shuffle_options",
        "total_votes",
        "options",
        "ranked",
        "voting_method",
        "rank_all",
        "min_choices",
        "max_choices",
        "allow_vote_change",
        "voter_mode",
        "public_ballots",
        "voter_names",
        "names_shown_to",
        "ballot_order",
        "my_vote",
        "outcome",
        "my_choices",
        "my_ranking",
    ]
    assert body["id"] == poll.public_id
    assert body["url"] == f"http://testserver/api/polls/{poll.public_id}/"
    assert body["author"] == user.username
    assert body["is_open"] is True
    assert body["results_visibility"] == "always"
    assert body["results_hidden_until"] is None
    assert body["total_votes"] == 1
    assert body["options"] == [
        {"id": yes.pk, "label": "Yes", "votes": 1, "percent": 100.0},
        {"id": poll.options.get(label="No").pk, "label": "No", "votes": 0, "percent": 0.0},
    ]
    assert body["my_vote"] is None
    assert body["my_choices"] == []
    assert (body["min_choices"], body["max_choices"], body["allow_vote_change"]) == (1, 1, False)
    assert body["closed_at"] is None
    assert body["outcome"] is None  # open
    assert body["description"] == ""
    assert (body["unlisted"], body["shuffle_options"]) == (False, False)


def test_datetimes_are_iso_8601_in_utc_with_an_offset(api):
    poll = PollFactory(closes_at=datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))
    Poll.objects.filter(pk=poll.pk).update(closes_at=datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC))

    body = api.get(detail(poll)).json()

    assert body["closes_at"] == "2030-05-06T07:08:09+00:00"
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)


def test_my_vote_is_the_option_the_caller_chose(authed, user):
    poll = PollFactory()
    option = poll.options.last()
    services.vote_cast(poll=poll, voter=user, option_id=option.pk)

    assert authed.get(detail(poll)).json()["my_vote"] == option.pk


def test_my_vote_never_shows_another_voters_choice(authed, other_user):
    poll = PollFactory()
    services.vote_cast(poll=poll, voter=other_user, option_id=poll.options.first().pk)

    assert authed.get(detail(poll)).json()["my_vote"] is None


def test_unknown_poll_is_404_in_the_error_shape(api, db):
    response = api.get("/api/polls/doesNotExist/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no poll with that id.",
        "code": "not_found",
        "errors": {},
    }


def test_list_is_paginated_newest_first(api, db):
    polls = [PollFactory() for _ in range(3)]
    for days_ago, poll in enumerate(reversed(polls)):
        Poll.objects.filter(pk=poll.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    body = api.get(LIST, {"page_size": 2}).json()

    assert body["count"] == 3
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/polls/?page=2&page_size=2"
    assert [poll["id"] for poll in body["results"]] == [polls[-1].public_id, polls[-2].public_id]
    second = api.get(body["next"]).json()
    assert [poll["id"] for poll in second["results"]] == [polls[0].public_id]


def test_list_page_past_the_end_is_404(api, poll):
    response = api.get(LIST, {"page": 9})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_filters_by_status(api, db):
    open_poll = PollFactory()
    closed_poll = PollFactory()
    services.poll_close(poll=closed_poll)

    def ids(status):
        return [poll["id"] for poll in api.get(LIST, {"status": status}).json()["results"]]

    assert ids("open") == [open_poll.public_id]
    assert ids("closed") == [closed_poll.public_id]


def test_list_counts_a_poll_past_its_closing_time_as_closed(api, db):
    late = PollFactory()
    Poll.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() - timedelta(seconds=1),
    )

    closed = api.get(LIST, {"status": "closed"}).json()["results"]

    assert [poll["id"] for poll in closed] == [late.public_id]
    assert closed[0]["is_open"] is False


def test_list_refuses_an_unknown_status(api, db):
    response = api.get(LIST, {"status": "maybe"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ['Use "open" or "closed".']}


def test_list_filters_by_author_ignoring_case(api, db):
    alice = UserFactory(username="Alice")
    mine = PollFactory(author=alice)
    PollFactory()

    results = api.get(LIST, {"author": "alice"}).json()["results"]

    assert [poll["id"] for poll in results] == [mine.public_id]


def test_list_by_an_unknown_author_is_empty(api, db):
    PollFactory()
    body = api.get(LIST, {"author": "nobody"}).json()
    assert (body["count"], body["results"]) == (0, [])


def test_list_searches_titles(api, db):
    match = PollFactory(title="Best pizza topping?")
    PollFactory(title="Tabs or spaces?")

    results = api.get(LIST, {"search": "PIZZA"}).json()["results"]

    assert [poll["id"] for poll in results] == [match.public_id]


def test_search_with_wildcards_and_sql_matches_them_literally(api, db):
    PollFactory(title="Anything at all?")
    literal = PollFactory(title="100% sure'; DROP TABLE polls_poll; --")

    for text in ("%", "_", "'; DROP TABLE polls_poll; --"):
        results = api.get(LIST, {"search": text}).json()["results"]
        assert [poll["id"] for poll in results] == [literal.public_id], text
    assert Poll.objects.count() == 2


def test_list_orders_by_total_votes(api, db):
    """Counts shown to everyone (polls/tests/test_results_visibility.py has the hidden ones)."""
    quiet, busy = PollFactory(results_visibility="always"), PollFactory(results_visibility="always")
    for _ in range(2):
        services.vote_cast(poll=busy, voter=UserFactory(), option_id=busy.options.first().pk)

    results = api.get(LIST, {"ordering": "-total_votes"}).json()["results"]

    assert [poll["id"] for poll in results] == [busy.public_id, quiet.public_id]
    assert [poll["total_votes"] for poll in results] == [2, 0]


def test_list_orders_by_closing_time(api, db):
    later = PollFactory(closes_at=timezone.now() + timedelta(days=3))
    sooner = PollFactory(closes_at=timezone.now() + timedelta(days=2))

    results = api.get(LIST, {"ordering": "closes_at"}).json()["results"]

    assert [poll["id"] for poll in results] == [sooner.public_id, later.public_id]


def test_list_refuses_an_unknown_ordering(api, db):
    response = api.get(LIST, {"ordering": "author__password"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ordering"]


@pytest.mark.parametrize("ordering", [",", "created_at,", ",-closes_at"])
def test_list_refuses_an_empty_ordering_item(api, db, ordering):
    """Found by schemathesis: "ordering=," was a 500."""
    response = api.get(LIST, {"ordering": ordering})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ordering"]


@pytest.mark.parametrize("size", [1, 50])
def test_list_query_count_does_not_grow_with_polls(
    authed, user, size, database_cache, django_assert_num_queries
):
    """Token, throttle count (read, then one upsert in the database cache), page count, polls,
    options, the caller's ballots."""
    author = UserFactory()
    for _ in range(size):
        poll = PollFactory(author=author)
        services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)

    with django_assert_num_queries(LIST_QUERIES):
        response = authed.get(LIST, {"page_size": 50})

    assert len(response.json()["results"]) == size
    assert all(poll["my_vote"] is not None for poll in response.json()["results"])


LIST_QUERIES = 7


@pytest.mark.parametrize("ordering", ["-created_at", "total_votes", "-closes_at"])
def test_list_pages_near_the_end_hold_the_polls_of_the_whole_list(api, ordering):
    """Pages in the back half are read from the end (polls.paginators.TwoEndedPaginator)."""
    polls = [PollFactory() for _ in range(7)]
    for poll in polls[:3]:
        services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)

    def ids(**page) -> list[str]:
        response = api.get(LIST, {"ordering": ordering, **page})
        assert response.status_code == 200
        assert response.json()["count"] == 7
        return [poll["id"] for poll in response.json()["results"]]

    whole = ids(page_size=100)
    pages = [ids(page_size=3, page=number) for number in (1, 2, 3)]

    assert sum(pages, []) == whole
    assert ids(page_size=3, page="last") == whole[6:]
    assert ids(page_size=2, page=3) == whole[4:6]


@pytest.mark.parametrize("size", [1, 50])
def test_anonymous_list_query_count_does_not_grow_with_polls(
    api, size, database_cache, django_assert_num_queries
):
    author = UserFactory()
    for _ in range(size):
        PollFactory(author=author)

    with django_assert_num_queries(ANONYMOUS_LIST_QUERIES):
        response = api.get(LIST, {"page_size": 50})

    assert len(response.json()["results"]) == size


ANONYMOUS_LIST_QUERIES = 5


def test_detail_query_count_is_fixed(authed, user, database_cache, django_assert_num_queries):
    """Token, throttle (two), the poll, its options, the caller's ballot, and since the
    results are hidden from a caller who has not voted, the caller's permissions (two)."""
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])

    with django_assert_num_queries(DETAIL_QUERIES):
        assert authed.get(detail(poll)).status_code == 200


DETAIL_QUERIES = 8


# --- Creating --------------------------------------------------------------------------------


def test_create_poll_returns_201_with_the_poll_and_its_location(authed, user):
    closes_at = timezone.now() + timedelta(days=2)
    payload = {"title": "Lunch?", "options": ["Soup", "Salad"], "closes_at": iso(closes_at)}

    response = authed.post(LIST, payload, format="json")

    assert response.status_code == 201
    body = response.json()
    poll = Poll.objects.get(public_id=body["id"])
    assert response["Location"] == body["url"] == f"http://testserver/api/polls/{poll.public_id}/"
    assert poll.author == user
    assert body["title"] == "Lunch?"
    assert [option["label"] for option in body["options"]] == ["Soup", "Salad"]
    assert datetime.fromisoformat(body["closes_at"]) == closes_at


def test_create_poll_closes_in_24_hours_by_default(authed):
    before = timezone.now()

    body = authed.post(LIST, {"title": "Q?", "options": ["A", "B"]}, format="json").json()

    closes_at = datetime.fromisoformat(body["closes_at"])
    assert before + timedelta(hours=24) <= closes_at <= timezone.now() + timedelta(hours=24)


def test_create_poll_reports_every_rule_broken_per_field(authed):
    payload = {
        "title": "   ",
        "options": ["Same", "same"],
        "closes_at": iso(timezone.now() - timedelta(hours=1)),
    }

    response = authed.post(LIST, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {
        "title": ["The question cannot be blank."],
        "options": ['Option 2 ("same") is already in this poll.'],
        "closes_at": ["The closing time must be at least 1 minute from now."],
    }
    assert body["detail"] == "The request has 3 problems; see errors."
    assert Poll.objects.count() == 0


def test_create_poll_with_labels_the_database_calls_the_same_is_400(authed):
    """["I", "İ"]: once an IntegrityError (a 500) on PostgreSQL."""
    response = authed.post(LIST, {"title": "Q?", "options": ["I", "\u0130"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "options": ['Option 2 ("\u0130") is already in this poll.']
    }
    assert not Poll.objects.exists()


OUT_OF_RANGE = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]


@pytest.mark.parametrize("closes_at", OUT_OF_RANGE)
def test_create_poll_with_a_closing_time_out_of_range_is_400(authed, closes_at):
    payload = {"title": "Q?", "options": ["A", "B"], "closes_at": closes_at}

    response = authed.post(LIST, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"closes_at": ["Datetime value out of range."]}


def test_create_poll_refuses_a_closing_time_without_offset(authed):
    naive = (timezone.now() + timedelta(days=1)).replace(tzinfo=None).isoformat()

    response = authed.post(
        LIST, {"title": "Q?", "options": ["A", "B"], "closes_at": naive}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "closes_at": ["The closing time must include a time zone."]
    }


def test_create_poll_keeps_html_as_text(authed):
    title = "<script>alert(1)</script>?"

    body = authed.post(LIST, {"title": title, "options": ["<b>A</b>", "B"]}, format="json").json()

    assert body["title"] == title
    assert body["options"][0]["label"] == "<b>A</b>"


def test_anonymous_cannot_create_a_poll(api, db):
    response = api.post(LIST, {"title": "Q?", "options": ["A", "B"]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


# --- Rescheduling ----------------------------------------------------------------------------


def test_author_reschedules_their_poll(authed, user):
    poll = PollFactory(author=user)
    closes_at = (timezone.now() + timedelta(days=5)).replace(microsecond=0)

    response = authed.patch(detail(poll), {"closes_at": iso(closes_at)}, format="json")

    assert response.status_code == 200
    assert response.json()["closes_at"] == iso(closes_at)
    poll.refresh_from_db()
    assert poll.closes_at == closes_at


def test_rescheduling_a_closed_poll_opens_it_again(authed, user):
    poll = PollFactory(author=user)
    services.poll_close(poll=poll)

    response = authed.patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=1))}, format="json"
    )

    assert response.json()["is_open"] is True
    assert response.json()["closed_at"] is None


def test_staff_with_change_poll_reschedules_anyones_poll(staff_client, poll):
    response = staff_client("polls.change_poll").patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=1))}, format="json"
    )

    assert response.status_code == 200


def test_nobody_else_reschedules_a_poll(authed, poll):
    original = poll.closes_at

    response = authed.patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=9))}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    poll.refresh_from_db()
    assert poll.closes_at == original


def test_rescheduling_too_far_ahead_is_400(authed, user):
    poll = PollFactory(author=user)

    response = authed.patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=31))}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "closes_at": ["The closing time must be at most 30 days from now."]
    }


@pytest.mark.parametrize("closes_at", OUT_OF_RANGE)
def test_rescheduling_out_of_range_is_400(authed, user, closes_at):
    poll = PollFactory(author=user)

    response = authed.patch(detail(poll), {"closes_at": closes_at}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"closes_at": ["Datetime value out of range."]}


def test_an_empty_patch_changes_nothing_and_answers_the_poll(authed, user):
    """The schema makes every field of a PATCH optional; the server agrees."""
    poll = PollFactory(author=user)
    services.poll_close(poll=poll)
    poll.refresh_from_db()

    response = authed.patch(detail(poll), {}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == poll.public_id
    assert response.json()["is_open"] is False
    after = Poll.objects.get(pk=poll.pk)
    assert (after.closes_at, after.closed_at) == (poll.closes_at, poll.closed_at)


def test_an_empty_patch_is_still_only_for_the_author_or_a_holder_of_change_poll(
    api, authed, staff_client, poll
):
    assert authed.patch(detail(poll), {}, format="json").status_code == 403
    assert api.patch(detail(poll), {}, format="json").status_code == 401
    assert staff_client().patch(detail(poll), {}, format="json").status_code == 403
    assert (
        staff_client("polls.change_poll").patch(detail(poll), {}, format="json").status_code == 200
    )


def test_put_is_not_offered(authed, user):
    poll = PollFactory(author=user)

    response = authed.put(detail(poll), {"closes_at": iso(timezone.now())}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- Closing ---------------------------------------------------------------------------------


def test_author_closes_their_poll_and_closing_again_is_harmless(authed, user):
    poll = PollFactory(author=user)

    first = authed.post(f"{detail(poll)}close/")
    again = authed.post(f"{detail(poll)}close/")

    assert first.status_code == again.status_code == 200
    assert first.json()["is_open"] is False
    assert first.json()["closed_at"] == again.json()["closed_at"] is not None


def test_staff_with_change_poll_closes_anyones_poll(staff_client, poll):
    assert (
        staff_client("polls.change_poll").post(f"{detail(poll)}close/").json()["is_open"] is False
    )


def test_staff_without_change_poll_cannot_close_or_reschedule_anyones_poll(staff_client, poll):
    client = staff_client("polls.delete_poll")

    closing = client.post(f"{detail(poll)}close/")
    moving = client.patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=2))}, format="json"
    )

    assert closing.status_code == moving.status_code == 403
    poll.refresh_from_db()
    assert poll.is_open()
    assert not AuditEntry.objects.exists()


def test_a_close_and_a_reschedule_through_the_api_are_audited(staff_client, poll):
    client = staff_client("polls.change_poll")

    client.post(f"{detail(poll)}close/")
    client.patch(
        detail(poll), {"closes_at": iso(timezone.now() + timedelta(days=2))}, format="json"
    )

    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        AuditEntry.Action.CLOSE,
        AuditEntry.Action.RESCHEDULE,
    ]


def test_changing_the_password_revokes_the_api_token(authed, user, client):
    client.force_login(user)
    new = "another-Strong-pass-77"
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert authed.get("/api/polls/").status_code == 401


def test_nobody_else_closes_a_poll(authed, poll):
    response = authed.post(f"{detail(poll)}close/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the poll's author or staff can close it.",
        "code": "not_allowed",
        "errors": {},
    }
    poll.refresh_from_db()
    assert poll.closed_at is None


def test_anonymous_cannot_close_a_poll(api, poll):
    assert api.post(f"{detail(poll)}close/").status_code == 401


def test_closing_an_unknown_poll_is_404(authed):
    assert authed.post("/api/polls/nope/close/").status_code == 404


# --- Deleting --------------------------------------------------------------------------------


def test_author_deletes_their_poll_without_votes(authed, user):
    poll = PollFactory(author=user)

    response = authed.delete(detail(poll))

    assert response.status_code == 204
    assert not Poll.objects.filter(pk=poll.pk).exists()


def test_author_cannot_delete_a_poll_with_votes(authed, user, other_user):
    poll = PollFactory(author=user)
    services.vote_cast(poll=poll, voter=other_user, option_id=poll.options.first().pk)

    response = authed.delete(detail(poll))

    assert response.status_code == 403
    assert response.json()["detail"] == "A poll that has votes can only be deleted by staff."
    assert Poll.objects.filter(pk=poll.pk).exists()


def test_staff_with_delete_poll_deletes_a_poll_with_votes(staff_client, poll, other_user):
    services.vote_cast(poll=poll, voter=other_user, option_id=poll.options.first().pk)

    assert staff_client("polls.delete_poll").delete(detail(poll)).status_code == 204
    assert not Poll.objects.filter(pk=poll.pk).exists()


def test_staff_without_delete_poll_cannot_delete_a_poll_with_votes(staff_client, poll, other_user):
    services.vote_cast(poll=poll, voter=other_user, option_id=poll.options.first().pk)

    for client in (staff_client(), staff_client("polls.change_poll")):
        response = client.delete(detail(poll))
        assert response.status_code == 403
        assert response.json()["code"] == "not_allowed"
    assert Poll.objects.filter(pk=poll.pk).exists()
    assert not AuditEntry.objects.exists()


def test_a_deletion_through_the_api_is_audited(staff_client, poll):
    staff = staff_client("polls.delete_poll")

    staff.delete(detail(poll))

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id) == (AuditEntry.Action.DELETE, str(poll.pk))


def test_nobody_else_deletes_a_poll(authed, poll):
    assert authed.delete(detail(poll)).status_code == 403
    assert Poll.objects.filter(pk=poll.pk).exists()


def test_anonymous_cannot_delete_a_poll(api, poll):
    assert api.delete(detail(poll)).status_code == 401
    assert Poll.objects.filter(pk=poll.pk).exists()
