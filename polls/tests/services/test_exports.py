"""polls/services/exports.py: who may export a poll's results, and what an export holds."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from polls import services
from polls.models import Poll, ResultsVisibility
from polls.services.exports import BALLOTS_AFTER_CLOSE

from ..api.test_ranked import TENNESSEE, ids, ranked_poll, tennessee
from ..factories import UserFactory, staff_with
from ..tallies import poll_with_votes

pytestmark = pytest.mark.django_db

ALWAYS, AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY = (
    ResultsVisibility.ALWAYS,
    ResultsVisibility.AFTER_VOTE,
    ResultsVisibility.AFTER_CLOSE,
    ResultsVisibility.AUTHOR_ONLY,
)


@pytest.mark.parametrize(
    ("visibility", "closed", "voted", "refusal"),
    [
        (ALWAYS, False, False, None),
        (AFTER_VOTE, False, False, "once you have voted in it"),
        (AFTER_VOTE, False, True, None),
        (AFTER_VOTE, True, False, None),
        (AFTER_CLOSE, False, True, "once it has closed"),
        (AFTER_CLOSE, True, False, None),
        (AUTHOR_ONLY, False, True, "Only the poll's author"),
        (AUTHOR_ONLY, True, True, "Only the poll's author"),
    ],
)
def test_everyone_else_exports_only_what_they_may_see(visibility, closed, voted, refusal):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=closed, results_visibility=visibility)
    for viewer in (UserFactory(), AnonymousUser()):
        if refusal is None:
            assert services.poll_export(poll=poll, viewer=viewer, voted=voted)["options"]
        else:
            with pytest.raises(services.NotAllowed, match=refusal):
                services.poll_export(poll=poll, viewer=viewer, voted=voted)


@pytest.mark.parametrize("visibility", list(ResultsVisibility))
def test_the_author_and_holders_of_view_results_always_may(visibility):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=False, results_visibility=visibility)
    auditor = staff_with(services.VIEW_RESULTS)

    for viewer in (poll.author, auditor):
        export = services.poll_export(poll=poll, viewer=viewer, voted=False)
        assert export["total_voters"] == 3


def test_staff_without_the_permission_are_refused_like_anyone():
    poll = poll_with_votes({"A": 2, "B": 1}, results_visibility=AUTHOR_ONLY)
    with pytest.raises(services.NotAllowed):
        services.poll_export(poll=poll, viewer=staff_with("polls.change_poll"), voted=False)


def test_an_export_holds_the_poll_its_options_totals_and_outcome():
    now = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    poll = poll_with_votes(
        {"Pizza": 12, "Sushi": 5, "Tacos": 3},
        title="Lunch?",
        description="Friday's lunch.",
        created_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=1),
        closed_at=now - timedelta(hours=1),
        results_visibility=AFTER_CLOSE,
    )
    pizza, sushi, tacos = poll.options.all()

    export = services.poll_export(poll=poll, viewer=poll.author, voted=False, now=now)

    assert export == {
        "poll": {
            "id": poll.public_id,
            "url": f"http://testserver/polls/{poll.public_id}/",
            "question": "Lunch?",
            "description": "Friday's lunch.",
            "author": poll.author.username,
            "status": "closed",
            "created_at": "2029-12-31T03:04:05+00:00",
            "closes_at": "2030-01-03T03:04:05+00:00",
            "closed_at": "2030-01-02T02:04:05+00:00",
            "results_visibility": "after_close",
            "voting_method": "choice",
            "rank_all": False,
            "min_choices": 1,
            "max_choices": 1,
        },
        "options": [
            {"id": pizza.pk, "label": "Pizza", "votes": 12, "percent": 60.0, "winner": True},
            {"id": sushi.pk, "label": "Sushi", "votes": 5, "percent": 25.0, "winner": False},
            {"id": tacos.pk, "label": "Tacos", "votes": 3, "percent": 15.0, "winner": False},
        ],
        "total_voters": 20,
        "total_choices": 20,
        "outcome": {"kind": "winner", "options": [pizza.pk]},
        "ranked": None,
        "exported_at": "2030-01-02T03:04:05+00:00",
    }


def test_an_open_poll_has_no_winner_yet():
    poll = poll_with_votes({"A": 2, "B": 1}, closed=False, results_visibility=ALWAYS)

    export = services.poll_export(poll=poll, viewer=AnonymousUser(), voted=False)

    assert export["poll"]["status"] == "open"
    assert export["poll"]["closed_at"] is None
    assert export["outcome"] is None
    assert {option["winner"] for option in export["options"]} == {False}


def test_a_poll_past_its_closing_time_is_closed_at_that_time():
    poll = poll_with_votes({"A": 1, "B": 1}, closed=False, results_visibility=ALWAYS)
    later = poll.closes_at + timedelta(minutes=5)

    export = services.poll_export(poll=poll, viewer=AnonymousUser(), voted=False, now=later)

    assert export["poll"]["status"] == "closed"
    assert export["poll"]["closed_at"] == export["poll"]["closes_at"]
    assert export["outcome"]["kind"] == "tie"
    assert [option["winner"] for option in export["options"]] == [True, True]


def test_a_multiple_choice_export_counts_voters_and_choices_apart():
    poll = poll_with_votes({"A": 4, "B": 3, "C": 1}, voters=5, max_choices=3)

    export = services.poll_export(poll=poll, viewer=poll.author, voted=False)

    assert (export["total_voters"], export["total_choices"]) == (5, 8)
    assert [option["percent"] for option in export["options"]] == [80.0, 60.0, 20.0]
    assert export["poll"]["max_choices"] == 3


def test_an_export_names_no_voter_and_no_ballot():
    poll = poll_with_votes({"A": 0, "B": 0}, closed=False, results_visibility=ALWAYS)
    voter = UserFactory(username="secret-voter")
    ballot = services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
    poll = Poll.objects.with_results().get(pk=poll.pk)

    export = services.poll_export(poll=poll, viewer=poll.author, voted=False)

    assert "secret-voter" not in str(export)
    assert str(ballot.cast_at.isoformat()) not in str(export)
    assert export["total_voters"] == 1


# --- Ranked polls ----------------------------------------------------------------------------


def ranked_export(poll, **kwargs) -> dict:
    poll = Poll.objects.with_results().select_related("stored_tally").get(pk=poll.pk)
    return services.poll_export(poll=poll, viewer=poll.author, voted=False, **kwargs)


def test_a_ranked_export_holds_the_tally_and_no_ballot_while_open():
    poll = tennessee()

    export = ranked_export(poll)

    assert (export["poll"]["voting_method"], export["poll"]["rank_all"]) == ("ranked", True)
    assert export["ranked"]["winners"] == [ids(poll)["K"]]
    assert export["ranked"]["condorcet_winner"] == ids(poll)["N"]
    assert len(export["ranked"]["rounds"]) == 3
    assert export["ballots"] is None
    assert export["ballots_note"] == BALLOTS_AFTER_CLOSE
    assert export["outcome"] is None


def test_two_exports_while_open_single_out_no_ballot():
    """Between two exports one ballot comes in: neither holds a ballot, only the counts
    (which the poll page shows anyway), so nothing tells the new ballot's ranking beyond
    them."""
    poll = ranked_poll({"MNCK": 5, "NMCK": 4}, results_visibility=ALWAYS)
    before = ranked_export(poll)
    option = ids(poll)
    services.vote_cast(poll=poll, voter=UserFactory(), ranking=[option[x] for x in "CKMN"])

    after = ranked_export(poll, now=timezone.now() + timedelta(minutes=5))

    assert before["ballots"] is None
    assert after["ballots"] is None
    assert (before["ranked"]["ballots"], after["ranked"]["ballots"]) == (9, 10)


def test_a_closed_ranked_export_holds_every_ballot_as_its_ranking_shuffled():
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)
    option = ids(poll)

    exports = [ranked_export(poll)["ballots"] for _ in range(3)]

    expected = Counter(
        {tuple(option[letter] for letter in initials): n for initials, n in TENNESSEE.items()}
    )
    assert all(Counter(map(tuple, ballots)) == expected for ballots in exports)
    assert len({tuple(map(tuple, ballots)) for ballots in exports}) > 1  # a new order each time
    export = ranked_export(poll)
    assert export["outcome"] == {"kind": "winner", "options": [option["K"]]}
    assert [o["winner"] for o in export["options"]] == [False, False, False, True]


def test_a_ranked_poll_past_its_closing_time_exports_its_ballots():
    """No ballot can come in once the closing time has passed, even before the close is
    recorded."""
    poll = ranked_poll({"MN": 2}, results_visibility=ALWAYS)
    later = poll.closes_at + timedelta(minutes=1)

    assert len(ranked_export(poll, now=later)["ballots"]) == 2


def test_a_closed_ranked_export_reads_the_ballots_and_nothing_else(django_assert_num_queries):
    """The stored tally comes with the poll; the ballots are one query."""
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)
    poll = Poll.objects.with_results().select_related("stored_tally").get(pk=poll.pk)

    with django_assert_num_queries(1):
        services.poll_export(poll=poll, viewer=poll.author, voted=False)
