"""polls/services/outcome.py: the winner, a tie or nobody, and the sentence that says so."""

import pytest

from polls import services
from polls.models import Poll
from polls.services import OutcomeKind

from ..tallies import poll_with_votes


def results(counts: dict[str, int], *, voters: int | None = None) -> services.PollResults:
    """Results as poll_results gives them, without a database."""
    total = sum(counts.values()) if voters is None else voters
    return services.PollResults(
        total_votes=total,
        options=[
            services.OptionResult(
                id=number,
                label=label,
                votes=votes,
                percent=round(100 * votes / total, 1) if total else 0.0,
            )
            for number, (label, votes) in enumerate(counts.items(), start=1)
        ],
    )


SINGLE = Poll(min_choices=1, max_choices=1)
MULTIPLE = Poll(min_choices=1, max_choices=3)


def outcome_of(counts, *, poll=SINGLE, voters=None):
    return services.poll_outcome(poll=poll, results=results(counts, voters=voters))


def test_the_option_with_most_votes_wins():
    outcome = outcome_of({"Pizza": 12, "Sushi": 5, "Tacos": 3})

    assert outcome.kind == OutcomeKind.WINNER
    assert [option.label for option in outcome.leaders] == ["Pizza"]
    assert outcome.option_ids == [1]
    assert (outcome.votes, outcome.total_votes, outcome.percent) == (12, 20, 60.0)
    assert services.outcome_sentence(outcome) == "“Pizza” won with 12 of 20 votes (60%)."


def test_a_single_vote_wins_in_the_singular():
    outcome = outcome_of({"Yes": 1, "No": 0})
    assert services.outcome_sentence(outcome) == "“Yes” won with 1 of 1 vote (100%)."


def test_a_share_keeps_its_decimal():
    outcome = outcome_of({"A": 2, "B": 1})
    assert services.outcome_sentence(outcome) == "“A” won with 2 of 3 votes (66.7%)."


def test_a_tie_of_two_names_both_in_the_authors_order():
    outcome = outcome_of({"A": 5, "B": 2, "C": 5})

    assert outcome.kind == OutcomeKind.TIE
    assert outcome.option_ids == [1, 3]
    assert services.outcome_sentence(outcome) == "A tie between “A” and “C”, 5 votes each."


def test_a_tie_of_every_option_names_them_all():
    outcome = outcome_of({"A": 1, "B": 1, "C": 1})

    assert outcome.kind == OutcomeKind.TIE
    assert outcome.option_ids == [1, 2, 3]
    assert services.outcome_sentence(outcome) == "A tie between “A”, “B” and “C”, 1 vote each."


def test_nobody_voted():
    outcome = outcome_of({"A": 0, "B": 0})

    assert outcome.kind == OutcomeKind.NO_VOTES
    assert outcome.leaders == ()
    assert outcome.option_ids == []
    assert services.outcome_sentence(outcome) == "Nobody voted in this poll."


def test_counters_without_any_ballot_count_as_nobody_voting():
    """Zero ballots is nobody, whatever a counter says (and the reverse)."""
    assert outcome_of({"A": 1, "B": 0}, voters=0).kind == OutcomeKind.NO_VOTES
    assert outcome_of({"A": 0, "B": 0}, voters=3).kind == OutcomeKind.NO_VOTES


def test_multiple_choice_names_the_most_chosen_option_with_a_share_of_the_voters():
    outcome = outcome_of({"Pizza": 8, "Sushi": 6, "Tacos": 6}, poll=MULTIPLE, voters=10)

    assert outcome.kind == OutcomeKind.WINNER
    assert outcome.option_ids == [1]
    assert services.outcome_sentence(outcome) == (
        "“Pizza” was chosen most, by 8 of 10 voters (80%)."
    )


def test_multiple_choice_tie():
    outcome = outcome_of({"Pizza": 6, "Sushi": 6, "Tacos": 1}, poll=MULTIPLE, voters=7)

    assert outcome.kind == OutcomeKind.TIE
    assert outcome.option_ids == [1, 2]
    assert services.outcome_sentence(outcome) == (
        "A tie between “Pizza” and “Sushi”, each chosen by 6 of 7 voters (85.7%)."
    )


def test_labels_are_quoted_as_typed():
    outcome = outcome_of({'He said "no"': 2, "<b>": 1})
    assert services.outcome_sentence(outcome) == '“He said "no"” won with 2 of 3 votes (66.7%).'


@pytest.mark.django_db
def test_poll_outcome_reads_the_counters_when_not_given_results(django_assert_num_queries):
    poll = poll_with_votes({"Tea": 1, "Coffee": 3})

    with django_assert_num_queries(0):  # options prefetched by with_results
        outcome = services.poll_outcome(poll=poll)

    assert [option.label for option in outcome.leaders] == ["Coffee"]
    assert outcome.total_votes == 4
