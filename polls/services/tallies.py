"""A ranked poll's tally (ranked_tally.py does the counting): read from its ranking counts, one
row per distinct ranking, never from its ballots; kept in the shared cache per revision while
the poll is open, so that a page polled every few seconds tallies once per change; stored when
the poll closes (and again when a ballot of the closed poll is removed), so that a closed
poll's results read one row. The ballots anyone may recount, after the close, come from the
same counts."""

import logging
import random
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError
from redis.exceptions import RedisError

from ..models import Option, Poll, RankingCount, StoredTally, VotingMethod, ranking_of_key
from .ranked_tally import Condorcet, InstantRunoff, Round, condorcet, instant_runoff

logger = logging.getLogger(__name__)

TALLY_CACHE_SECONDS = 600
# Raise it when the stored or cached form changes, so that no old form is read as the new one.
TALLY_FORMAT = 1

TIE_RULE = (
    "An option with more than half of the continuing ballots wins. Otherwise the option with "
    "the fewest is eliminated and its ballots move to their next choice still in the count; a "
    "ballot with none left is exhausted. A tie for the fewest goes to the latest earlier round "
    "in which the tied options had different counts (the fewest there is eliminated); failing "
    "that, to a draw: the option whose SHA-256 of “poll id|round|option id” is lowest. If every "
    "option still in the count is tied and no earlier round separates them, the poll is a tie."
)


@dataclass(frozen=True)
class RankedTally:
    """A ranked poll's tally: `ballots` counted, instant-runoff's rounds and winners, and the
    Condorcet view (the pairwise matrix, the Condorcet winner, the Schulze ranking)."""

    ballots: int
    irv: InstantRunoff
    condorcet: Condorcet

    @property
    def winners(self) -> tuple[int, ...]:
        return self.irv.winners


def ranked_tally(*, poll: Poll) -> RankedTally | None:
    """The tally of a ranked `poll` as its revision stands (None for a poll that chooses): the
    stored one when it is of this revision (a closed poll), else the cached one, else counted
    from the ranking counts (one query) and cached. Uses prefetched options and stored tally
    when present."""
    if not poll.is_ranked:
        return None
    stored = _stored_of(poll)
    current = stored is not None and stored.revision == poll.revision
    if current and stored.tally.get("format") == TALLY_FORMAT:
        return _tally_from_json(stored.tally)
    key = f"votr:tally:{TALLY_FORMAT}:{poll.pk}:{poll.revision}"
    try:
        cached = cache.get(key)
    except (RedisError, DatabaseError) as error:
        logger.warning("tallies: the cache is unreachable (%s)", type(error).__name__)
        return _count(poll_id=poll.pk, options=_option_ids(poll), seed=_seed(poll))
    if cached is not None:
        return _tally_from_json(cached)
    tally = _count(poll_id=poll.pk, options=_option_ids(poll), seed=_seed(poll))
    try:
        cache.set(key, _tally_to_json(tally), TALLY_CACHE_SECONDS)
    except (RedisError, DatabaseError) as error:
        logger.warning("tallies: the cache is unreachable (%s)", type(error).__name__)
    return tally


def tallies_store(*, poll_ids) -> None:
    """Store the tally of each closed ranked poll among `poll_ids` as its revision now stands,
    in the caller's transaction (a close, a removal): one query, then three per ranked poll."""
    if not poll_ids:
        return
    polls = list(
        Poll.objects.filter(
            pk__in=list(poll_ids), voting_method=VotingMethod.RANKED, closed_at__isnull=False
        ).only("pk", "public_id", "revision")
    )
    for poll in polls:
        options = list(
            Option.objects.filter(poll_id=poll.pk)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        tally = _count(poll_id=poll.pk, options=options, seed=_seed(poll))
        StoredTally.objects.update_or_create(
            poll_id=poll.pk, defaults={"revision": poll.revision, "tally": _tally_to_json(tally)}
        )


def tally_forget(*, poll_id: int) -> None:
    """Drop a poll's stored tally (a reopen: the poll counts again)."""
    StoredTally.objects.filter(poll_id=poll_id).delete()


def ballots_for_recount(*, poll: Poll) -> list[list[int]]:
    """Every ballot of a ranked poll as its ranking alone (option ids best first), shuffled:
    what an export holds once the poll has closed, so that anyone can recount it. Read from the
    ranking counts: nothing says who cast which, or when."""
    rankings = _rankings(poll.pk)
    ballots = [list(ranking) for ranking, count in rankings.items() for _ in range(count)]
    random.SystemRandom().shuffle(ballots)
    return ballots


def _rankings(poll_id: int) -> dict[tuple[int, ...], int]:
    rows = RankingCount.objects.filter(poll_id=poll_id, ballots__gt=0).values_list(
        "ranking", "ballots"
    )
    return {ranking_of_key(key): count for key, count in rows}


def _count(*, poll_id: int, options: list[int], seed: bytes) -> RankedTally:
    rankings = _rankings(poll_id)
    return RankedTally(
        ballots=sum(rankings.values()),
        irv=instant_runoff(rankings=rankings, options=options, seed=seed),
        condorcet=condorcet(rankings=rankings, options=options),
    )


def _seed(poll: Poll) -> bytes:
    """What the draw is seeded from: the poll's public id, which anyone recounting has."""
    return poll.public_id.encode()


def _option_ids(poll: Poll) -> list[int]:
    return [option.pk for option in poll.options.all()]


def _stored_of(poll: Poll) -> StoredTally | None:
    if poll.closed_at is None:
        return None
    try:
        return poll.stored_tally
    except StoredTally.DoesNotExist:
        return None


def _tally_to_json(tally: RankedTally) -> dict:
    """The tally as JSON: option ids as keys become strings, so maps are lists of pairs."""
    return {
        "format": TALLY_FORMAT,
        "ballots": tally.ballots,
        "rounds": [
            {
                "counts": list(round.counts.items()),
                "exhausted": round.exhausted,
                "eliminated": round.eliminated,
                "tie_broken_by": round.tie_broken_by,
                "transfers": list(round.transfers.items()),
            }
            for round in tally.irv.rounds
        ],
        "winners": list(tally.irv.winners),
        "matrix": [[a, b, n] for a, row in tally.condorcet.matrix.items() for b, n in row.items()],
        "options": list(tally.condorcet.matrix),
        "condorcet_winner": tally.condorcet.winner,
        "schulze": [list(group) for group in tally.condorcet.schulze],
    }


def _tally_from_json(data: dict) -> RankedTally:
    rounds = [
        Round(
            counts={option: count for option, count in round["counts"]},
            exhausted=round["exhausted"],
            eliminated=round["eliminated"],
            tie_broken_by=round["tie_broken_by"],
            transfers={option: count for option, count in round["transfers"]},
        )
        for round in data["rounds"]
    ]
    matrix: dict[int, dict[int, int]] = {option: {} for option in data["options"]}
    for a, b, count in data["matrix"]:
        matrix[a][b] = count
    return RankedTally(
        ballots=data["ballots"],
        irv=InstantRunoff(rounds=rounds, winners=tuple(data["winners"])),
        condorcet=Condorcet(
            matrix=matrix,
            winner=data["condorcet_winner"],
            schulze=[tuple(group) for group in data["schulze"]],
        ),
    )
