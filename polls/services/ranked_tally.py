"""Tallying ranked ballots: instant-runoff (IRV) for the winner, every round kept to explain
it, and the Condorcet view beside it (the pairwise matrix, the Condorcet winner, the Schulze
ranking). Pure functions of the distinct rankings and how many ballots hold each, so that a
tally reads one row per distinct ranking, never every ballot.

Ties for elimination are broken, in this order: the fewest first preferences in the latest
earlier round where the tied options differ (counting back from the round before the tie);
then a draw seeded from the poll itself (`seed`), the same for everyone who recounts. Only
when every continuing option is tied in this round and every earlier one is the poll a tie
between them; nothing is drawn for the win.
"""

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, combinations, product

Ranking = tuple[int, ...]


@dataclass(frozen=True)
class Round:
    """One round: each continuing option's ballots (in the author's option order), the
    ballots exhausted so far, and what happened at its end: the option eliminated (None in the
    last round), how it was chosen when tied ("earlier round", "draw"), and where its ballots
    went (option id, or None for exhausted)."""

    counts: dict[int, int]
    exhausted: int
    eliminated: int | None = None
    tie_broken_by: str | None = None
    transfers: dict[int | None, int] = field(default_factory=dict)

    @property
    def continuing(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class InstantRunoff:
    rounds: list[Round]
    winners: tuple[int, ...]  # one option, several on a tie, none without ballots

    @property
    def is_tie(self) -> bool:
        return len(self.winners) > 1


def instant_runoff(
    *, rankings: Mapping[Ranking, int], options: Sequence[int], seed: bytes
) -> InstantRunoff:
    """IRV over `rankings` ({ranking: ballots}, each ranking option ids best first) of the
    poll's `options` (ids in the author's order). A round counts each ballot for its most
    preferred continuing option; an option with more than half of the continuing ballots
    wins; otherwise the option with the fewest is eliminated (ties broken as the module
    says) and its ballots move on."""
    continuing = list(options)
    known = set(options)
    groups = [
        ([option for option in ranking if option in known], count)
        for ranking, count in rankings.items()
        if count > 0
    ]
    total = sum(count for _, count in groups)
    # Each group's place in its ranking: the first option still continuing.
    place = [0] * len(groups)
    rounds: list[Round] = []
    if total == 0:
        return InstantRunoff(rounds=[], winners=())
    while True:
        counts = dict.fromkeys(continuing, 0)
        top = []
        for index, (ranking, count) in enumerate(groups):
            at = place[index]
            while at < len(ranking) and ranking[at] not in counts:
                at += 1
            place[index] = at
            choice = ranking[at] if at < len(ranking) else None
            top.append(choice)
            if choice is not None:
                counts[choice] += count
        live = sum(counts.values())
        exhausted = total - live
        leader = max(continuing, key=lambda option: counts[option])
        if counts[leader] * 2 > live or len(continuing) == 1:
            rounds.append(Round(counts=counts, exhausted=exhausted))
            return InstantRunoff(rounds=rounds, winners=(leader,))
        fewest = min(counts.values())
        lowest = [option for option in continuing if counts[option] == fewest]
        loser, broken_by = _break_tie(
            lowest,
            rounds=rounds,
            seed=seed,
            round_number=len(rounds) + 1,
            everyone=len(lowest) == len(continuing),
        )
        if loser is None:  # every continuing option tied all the way: a tie between them
            rounds.append(Round(counts=counts, exhausted=exhausted))
            return InstantRunoff(rounds=rounds, winners=tuple(continuing))
        transfers: Counter = Counter()
        for index, (ranking, count) in enumerate(groups):
            if top[index] != loser:
                continue
            at = place[index] + 1
            while at < len(ranking) and (ranking[at] == loser or ranking[at] not in counts):
                at += 1
            transfers[ranking[at] if at < len(ranking) else None] += count
        rounds.append(
            Round(
                counts=counts,
                exhausted=exhausted,
                eliminated=loser,
                tie_broken_by=broken_by,
                transfers=dict(transfers),
            )
        )
        continuing.remove(loser)


def _break_tie(
    lowest: list[int], *, rounds: list[Round], seed: bytes, round_number: int, everyone: bool
) -> tuple[int | None, str | None]:
    """Which of `lowest` (tied for the fewest ballots) is eliminated, and by what: the only
    one (None); the fewest in the latest earlier round that tells them apart ("earlier
    round"); else a draw ("draw"). None, None when they are `everyone` still continuing and
    no earlier round tells any of them apart: the poll is a tie between them."""
    if len(lowest) == 1:
        return lowest[0], None
    tied = list(lowest)
    for earlier in reversed(rounds):
        fewest = min(earlier.counts[option] for option in tied)
        tied = [option for option in tied if earlier.counts[option] == fewest]
        if len(tied) == 1:
            return tied[0], "earlier round"
    if everyone and len(tied) == len(lowest):
        return None, None
    return _draw(tied, seed=seed, round_number=round_number), "draw"


def _draw(tied: list[int], *, seed: bytes, round_number: int) -> int:
    """The option a draw seeded from the poll eliminates among `tied`: the one whose hash of
    (seed, round, option) is lowest. Anyone with the seed gets the same answer."""

    def lot(option: int) -> bytes:
        return hashlib.sha256(seed + f"|{round_number}|{option}".encode()).digest()

    return min(tied, key=lot)


@dataclass(frozen=True)
class Condorcet:
    """`matrix[a][b]`: how many ballots rank a above b (a ranked option is above every
    unranked one). The Condorcet winner beats every other option head to head, if any;
    `schulze` is the Schulze ranking, best first, options that tie grouped together."""

    matrix: dict[int, dict[int, int]]
    winner: int | None
    schulze: list[tuple[int, ...]]


def pairwise_matrix(*, rankings: Mapping[Ranking, int], options: Sequence[int]) -> dict:
    """{a: {b: ballots preferring a to b}} for every pair of `options`."""
    known = set(options)
    single: list[Ranking] = []
    weighted: list[tuple[Ranking, int]] = []
    for ranking, count in rankings.items():
        ranking = tuple(option for option in ranking if option in known)
        if count == 1:
            single.append(ranking)
        elif count > 1:
            weighted.append((ranking, count))

    def pairs(ranking: Ranking):
        unranked = known.difference(ranking)
        return chain(combinations(ranking, 2), product(ranking, unranked))

    # Counting pairs in C (Counter over chained iterators) keeps 100,000 ballots fast.
    counted = Counter(chain.from_iterable(pairs(ranking) for ranking in single))
    for ranking, count in weighted:
        for pair in pairs(ranking):
            counted[pair] += count
    return {a: {b: counted.get((a, b), 0) for b in options if b != a} for a in options}


def condorcet(*, rankings: Mapping[Ranking, int], options: Sequence[int]) -> Condorcet:
    """The pairwise matrix, the Condorcet winner and the Schulze ranking of `rankings`."""
    matrix = pairwise_matrix(rankings=rankings, options=options)
    winner = next(
        (a for a in options if all(matrix[a][b] > matrix[b][a] for b in options if b != a)),
        None,
    )
    return Condorcet(matrix=matrix, winner=winner, schulze=schulze_ranking(matrix, options))


def schulze_ranking(matrix: dict, options: Sequence[int]) -> list[tuple[int, ...]]:
    """The Schulze method: strongest path strengths by widest paths (Floyd–Warshall), then a
    beats b when its path to b is stronger than b's to a. Options in groups, best first; an
    option's rank is the number of options that beat it, so ties share a group (in the
    author's order)."""
    strength = {
        a: {b: (matrix[a][b] if matrix[a][b] > matrix[b][a] else 0) for b in options if b != a}
        for a in options
    }
    for via in options:
        for a in options:
            if a == via:
                continue
            for b in options:
                if b in (a, via):
                    continue
                strength[a][b] = max(strength[a][b], min(strength[a][via], strength[via][b]))
    beaten_by = {
        b: sum(1 for a in options if a != b and strength[a][b] > strength[b][a]) for b in options
    }
    groups: dict[int, list[int]] = {}
    for option in options:
        groups.setdefault(beaten_by[option], []).append(option)
    return [tuple(groups[rank]) for rank in sorted(groups)]
