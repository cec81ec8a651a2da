from datetime import timedelta

import pytest
import yaml
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from polls import services
from polls.models import MAX_OPTIONS, Ballot, Option, Poll
from polls.tests.factories import PollFactory

from .test_polls import LIST_QUERIES


def votes_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/votes/"


def test_vote_returns_201_with_the_poll_and_its_results(authed, poll):
    option = poll.options.first()

    response = authed.post(votes_url(poll), {"option": option.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == poll.public_id
    assert body["my_vote"] == option.pk
    assert body["total_votes"] == 1
    assert body["options"][0] == {
        "id": option.pk,
        "label": option.label,
        "votes": 1,
        "percent": 100.0,
    }
    option.refresh_from_db()
    assert option.votes == 1


def test_vote_query_count_is_fixed(authed, database_cache, django_assert_num_queries):
    """With the database cache: the token (from the database, as a hit in that cache would
    cost the query it saves), two throttle counts (two queries each), then the vote's four
    statements in their savepoint and the read of the options the answer shows."""
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])
    option_id = poll.options.last().pk

    with django_assert_num_queries(VOTE_QUERIES):
        response = authed.post(votes_url(poll), {"option": option_id}, format="json")

    assert response.status_code == 201


VOTE_QUERIES = 12


def test_vote_query_count_with_a_shared_cache(authed, shared_cache, django_assert_num_queries):
    """With Redis (as in production): the token and the throttle counts come from the cache, so
    the vote's own statements in their savepoint and the read of its options are all."""
    poll = PollFactory(labels=[f"Option {n}" for n in range(20)])
    option_id = poll.options.last().pk
    authed.get("/api/")  # an earlier request: the token is cached

    with django_assert_num_queries(VOTE_QUERIES_SHARED_CACHE):
        response = authed.post(votes_url(poll), {"option": option_id}, format="json")

    assert response.status_code == 201


VOTE_QUERIES_SHARED_CACHE = 7


def test_second_vote_is_409_and_not_counted(authed, user, poll):
    first, second = poll.options.all()[:2]
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    response = authed.post(votes_url(poll), {"option": second.pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You have already voted in this poll.",
        "code": "already_voted",
        "errors": {},
    }
    assert list(Option.objects.filter(poll=poll).values_list("votes", flat=True)) == [1, 0, 0]


def test_vote_on_a_closed_poll_is_409(authed, poll):
    services.poll_close(poll=poll)

    response = authed.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "poll_closed"
    assert not Ballot.objects.exists()


def test_vote_after_the_closing_time_is_409_before_the_close_is_recorded(authed, poll):
    Poll.objects.filter(pk=poll.pk).update(
        created_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() - timedelta(seconds=1),
    )

    response = authed.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "This poll is closed."


def test_vote_for_an_option_of_another_poll_is_400(authed, poll):
    elsewhere = PollFactory().options.first()

    response = authed.post(votes_url(poll), {"option": elsewhere.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "option: That option is not part of this poll.",
        "code": "option_not_in_poll",
        "errors": {"option": ["That option is not part of this poll."]},
    }
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"option": None},
        {"option": "1"},
        {"option": True},
        {"option": 1.5},
        {"option": [1]},
        {"option": {"id": 1}},
        {"option": -1},
        {"option": 0},
        {"option": 2**64},
        {"option": "1 OR 1=1"},
        {"option": "<script>alert(1)</script>"},
        [1],
        "1",
    ],
)
def test_malformed_vote_is_400_and_not_counted(authed, poll, body):
    response = authed.post(votes_url(poll), body, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert set(payload["errors"]) <= {"option", "non_field_errors"}
    assert payload["errors"]
    assert not Ballot.objects.exists()


def test_anonymous_vote_is_401(api, poll):
    response = api.post(votes_url(poll), {"option": poll.options.first().pk}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Ballot.objects.exists()


def test_vote_on_an_unknown_poll_is_404(authed, poll):
    response = authed.post("/api/polls/AAAAAAAAAAA/votes/", {"option": 1}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no poll with that id."


def test_vote_with_get_is_405(authed, poll):
    assert authed.get(votes_url(poll)).status_code == 405


# --- Multiple choice, changing and retracting -----------------------------------------------


def several(**kwargs):
    """Options A to D, 1 to 3 choices a ballot, unless told otherwise."""
    kwargs.setdefault("min_choices", 1)
    kwargs.setdefault("max_choices", 3)
    return PollFactory(labels=["A", "B", "C", "D"], **kwargs)


def ids(poll, *labels) -> list[int]:
    return [poll.options.get(label=label).pk for label in labels]


def counts(poll) -> list[int]:
    return list(Option.objects.filter(poll=poll).values_list("votes", flat=True))


def test_a_vote_of_several_options_answers_with_every_choice(authed):
    poll = several()

    response = authed.post(votes_url(poll), {"options": ids(poll, "C", "A")}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["my_choices"] == ids(poll, "A", "C")
    assert body["my_vote"] == ids(poll, "A")[0]
    assert (body["min_choices"], body["max_choices"], body["allow_vote_change"]) == (1, 3, False)
    assert body["total_votes"] == 1
    # Shares are of the voters: they add up to more than 100.
    assert [o["percent"] for o in body["options"]] == [100.0, 0.0, 100.0, 0.0]
    assert counts(poll) == [1, 0, 1, 0]
    assert authed.get(f"/api/polls/{poll.public_id}/").json()["my_choices"] == ids(poll, "A", "C")


def test_a_list_of_one_is_a_vote_in_a_single_choice_poll(authed, poll):
    option = poll.options.last()

    response = authed.post(votes_url(poll), {"options": [option.pk]}, format="json")

    assert response.status_code == 201
    assert response.json()["my_choices"] == [option.pk]


@pytest.mark.parametrize("labels", [["A", "B"], ["A", "B", "C"]])
def test_vote_of_several_options_query_count_with_a_shared_cache(
    authed, shared_cache, django_assert_num_queries, labels
):
    """As many queries as a vote for one option: the options are counted (and locked in id
    order) by one statement."""
    poll = several()
    chosen = ids(poll, *labels)
    authed.get("/api/")

    with django_assert_num_queries(VOTE_QUERIES_SHARED_CACHE):
        response = authed.post(votes_url(poll), {"options": chosen}, format="json")

    assert response.status_code == 201


def test_vote_of_several_options_query_count_is_fixed(
    authed, database_cache, django_assert_num_queries
):
    poll = several()
    chosen = ids(poll, "B", "D")

    with django_assert_num_queries(VOTE_QUERIES):
        response = authed.post(votes_url(poll), {"options": chosen}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("limits", "labels", "code", "message"),
    [
        ((2, 3), ["A"], "too_few_choices", "Choose at least 2 options."),
        ((1, 3), [], "too_few_choices", "Choose at least one option."),
        ((1, 2), ["A", "B", "C"], "too_many_choices", "Choose at most 2 options."),
        ((1, 1), ["A", "B"], "too_many_choices", "Choose only one option."),
        ((1, 3), ["A", "A"], "duplicate_choice", "Choose each option only once."),
    ],
)
def test_a_ballot_the_poll_does_not_take_is_400_naming_options(
    authed, limits, labels, code, message
):
    poll = several(min_choices=limits[0], max_choices=limits[1])

    response = authed.post(votes_url(poll), {"options": ids(poll, *labels)}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"options: {message}",
        "code": code,
        "errors": {"options": [message]},
    }
    assert not Ballot.objects.exists()
    assert counts(poll) == [0, 0, 0, 0]


def test_option_in_a_poll_that_takes_several_is_400_saying_what_to_send(authed):
    poll = several()

    response = authed.post(votes_url(poll), {"option": ids(poll, "A")[0]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "choices_expected"
    assert body["errors"] == {
        "option": ['This poll takes several choices: send "options", a list of option ids.']
    }
    assert not Ballot.objects.exists()


def test_an_option_of_another_poll_among_several_is_400_naming_options(authed):
    poll = several()
    elsewhere = PollFactory().options.first().pk

    response = authed.post(
        votes_url(poll), {"options": [*ids(poll, "A"), elsewhere]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "option_not_in_poll"
    assert response.json()["errors"] == {"options": ["That option is not part of this poll."]}


@pytest.mark.parametrize(
    "body",
    [
        {"option": 1, "options": [1]},
        {"options": None},
        {"options": 1},
        {"options": "1,2"},
        {"options": ["1"]},
        {"options": [True]},
        {"options": [1.5]},
        {"options": [0]},
        {"options": [2**64]},
        {"options": [[1]]},
        {"options": {"1": 1}},
        {"options": list(range(1, 22))},
        {"options": list(range(1, 5_000))},
    ],
)
def test_malformed_ballot_of_several_is_400_and_not_counted(authed, body):
    poll = several()

    response = authed.post(votes_url(poll), body, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert set(payload["errors"]) <= {"option", "options", "non_field_errors"}
    assert payload["errors"]
    assert not Ballot.objects.exists()


def test_both_option_and_options_is_400_with_one_message(authed, poll):
    option = poll.options.first().pk

    response = authed.post(votes_url(poll), {"option": option, "options": [option]}, format="json")

    assert response.json()["errors"] == {
        "non_field_errors": ['Send one of "option", "options" and "ranking", not several.']
    }


@pytest.fixture
def voted(authed, user):
    """A poll allowing vote changes, where the caller chose A and B."""
    poll = several(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "B"))
    return poll


def test_put_replaces_the_callers_choices(authed, user, voted):
    before = Ballot.objects.get(voter=user).cast_at

    response = authed.put(votes_url(voted), {"options": ids(voted, "D", "B")}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["my_choices"] == ids(voted, "B", "D")
    assert body["total_votes"] == 1
    assert [o["votes"] for o in body["options"]] == [0, 1, 0, 1]
    assert counts(voted) == [0, 1, 0, 1]
    assert Ballot.objects.get(voter=user).cast_at > before


def test_put_with_option_in_a_single_choice_poll(authed, user):
    poll = PollFactory(allow_vote_change=True)
    first, second, _ = poll.options.all()
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    response = authed.put(votes_url(poll), {"option": second.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["my_vote"] == second.pk
    assert counts(poll) == [0, 1, 0]


def test_delete_retracts_the_callers_vote(authed, user, voted):
    response = authed.delete(votes_url(voted))

    assert response.status_code == 204
    assert not Ballot.objects.exists()
    assert counts(voted) == [0, 0, 0, 0]
    body = authed.get(f"/api/polls/{voted.public_id}/").json()
    # No longer a voter, the caller waits for a vote again to see the counts (after_vote).
    assert (body["my_vote"], body["my_choices"], body["total_votes"]) == (None, [], None)
    assert body["results_hidden_until"] == "vote"
    # And the caller may vote again.
    again = authed.post(votes_url(voted), {"options": ids(voted, "C")}, format="json")
    assert again.status_code == 201


@pytest.mark.parametrize("method", ["put", "delete"])
def test_change_or_retract_where_not_allowed_is_409(authed, user, method):
    poll = several()
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A"))

    response = getattr(authed, method)(votes_url(poll), {"options": ids(poll, "B")}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This poll does not let voters change or retract their vote.",
        "code": "vote_change_not_allowed",
        "errors": {},
    }
    assert counts(poll) == [1, 0, 0, 0]


@pytest.mark.parametrize("method", ["put", "delete"])
def test_change_or_retract_without_a_vote_is_409(authed, method):
    poll = several(allow_vote_change=True)

    response = getattr(authed, method)(votes_url(poll), {"options": ids(poll, "B")}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "not_voted"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_change_or_retract_in_a_closed_poll_is_409(authed, voted, method):
    services.poll_close(poll=voted)

    response = getattr(authed, method)(
        votes_url(voted), {"options": ids(voted, "C")}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "poll_closed"
    assert counts(voted) == [1, 1, 0, 0]


def test_a_change_the_poll_does_not_take_is_400(authed, voted):
    response = authed.put(votes_url(voted), {"options": ids(voted, *"ABCD")}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_choices"
    assert counts(voted) == [1, 1, 0, 0]


@pytest.mark.parametrize("method", ["put", "delete"])
def test_change_or_retract_anonymously_is_401_and_in_an_unknown_poll_404(api, authed, method):
    poll = several(allow_vote_change=True)

    anonymous = getattr(api, method)(votes_url(poll), {"options": ids(poll, "A")}, format="json")
    unknown = getattr(authed, method)(
        "/api/polls/AAAAAAAAAAA/votes/", {"options": [1]}, format="json"
    )

    assert anonymous.status_code == 401
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "There is no poll with that id."


def test_changes_and_retractions_count_against_the_vote_limit(authed, voted, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "votes", "2/minute")
    url = votes_url(voted)

    statuses = [
        authed.put(url, {"options": ids(voted, "C")}, format="json").status_code,
        authed.delete(url).status_code,
        authed.post(url, {"options": ids(voted, "D")}, format="json").status_code,
    ]

    assert statuses == [200, 204, 429]


def test_the_schema_describes_ballots_changes_and_retractions(api):
    document = yaml.safe_load(api.get("/api/schema/").content)
    votes = document["paths"]["/api/polls/{public_id}/votes/"]
    schemas = document["components"]["schemas"]

    vote_input = schemas["VoteInputRequest"]["properties"]
    assert vote_input["option"]["type"] == "integer"
    assert vote_input["options"]["type"] == "array"
    assert vote_input["options"]["items"]["type"] == "integer"
    assert vote_input["options"]["maxItems"] == MAX_OPTIONS
    assert "required" not in schemas["VoteInputRequest"]
    for method, success in (("post", "201"), ("put", "200")):
        operation = votes[method]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/VoteInputRequest"
        }
        assert operation["responses"][success]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Poll"
        }
    assert "requestBody" not in votes["delete"]
    assert "204" in votes["delete"]["responses"]
    for method in ("post", "put", "delete"):
        assert votes[method]["responses"]["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    poll = schemas["Poll"]["properties"]
    assert poll["my_choices"] == {"type": "array", "items": {"type": "integer"}, "readOnly": True}
    assert {"min_choices", "max_choices", "allow_vote_change"} <= set(poll)
    codes = schemas["ErrorCodeEnum"]["enum"]
    assert {
        "too_few_choices",
        "too_many_choices",
        "duplicate_choice",
        "choices_expected",
        "vote_change_not_allowed",
        "not_voted",
    } <= set(codes)


@pytest.mark.parametrize("size", [1, 30])
def test_list_with_ballots_of_several_choices_costs_the_same_queries(
    authed, user, size, database_cache, django_assert_num_queries
):
    """The caller's ballots and all their choices come in one query (with_choice_of)."""
    for _ in range(size):
        poll = several(allow_vote_change=True)
        services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "D", "B", "A"))

    with django_assert_num_queries(LIST_QUERIES):
        response = authed.get("/api/polls/", {"page_size": 50})

    results = response.json()["results"]
    assert len(results) == size
    assert all(len(poll["my_choices"]) == 3 for poll in results)
    assert all(poll["my_vote"] == poll["my_choices"][0] for poll in results)
