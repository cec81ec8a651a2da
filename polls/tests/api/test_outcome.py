"""The API poll's `outcome`: a closed poll's winner, tie or lack of votes, null while the poll
is open or while its results are hidden from the caller."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls import services
from polls.models import ResultsVisibility
from polls.tests.factories import UserFactory, staff_with
from polls.tests.tallies import poll_with_votes

pytestmark = pytest.mark.django_db


def detail(poll) -> str:
    return f"/api/polls/{poll.public_id}/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def outcome(client, poll):
    response = client.get(detail(poll))
    assert response.status_code == 200
    return response.json()["outcome"]


def test_a_closed_poll_names_its_winner(api):
    poll = poll_with_votes({"Pizza": 12, "Sushi": 5})
    pizza = poll.options.get(label="Pizza")

    assert outcome(api, poll) == {"kind": "winner", "options": [pizza.pk]}


def test_a_tie_lists_every_tied_option_in_order(api):
    poll = poll_with_votes({"A": 3, "B": 1, "C": 3})
    a, _, c = poll.options.all()

    assert outcome(api, poll) == {"kind": "tie", "options": [a.pk, c.pk]}


def test_nobody_voted(api):
    poll = poll_with_votes({"A": 0, "B": 0})
    assert outcome(api, poll) == {"kind": "no_votes", "options": []}


def test_an_open_poll_has_no_outcome_yet(api):
    poll = poll_with_votes({"A": 3, "B": 1}, closed=False, results_visibility="always")
    assert outcome(api, poll) is None


def test_a_hidden_outcome_is_null_except_for_the_author_and_view_results(api):
    poll = poll_with_votes({"A": 3, "B": 1}, results_visibility=ResultsVisibility.AUTHOR_ONLY)
    expected = {"kind": "winner", "options": [poll.options.get(label="A").pk]}

    assert outcome(api, poll) is None
    assert outcome(client_of(UserFactory()), poll) is None
    assert outcome(client_of(poll.author), poll) == expected
    assert outcome(client_of(staff_with(services.VIEW_RESULTS)), poll) == expected


def test_the_list_shows_outcomes_as_the_detail_does(api):
    shown = poll_with_votes({"A": 1, "B": 2})
    hidden = poll_with_votes({"A": 1, "B": 2}, results_visibility=ResultsVisibility.AUTHOR_ONLY)

    results = {poll["id"]: poll["outcome"] for poll in api.get("/api/polls/").json()["results"]}

    assert results[shown.public_id] == {
        "kind": "winner",
        "options": [shown.options.get(label="B").pk],
    }
    assert results[hidden.public_id] is None


def test_the_schema_documents_the_outcome(api):
    document = api.get("/api/schema/?format=json").json()
    properties = document["components"]["schemas"]["Poll"]["properties"]

    assert properties["outcome"]["nullable"] is True
    outcome_schema = document["components"]["schemas"]["Outcome"]
    assert set(outcome_schema["properties"]) == {"kind", "options"}
    assert outcome_schema["properties"]["kind"]["allOf"] == [
        {"$ref": "#/components/schemas/OutcomeKindEnum"}
    ]
    assert document["components"]["schemas"]["OutcomeKindEnum"]["enum"] == [
        "winner",
        "tie",
        "no_votes",
    ]
