"""A ranked poll's tally as the poll page shows it: services.ranked_tally speaks in option ids,
the page in labels, shares of the continuing ballots and sentences ("3 to “Bob”, 1 exhausted")."""

from dataclasses import dataclass

from .services import TIE_RULE, RankedTally


@dataclass(frozen=True)
class RoundRow:
    """An option still in the count in one round: its ballots, their share of the round's
    continuing ballots, and whether the round eliminates it or it wins there."""

    option_id: int
    label: str
    ballots: int
    percent: float
    eliminated: bool = False
    won: bool = False
    tied: bool = False


@dataclass(frozen=True)
class RoundView:
    number: int
    rows: list[RoundRow]
    continuing: int
    exhausted: int
    eliminated: str | None  # the label of the option eliminated, None in the last round
    tied_with: list[str]  # the other options tied for the fewest, when a tie was broken
    tie_broken_by: str | None  # "earlier round" | "draw" | None
    transfers: str  # where the eliminated option's ballots went, in words


@dataclass(frozen=True)
class MatrixCell:
    """Voters preferring the row's option over the column's (None on the diagonal), and
    whether that beats the reverse: the row's option wins the pairing."""

    ballots: int | None
    wins: bool = False


@dataclass(frozen=True)
class MatrixRow:
    label: str
    cells: list[MatrixCell]


@dataclass(frozen=True)
class RankedResults:
    ballots: int
    rounds: list[RoundView]
    winners: list[str]
    is_tie: bool
    labels: list[str]  # the matrix's columns, in the author's order
    matrix: list[MatrixRow]
    condorcet_winner: str | None
    schulze: list[list[str]]  # best first; several labels in one group are tied
    tie_rule: str = TIE_RULE


def ranked_results(*, tally: RankedTally, labels: dict[int, str]) -> RankedResults:
    """The page's view of `tally`, its options named by `labels` ({option id: label}, in the
    author's order)."""
    irv = tally.irv
    winners = set(irv.winners)
    last = len(irv.rounds)
    rounds = []
    for number, round_ in enumerate(irv.rounds, start=1):
        continuing = round_.continuing
        final = number == last
        fewest = round_.counts.get(round_.eliminated)
        rows = [
            RoundRow(
                option_id=option,
                label=labels[option],
                ballots=ballots,
                percent=_share(ballots, continuing),
                eliminated=option == round_.eliminated,
                won=final and option in winners and not irv.is_tie,
                tied=final and option in winners and irv.is_tie,
            )
            for option, ballots in round_.counts.items()
        ]
        tied_with = (
            [
                labels[option]
                for option, ballots in round_.counts.items()
                if ballots == fewest and option != round_.eliminated
            ]
            if round_.tie_broken_by
            else []
        )
        rounds.append(
            RoundView(
                number=number,
                rows=rows,
                continuing=continuing,
                exhausted=round_.exhausted,
                eliminated=labels.get(round_.eliminated),
                tied_with=tied_with,
                tie_broken_by=round_.tie_broken_by,
                transfers=transfers_sentence(round_.transfers, labels),
            )
        )
    matrix = tally.condorcet.matrix
    order = list(labels)
    return RankedResults(
        ballots=tally.ballots,
        rounds=rounds,
        winners=[labels[option] for option in order if option in winners],
        is_tie=irv.is_tie,
        labels=[labels[option] for option in order],
        matrix=[
            MatrixRow(
                label=labels[row],
                cells=[
                    MatrixCell(None)
                    if row == column
                    else MatrixCell(
                        matrix[row][column], wins=matrix[row][column] > matrix[column][row]
                    )
                    for column in order
                ],
            )
            for row in order
        ],
        condorcet_winner=labels.get(tally.condorcet.winner),
        schulze=[[labels[option] for option in group] for group in tally.condorcet.schulze],
    )


def transfers_sentence(transfers: dict[int | None, int], labels: dict[int, str]) -> str:
    """“3 to “Bob”, 1 exhausted”: options in the author's order, the exhausted last."""
    parts = [
        f"{transfers[option]} to “{label}”"
        for option, label in labels.items()
        if transfers.get(option)
    ]
    if transfers.get(None):
        parts.append(f"{transfers[None]} exhausted")
    return ", ".join(parts)


def _share(ballots: int, of: int) -> float:
    return round(100 * ballots / of, 1) if of else 0.0
