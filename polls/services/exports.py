"""Exports of a poll's results (CSV and JSON, from the pages and the API): who may take one,
and what it holds. The poll's author and holders of polls.view_results always may; everyone
else when they may see the results (visibility.py). An export holds counts, never a voter's
name; a ranked poll's export also holds its ballots, as rankings alone and shuffled, but only
once the poll has closed: two exports taken while it is open would single out the ballots
cast between them."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from ..models import Poll
from .errors import NotAllowed
from .outcome import poll_outcome
from .results import poll_results
from .tallies import TIE_RULE, RankedTally, ballots_for_recount, ranked_tally
from .visibility import NEVER, UNTIL_CLOSE, UNTIL_VOTE, results_hidden_until

EXPORT_REFUSED = {
    UNTIL_VOTE: "You can export this poll's results once you have voted in it.",
    UNTIL_CLOSE: "You can export this poll's results once it has closed.",
    NEVER: "Only the poll's author can export its results.",
}
BALLOTS_AFTER_CLOSE = (
    "The ballots are published once the poll has closed: two exports taken while it is open "
    "would single out the ballots cast between them."
)


def utc_text(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second (2030-01-02T03:04:05+00:00)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def ranked_summary(tally: RankedTally) -> dict:
    """A ranked poll's tally as JSON-ready values, the one shape of the API's `ranked` and of
    the exports: the winners, each instant-runoff round (continuing options in the author's
    order; transfers in that order, exhausted ballots last), every ordered pair of the pairwise
    matrix, the Condorcet winner and the Schulze ranking."""
    rounds = []
    for number, round in enumerate(tally.irv.rounds, start=1):
        order = [*round.counts, None]
        transfers = sorted(round.transfers.items(), key=lambda item: order.index(item[0]))
        rounds.append(
            {
                "number": number,
                "counts": [{"option": o, "ballots": n} for o, n in round.counts.items()],
                "continuing": round.continuing,
                "exhausted": round.exhausted,
                "eliminated": round.eliminated,
                "tie_broken_by": round.tie_broken_by,
                "transfers": [{"option": o, "ballots": n} for o, n in transfers],
            }
        )
    matrix = tally.condorcet.matrix
    return {
        "ballots": tally.ballots,
        "winners": list(tally.winners),
        "is_tie": tally.irv.is_tie,
        "tie_rule": TIE_RULE,
        "rounds": rounds,
        "pairwise": [
            {"option": a, "against": b, "ballots": n}
            for a, row in matrix.items()
            for b, n in row.items()
        ],
        "condorcet_winner": tally.condorcet.winner,
        "schulze": [list(group) for group in tally.condorcet.schulze],
    }


def poll_export(*, poll: Poll, viewer, voted: bool, now: datetime | None = None) -> dict:
    """What an export of `poll`'s results holds, as JSON-ready values, for `viewer` (a user,
    maybe anonymous), `voted` saying whether they have a ballot in it. Raises NotAllowed, with
    what they wait for, when the results are hidden from them. Reads the poll's options
    (prefetched when present) and its author (select_related when present); a ranked poll's
    tally (services.tallies) and, once it has closed, its ballots (one query).

    `winner` marks the winner or every tied option of a closed poll (a ranked poll's by
    instant-runoff); an open poll has none."""
    now = now or timezone.now()
    hidden = results_hidden_until(poll=poll, viewer=viewer, voted=voted, now=now)
    if hidden is not None:
        raise NotAllowed(EXPORT_REFUSED[hidden])
    results = poll_results(poll=poll)
    tally = ranked_tally(poll=poll)
    is_open = poll.is_open(now=now)
    outcome = None if is_open else poll_outcome(poll=poll, results=results, tally=tally)
    winners = set(outcome.option_ids) if outcome else set()
    export = {
        "poll": {
            "id": poll.public_id,
            "url": f"{settings.SITE_URL or ''}{poll.get_absolute_url()}",
            "question": poll.title,
            "description": poll.description,
            "author": poll.author.username,
            "status": "open" if is_open else "closed",
            "created_at": utc_text(poll.created_at),
            "closes_at": utc_text(poll.closes_at),
            "closed_at": None if is_open else utc_text(poll.ended_at),
            "results_visibility": poll.results_visibility,
            "voting_method": poll.voting_method,
            "rank_all": poll.rank_all,
            "min_choices": poll.min_choices,
            "max_choices": poll.max_choices,
        },
        "options": [
            {
                "id": option.id,
                "label": option.label,
                "votes": option.votes,
                "percent": option.percent,
                "winner": option.id in winners,
            }
            for option in results.options
        ],
        "total_voters": results.total_votes,
        "total_choices": sum(option.votes for option in results.options),
        "outcome": {"kind": str(outcome.kind), "options": outcome.option_ids} if outcome else None,
        "ranked": ranked_summary(tally) if tally is not None else None,
        "exported_at": utc_text(now),
    }
    if tally is not None:
        # Never while open (see the module's docstring); a poll past its closing time takes no
        # ballot even before the worker records the close.
        export["ballots"] = None if is_open else ballots_for_recount(poll=poll)
        export["ballots_note"] = BALLOTS_AFTER_CLOSE
    return export
