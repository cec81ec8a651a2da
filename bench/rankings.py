"""The ranked tally's ballots (bench/tally.py): random partial rankings, seeded, so every run
tallies the same ballots."""

import random
from collections import Counter

BALLOTS = 100_000
OPTIONS = 10
SEED = 15  # the number: the same ballots in every run
# How many options a voter ranks (1 to 10): most rank a few, some rank them all.
LENGTHS = (18, 20, 17, 12, 9, 7, 5, 3, 3, 6)
# Voters come in three camps, each with its own favourites; within a camp an option is ranked
# next with a chance proportional to its weight (Plackett-Luce), so a few rankings are common
# and most are rare, as in a real poll.
CAMPS = (
    (30, 22, 14, 10, 7, 5, 4, 3, 3, 2),
    (8, 26, 3, 30, 12, 5, 2, 6, 4, 4),
    (12, 4, 28, 6, 24, 9, 7, 3, 5, 2),
)
CAMP_SHARES = (45, 35, 20)


def random_rankings(
    ballots: int = BALLOTS, options: int = OPTIONS, seed: int = SEED
) -> Counter[tuple[int, ...]]:
    """{ranking of option indexes (0 to options - 1), best first: ballots holding it}."""
    chooser = random.Random(seed)  # noqa: S311 (benchmark data)
    camps = [weights[:options] for weights in CAMPS]
    lengths = list(range(1, options + 1))
    rankings: Counter[tuple[int, ...]] = Counter()
    for camp in chooser.choices(range(len(camps)), weights=CAMP_SHARES, k=ballots):
        weights = camps[camp]
        # Weighted sampling without replacement: sort by u ** (1 / weight), largest first.
        order = sorted(
            range(options),
            key=lambda option: chooser.random() ** (1 / weights[option]),
            reverse=True,
        )
        length = chooser.choices(lengths, weights=LENGTHS[:options])[0]
        rankings[tuple(order[:length])] += 1
    return rankings
