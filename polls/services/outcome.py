"""A poll's outcome: the winner, a tie, or that nobody voted, and the one sentence that states
it on the poll page, in the close email and in link previews.

A single- or multiple-choice poll's winner is its most-chosen option, from the options'
counters; a multiple-choice poll's shares are of the voters, so the sentence speaks of voters
who chose it rather than of votes won. A ranked poll's winner is instant-runoff's (never the
option with the most first preferences), with its ballots in the last round."""

from dataclasses import dataclass
from enum import StrEnum

from ..models import Poll
from .results import OptionResult, PollResults, poll_results
from .tallies import RankedTally, ranked_tally


class OutcomeKind(StrEnum):
    WINNER = "winner"
    TIE = "tie"
    NO_VOTES = "no_votes"


@dataclass(frozen=True)
class Outcome:
    """`leaders`: the winner, or every tied option, in the author's order (none when nobody
    voted); each has `votes` votes, `percent` of the `total_votes` voters. A ranked poll's
    leaders have `votes` ballots in instant-runoff's last round (round number `rounds`),
    `percent` of the `continuing` ballots there."""

    kind: OutcomeKind
    leaders: tuple[OptionResult, ...]
    votes: int
    percent: float
    total_votes: int
    multiple_choice: bool
    ranked: bool = False
    rounds: int = 0
    continuing: int = 0

    @property
    def option_ids(self) -> list[int]:
        return [option.id for option in self.leaders]


def poll_outcome(
    *, poll: Poll, results: PollResults | None = None, tally: RankedTally | None = None
) -> Outcome:
    """`poll`'s outcome from its `results` (read from its counters when not given) and, for a
    ranked poll, its `tally` (polls.services.tallies when not given), whether or not it has
    closed: callers decide when it may be shown (closed, and visible to the viewer)."""
    results = results or poll_results(poll=poll)
    if poll.is_ranked:
        return _ranked_outcome(results, tally or ranked_tally(poll=poll))
    multiple_choice = poll.is_multiple_choice
    top = max((option.votes for option in results.options), default=0)
    if results.total_votes == 0 or top == 0:
        return Outcome(OutcomeKind.NO_VOTES, (), 0, 0.0, results.total_votes, multiple_choice)
    leaders = tuple(option for option in results.options if option.votes == top)
    return Outcome(
        OutcomeKind.WINNER if len(leaders) == 1 else OutcomeKind.TIE,
        leaders,
        top,
        leaders[0].percent,
        results.total_votes,
        multiple_choice,
    )


def _ranked_outcome(results: PollResults, tally: RankedTally) -> Outcome:
    if not tally.irv.winners:
        return Outcome(OutcomeKind.NO_VOTES, (), 0, 0.0, results.total_votes, False, ranked=True)
    last = tally.irv.rounds[-1]
    winners = set(tally.irv.winners)
    leaders = tuple(option for option in results.options if option.id in winners)
    votes = last.counts[leaders[0].id]
    continuing = last.continuing
    return Outcome(
        OutcomeKind.WINNER if len(leaders) == 1 else OutcomeKind.TIE,
        leaders,
        votes,
        round(100 * votes / continuing, 1) if continuing else 0.0,
        results.total_votes,
        False,
        ranked=True,
        rounds=len(tally.irv.rounds),
        continuing=continuing,
    )


def _quoted(labels: list[str]) -> str:
    """“A”, “A” and “B”, “A”, “B” and “C”."""
    quoted = [f"“{label}”" for label in labels]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _percent(percent: float) -> str:
    return f"{percent:g}%"


def outcome_sentence(outcome: Outcome) -> str:
    """The outcome in one plain-text sentence: “Pizza” won with 12 of 20 votes (60%). /
    A tie between “A” and “B”, 5 votes each. / Nobody voted in this poll."""
    if outcome.kind == OutcomeKind.NO_VOTES:
        return "Nobody voted in this poll."
    labels = _quoted([option.label for option in outcome.leaders])
    if outcome.ranked:
        return _ranked_sentence(outcome, labels)
    if outcome.multiple_choice:
        share = f"{outcome.votes} of {_count(outcome.total_votes, 'voter')}"
        if outcome.kind == OutcomeKind.WINNER:
            return f"{labels} was chosen most, by {share} ({_percent(outcome.percent)})."
        return f"A tie between {labels}, each chosen by {share} ({_percent(outcome.percent)})."
    if outcome.kind == OutcomeKind.WINNER:
        share = f"{outcome.votes} of {_count(outcome.total_votes, 'vote')}"
        return f"{labels} won with {share} ({_percent(outcome.percent)})."
    return f"A tie between {labels}, {_count(outcome.votes, 'vote')} each."


def _ranked_sentence(outcome: Outcome, labels: str) -> str:
    """“A” won by instant-runoff in round 3, with 11 of 19 continuing ballots (57.9%). / A tie
    by instant-runoff between “A” and “B” in round 2, 5 ballots each."""
    when = "in round 1" if outcome.rounds == 1 else f"in round {outcome.rounds}"
    if outcome.kind == OutcomeKind.WINNER:
        share = f"{outcome.votes} of {outcome.continuing} continuing ballots"
        return f"{labels} won by instant-runoff {when}, with {share} ({_percent(outcome.percent)})."
    each = _count(outcome.votes, "ballot")
    return f"A tie by instant-runoff between {labels} {when}, {each} each."
