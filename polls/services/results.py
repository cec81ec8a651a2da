"""Tallies: counts and percentages from the options' counters."""

from dataclasses import dataclass

from ..models import Poll


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int
    percent: float


@dataclass(frozen=True)
class PollResults:
    total_votes: int
    options: list[OptionResult]


def poll_results(*, poll: Poll) -> PollResults:
    """Counts and percentages from the options' counters: no ballot is counted, so the cost
    does not grow with the number of votes. Uses prefetched options when present."""
    options = list(poll.options.all())
    total = sum(option.votes for option in options)
    return PollResults(
        total_votes=total,
        options=[
            OptionResult(
                id=option.id,
                label=option.label,
                votes=option.votes,
                percent=round(100 * option.votes / total, 1) if total else 0.0,
            )
            for option in options
        ],
    )
