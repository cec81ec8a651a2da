"""GET /api/polls/{id}/results/: the export of a poll's results, JSON or CSV, by the rule the
pages' downloads follow; errors are JSON whatever format was asked for."""

import csv
import io

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls import services
from polls.models import ResultsVisibility
from polls.tests.factories import PollFactory, UserFactory, staff_with
from polls.tests.tallies import poll_with_votes

from .test_ranked import ids, tennessee

pytestmark = pytest.mark.django_db

ALWAYS, AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY = list(ResultsVisibility)


def results_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/results/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_the_export_is_json_by_default(api):
    poll = poll_with_votes({"Pizza": 3, "Sushi": 1}, results_visibility=ALWAYS, title="Lunch?")

    response = api.get(results_url(poll))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="lunch-results.json"'
    body = response.json()
    assert body["poll"]["question"] == "Lunch?"
    assert body["outcome"] == {"kind": "winner", "options": [poll.options.first().pk]}
    assert [(o["label"], o["votes"], o["winner"]) for o in body["options"]] == [
        ("Pizza", 3, True),
        ("Sushi", 1, False),
    ]


@pytest.mark.parametrize("ask", [{"format": "csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_the_export_as_csv(api, ask):
    poll = poll_with_votes({"=Pizza": 3, "Sushi": 1}, results_visibility=ALWAYS, title="Lunch?")
    query = {"format": ask["format"]} if "format" in ask else {}
    headers = {key: value for key, value in ask.items() if key != "format"}

    response = api.get(results_url(poll), query, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="lunch-results.csv"'
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode()
    assert text.startswith("\ufeffQuestion,Lunch?\r\n")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert ["'=Pizza", "3", "75.0", "yes"] in rows


@pytest.mark.parametrize("visibility", [AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY])
def test_hidden_results_are_a_403_in_json_even_when_csv_was_asked_for(api, visibility):
    poll = poll_with_votes({"A": 3, "B": 1}, closed=False, results_visibility=visibility)

    for query in ({}, {"format": "csv"}):
        response = api.get(results_url(poll), query)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == "not_allowed"
        assert (
            body["detail"]
            == services.EXPORT_REFUSED[
                services.results_hidden_until(poll=poll, viewer=None, voted=False)
            ]
        )
        assert "Content-Disposition" not in response


@pytest.mark.parametrize("visibility", list(ResultsVisibility))
def test_the_author_and_view_results_holders_always_export(visibility):
    poll = poll_with_votes({"A": 3, "B": 1}, closed=False, results_visibility=visibility)
    for user in (poll.author, staff_with(services.VIEW_RESULTS)):
        assert client_of(user).get(results_url(poll)).status_code == 200


def test_a_voter_exports_an_after_vote_poll_once_they_voted():
    poll = PollFactory(results_visibility=AFTER_VOTE)
    voter = UserFactory()
    client = client_of(voter)
    assert client.get(results_url(poll)).status_code == 403

    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)

    assert client.get(results_url(poll)).json()["total_voters"] == 1


@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_no_poll_is_a_json_404(api, query):
    response = api.get("/api/polls/nothing-here/results/", query)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_an_unknown_format_is_a_json_404(api):
    poll = PollFactory(results_visibility=ALWAYS)
    response = api.get(results_url(poll), {"format": "xml"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_only_get_is_answered(api):
    poll = PollFactory(results_visibility=ALWAYS)
    response = client_of(poll.author).post(results_url(poll), {}, format="json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("options", [2, 20])
def test_the_export_query_count_is_fixed(api, options, database_cache, django_assert_num_queries):
    poll = PollFactory(results_visibility=ALWAYS, labels=[f"C{n}" for n in range(options)])
    # the anonymous throttle (read, upsert), poll with author, its options
    with django_assert_num_queries(4):
        assert api.get(results_url(poll), {"format": "csv"}).status_code == 200


def test_the_schema_documents_both_formats_and_json_errors(api):
    document = api.get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/polls/{public_id}/results/"]["get"]

    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PollExport"
    }
    for status in ("403", "404"):
        assert set(operation["responses"][status]["content"]) == {"application/json"}
    (format_parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert set(format_parameter["schema"]["enum"]) == {"json", "csv"}
    exported = document["components"]["schemas"]["PollExport"]["properties"]
    assert set(exported) == {
        "poll",
        "options",
        "total_voters",
        "total_choices",
        "outcome",
        "ranked",
        "exported_at",
        "ballots",
        "ballots_note",
    }


def test_a_ranked_export_costs_the_ranking_counts_while_open_and_the_ballots_once_closed(
    api, shared_cache, django_assert_num_queries
):
    """The poll with its author and stored tally, its options; then while open the ranking
    counts (once per revision), once closed the ballots (the tally comes with the poll)."""
    poll = tennessee()

    with django_assert_num_queries(3):
        body = api.get(results_url(poll)).json()
    assert body["ballots"] is None
    assert body["ranked"]["winners"] == [ids(poll)["K"]]

    services.poll_close(poll=poll, by=poll.author)
    with django_assert_num_queries(3):
        body = api.get(results_url(poll), {"format": "csv"})
    assert body.status_code == 200


def test_a_ranked_exports_ballots_are_rankings_of_the_polls_options(api):
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)

    body = api.get(results_url(poll)).json()

    assert len(body["ballots"]) == 100
    assert {len(ballot) for ballot in body["ballots"]} == {4}
    assert {option for ballot in body["ballots"] for option in ballot} == set(
        poll.options.values_list("pk", flat=True)
    )
    assert body["ballots_note"]
