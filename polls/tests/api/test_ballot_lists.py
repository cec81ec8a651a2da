"""The who-voted list in the API (GET /api/polls/{id}/ballots/, polls/api/views_ballots.py):
names where they are shown to the caller, choices where ballots are public, alphabetical,
only to a caller who may see the results; 403/404 JSON otherwise; a pinned query count."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from polls.models import NamesShownTo, ResultsVisibility, VoterMode, VoterNames
from polls.services import invite_codes_create, vote_cast
from polls.services.voters import Voter
from polls.tests.factories import PollFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]


def ballots_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/ballots/"


def open_poll(**fields):
    fields = {"results_visibility": ResultsVisibility.ALWAYS} | fields
    return PollFactory(voter_mode=VoterMode.OPEN, **fields)


def cast(poll, *ballots: tuple[str, str]) -> None:
    """Each (name, option label) as an open poll's ballot."""
    options = {option.label: option.pk for option in poll.options.all()}
    for name, label in ballots:
        vote_cast(poll=poll, voter=Voter(name=name), option_id=options[label])


def author_client(poll) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=poll.author).key}")
    return client


def test_names_shown_to_everyone_are_listed_alphabetically_without_choices():
    poll = open_poll(voter_names=VoterNames.OPTIONAL, names_shown_to=NamesShownTo.EVERYONE)
    cast(poll, ("zoë", "Option 1"), ("", "Option 2"), ("Ada", "Option 3"))

    response = APIClient().get(ballots_url(poll))

    assert response.status_code == 200
    assert response.json() == {
        "with_names": True,
        "with_choices": False,
        "total": 3,
        "more": 0,
        "ballots": [
            {"name": "Ada", "choices": None},
            {"name": "zoë", "choices": None},
            {"name": "", "choices": None},
        ],
    }
    assert "private" in response["Cache-Control"]


def test_public_ballots_list_their_choices_unnamed_where_names_are_not_asked():
    poll = open_poll(public_ballots=True)
    cast(poll, ("", "Option 2"), ("", "Option 1"))

    body = APIClient().get(ballots_url(poll)).json()

    assert (body["with_names"], body["with_choices"]) == (False, True)
    assert body["ballots"] == [
        {"name": "", "choices": ["Option 1"]},
        {"name": "", "choices": ["Option 2"]},
    ]


def test_names_for_the_author_only_are_the_authors():
    poll = open_poll(voter_names=VoterNames.REQUIRED, names_shown_to=NamesShownTo.AUTHOR)
    cast(poll, ("Ada", "Option 1"))

    assert author_client(poll).get(ballots_url(poll)).json()["ballots"] == [
        {"name": "Ada", "choices": None}
    ]
    stranger = APIClient().get(ballots_url(poll))
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "not_found"
    assert "secret" in stranger.json()["detail"]


@pytest.mark.parametrize(
    "poll_settings",
    [
        {},
        {"voter_names": VoterNames.OPTIONAL, "names_shown_to": NamesShownTo.NOBODY},
    ],
)
def test_secret_ballots_without_names_shown_are_a_404_even_to_the_author(poll_settings):
    poll = open_poll(**poll_settings)
    cast(poll, ("Ada", "Option 1"))
    for client in (APIClient(), author_client(poll)):
        response = client.get(ballots_url(poll))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_hidden_results_hide_the_list_until_the_caller_votes_by_their_code():
    poll = PollFactory(
        voter_mode=VoterMode.CODE,
        public_ballots=True,
        results_visibility=ResultsVisibility.AFTER_VOTE,
    )
    (invite,) = invite_codes_create(poll=poll, by=poll.author, count=1)
    before = APIClient().get(f"{ballots_url(poll)}?code={invite.code}")
    assert before.status_code == 403
    assert before.json() == {
        "detail": "You can see this poll's ballots once you have voted in it.",
        "code": "not_allowed",
        "errors": {},
    }
    vote_cast(poll=poll, voter=Voter(code=invite.code), option_id=poll.options.first().pk)

    after = APIClient().get(f"{ballots_url(poll)}?code={invite.code}")

    assert after.status_code == 200
    assert after.json()["ballots"] == [{"name": "", "choices": ["Option 1"]}]
    assert APIClient().get(ballots_url(poll)).status_code == 403


def test_author_only_results_hide_the_list_from_everyone_else():
    poll = open_poll(public_ballots=True, results_visibility=ResultsVisibility.AUTHOR_ONLY)
    cast(poll, ("", "Option 1"))
    response = APIClient().get(ballots_url(poll))
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the poll's author can see this poll's ballots."
    assert author_client(poll).get(ballots_url(poll)).status_code == 200


def test_an_unknown_poll_is_a_json_404():
    response = APIClient().get("/api/polls/nosuchpoll/ballots/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_list_is_capped_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr("polls.services.ballot_lists.MAX_LISTED", 2)
    poll = open_poll(voter_names=VoterNames.REQUIRED, names_shown_to=NamesShownTo.EVERYONE)
    cast(poll, ("C", "Option 1"), ("A", "Option 1"), ("B", "Option 2"))

    body = APIClient().get(ballots_url(poll)).json()

    assert (body["total"], body["more"], len(body["ballots"])) == (3, 1, 2)


BALLOT_LIST_QUERIES = 3


@pytest.mark.parametrize("size", [1, 30])
def test_the_list_costs_the_same_queries_for_1_ballot_or_30(
    size, shared_cache, django_assert_num_queries
):
    """The poll, its ballots, then their choices: whatever the number of ballots."""
    poll = open_poll(
        public_ballots=True,
        voter_names=VoterNames.REQUIRED,
        names_shown_to=NamesShownTo.EVERYONE,
        labels=["A", "B", "C"],
    )
    cast(poll, *[(f"Voter {n}", "ABC"[n % 3]) for n in range(size)])
    client = APIClient()

    with django_assert_num_queries(BALLOT_LIST_QUERIES):
        response = client.get(ballots_url(poll))

    assert len(response.json()["ballots"]) == size
