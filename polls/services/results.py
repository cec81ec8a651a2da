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
    """Counts from the options' counters and the poll's ballot count: no ballot is read, so the
    cost does not grow with the number of votes. A share is of the voters (the ballots), which
    stays right when a ballot may choose several options. Uses prefetched options when present."""
    options = list(poll.options.all())
    total = poll.ballot_count
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
