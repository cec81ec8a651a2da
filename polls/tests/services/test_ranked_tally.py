"""Instant-runoff and the Condorcet view (polls/services/ranked_tally.py): published worked
examples, ties at every stage, exhausted ballots, and IRV against an independent
implementation (pyrankvote) on thousands of random ballot sets."""

import random

import pyrankvote
import pytest

from polls.services.ranked_tally import condorcet, instant_runoff

SEED = b"poll-seed"


def tally(groups: dict[str, int], options: str = ""):
    """Rankings written as letters best first ("ACB": 5), options as letters."""
    options = options or "".join(sorted({letter for ranking in groups for letter in ranking}))
    rankings = {
        tuple(ord(letter) for letter in ranking): count for ranking, count in groups.items()
    }
    return rankings, [ord(letter) for letter in options]


def letters(ids) -> str:
    return "".join(chr(option) for option in ids)


# Wikipedia's Tennessee capital example: Memphis, Nashville, Chattanooga, Knoxville.
TENNESSEE = {"MNCK": 42, "NCKM": 26, "CKNM": 15, "KCNM": 17}


def test_tennessee_irv_elects_knoxville_round_by_round():
    rankings, options = tally(TENNESSEE, "MNCK")
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)

    assert letters(result.winners) == "K"
    first, second, last = result.rounds
    assert {chr(k): v for k, v in first.counts.items()} == {"M": 42, "N": 26, "C": 15, "K": 17}
    assert chr(first.eliminated) == "C"
    assert {chr(k): v for k, v in first.transfers.items()} == {"K": 15}
    assert chr(second.eliminated) == "N"
    assert {chr(k): v for k, v in second.transfers.items()} == {"K": 26}
    assert {chr(k): v for k, v in last.counts.items()} == {"M": 42, "K": 58}
    assert last.eliminated is None


def test_tennessee_condorcet_winner_is_nashville_with_the_published_matrix():
    rankings, options = tally(TENNESSEE, "MNCK")
    view = condorcet(rankings=rankings, options=options)

    assert chr(view.winner) == "N"
    m, n, c, k = options
    assert (view.matrix[n][m], view.matrix[m][n]) == (58, 42)
    assert (view.matrix[n][c], view.matrix[c][n]) == (68, 32)
    assert (view.matrix[c][k], view.matrix[k][c]) == (83, 17)
    assert [letters(group) for group in view.schulze] == ["N", "C", "K", "M"]


# Wikipedia's Schulze method example: 45 voters, no Condorcet winner, Schulze ranks E first.
SCHULZE = {
    "ACBED": 5,
    "ADECB": 5,
    "BEDAC": 8,
    "CABED": 3,
    "CAEBD": 7,
    "CBADE": 2,
    "DCEBA": 7,
    "EBADC": 8,
}


def test_the_schulze_example_has_no_condorcet_winner_and_ranks_e_a_c_b_d():
    rankings, options = tally(SCHULZE)
    view = condorcet(rankings=rankings, options=options)

    assert view.winner is None
    a, b, c, d, e = options
    assert (view.matrix[a][b], view.matrix[b][a]) == (20, 25)
    assert (view.matrix[e][a], view.matrix[a][e]) == (23, 22)
    assert (view.matrix[d][b], view.matrix[e][d]) == (12, 31)
    assert [letters(group) for group in view.schulze] == ["E", "A", "C", "B", "D"]


def test_a_majority_of_first_preferences_wins_in_one_round():
    rankings, options = tally({"AB": 3, "BA": 2})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)
    assert letters(result.winners) == "A"
    assert len(result.rounds) == 1


def test_exhausted_ballots_leave_the_count_and_the_majority_is_of_continuing_ballots():
    # C is eliminated; its two ballots rank nobody else and are exhausted: A wins 4 to 3 of 7.
    rankings, options = tally({"A": 4, "B": 3, "C": 2})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)

    assert letters(result.winners) == "A"
    assert result.rounds[0].transfers == {None: 2}
    assert result.rounds[-1].exhausted == 2
    assert result.rounds[-1].continuing == 7


def test_partial_rankings_move_to_their_next_preference_only():
    rankings, options = tally({"AB": 3, "B": 4, "CA": 1, "CB": 1})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)
    assert chr(result.rounds[0].eliminated) == "C"
    assert {chr(k): v for k, v in result.rounds[0].transfers.items()} == {"A": 1, "B": 1}
    assert letters(result.winners) == "B"


def test_a_tie_for_elimination_is_broken_by_the_latest_earlier_round():
    # Round 1: A 5, B 4, C 3, D 2 → D out, to C: A 5, B 4, C 5... B out next, no tie.
    # Here: after D goes, B and C tie at 4; in round 1 C had fewer (3 < 4) → C goes.
    rankings, options = tally({"A": 5, "B": 4, "C": 3, "DC": 1, "DA": 1})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)

    second = result.rounds[1]
    assert {chr(k): v for k, v in second.counts.items()} == {"A": 6, "B": 4, "C": 4}
    assert (chr(second.eliminated), second.tie_broken_by) == ("C", "earlier round")


def test_a_tie_no_round_breaks_is_a_draw_seeded_from_the_poll():
    rankings, options = tally({"A": 3, "BA": 1, "CA": 1, "DB": 2, "EC": 2})
    outcomes = set()
    for seed in (b"one", b"two", b"three", b"four", b"five", b"six"):
        first = instant_runoff(rankings=rankings, options=options, seed=seed)
        again = instant_runoff(rankings=rankings, options=options, seed=seed)
        assert first == again  # the same poll always recounts the same
        assert first.rounds[0].tie_broken_by == "draw"  # B and C, 1 each, in the first round
        outcomes.add(first.rounds[0].eliminated)
    assert len(outcomes) > 1  # the draw depends on the seed, not on the options' order


def test_every_option_tied_all_the_way_is_a_tie_not_a_draw():
    rankings, options = tally({"AB": 2, "BA": 2})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)
    assert result.is_tie
    assert letters(result.winners) == "AB"
    assert result.rounds[-1].eliminated is None


def test_a_final_tie_with_a_history_goes_to_the_option_stronger_earlier():
    # Round 1: A 3, B 2, C 1 → C out, to B: A 3, B 3; A had more in round 1 → B out, A wins.
    rankings, options = tally({"A": 3, "B": 2, "CB": 1})
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)
    assert letters(result.winners) == "A"
    assert result.rounds[1].tie_broken_by == "earlier round"


def test_no_ballots_elect_nobody():
    result = instant_runoff(rankings={}, options=[1, 2, 3], seed=SEED)
    assert (result.rounds, result.winners) == ([], ())
    view = condorcet(rankings={}, options=[1, 2, 3])
    assert view.winner is None
    assert view.schulze == [(1, 2, 3)]


def test_options_nobody_ranked_are_eliminated_first_and_stay_in_the_rounds():
    rankings, options = tally({"AB": 3, "BA": 2}, "ABC")
    result = instant_runoff(rankings=rankings, options=options, seed=SEED)
    assert letters(result.winners) == "A"
    assert letters(result.rounds[0].counts) == "ABC"  # in the author's order
    assert result.rounds[0].counts[ord("C")] == 0


def _random_sets(count: int):
    generator = random.Random(20261207)
    for _ in range(count):
        options = list(range(1, generator.randint(3, 6) + 1))
        rankings: dict[tuple[int, ...], int] = {}
        for _ in range(generator.randint(1, 40)):
            ranking = generator.sample(options, generator.randint(1, len(options)))
            rankings[tuple(ranking)] = rankings.get(tuple(ranking), 0) + 1
        yield options, rankings


def _pyrankvote_winner(options, rankings) -> int:
    candidates = {option: pyrankvote.Candidate(str(option)) for option in options}
    ballots = [
        pyrankvote.Ballot(ranked_candidates=[candidates[option] for option in ranking])
        for ranking, count in rankings.items()
        for _ in range(count)
    ]
    result = pyrankvote.instant_runoff_voting(list(candidates.values()), ballots)
    (winner,) = result.get_winners()
    return int(winner.name)


def test_irv_agrees_with_pyrankvote_on_thousands_of_ballot_sets_without_ties():
    compared = 0
    for options, rankings in _random_sets(3000):
        result = instant_runoff(rankings=rankings, options=options, seed=SEED)
        tied = result.is_tie or any(
            len([n for n in r.counts.values() if n == min(r.counts.values())]) > 1
            for r in result.rounds
            if r.eliminated is not None
        )
        if tied:
            continue  # tie rules differ between implementations
        assert result.winners == (_pyrankvote_winner(options, rankings),), rankings
        compared += 1
    assert compared > 1000


@pytest.mark.parametrize("options", [[1, 2, 3, 4], [7, 3, 9]])
def test_the_condorcet_winner_when_there_is_one_is_first_in_schulze(options):
    generator = random.Random(sum(options))
    for _ in range(300):
        rankings = {}
        for _ in range(generator.randint(1, 25)):
            ranking = tuple(generator.sample(options, generator.randint(1, len(options))))
            rankings[ranking] = rankings.get(ranking, 0) + 1
        view = condorcet(rankings=rankings, options=options)
        if view.winner is not None:
            assert view.schulze[0] == (view.winner,)
