"""Ranked ballots: their choices, and the count per distinct ranking that every ballot change
keeps in step (tallies.py reads it). A ranked ballot is counted on its first
preference's option counter only; its other choices hold ranks the counters do not see."""

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import F, Q

from ..models import Choice, RankingCount, ranking_key

# The choices that an option's counter holds: every choice of a chosen ballot (no rank), the
# first preference of a ranked one.
COUNTED_CHOICES = Q(rank__isnull=True) | Q(rank=1)

# One more ballot holding a ranking: the row is made by the first. Atomic in both databases,
# so concurrent first ballots of one ranking count twice, never once.
RANKING_ADD = """
    INSERT INTO polls_rankingcount (poll_id, ranking, ballots) VALUES (%s, %s, 1)
    ON CONFLICT (poll_id, ranking) DO UPDATE SET ballots = polls_rankingcount.ballots + 1
"""


def ranked_choices(*, ballot, poll_id: int, ranking: list[int]) -> list[Choice]:
    """The choices of a ranked ballot, rank 1 first (the order SQLite's gapless check needs)."""
    return [
        Choice(ballot=ballot, poll_id=poll_id, option_id=option, rank=rank)
        for rank, option in enumerate(ranking, start=1)
    ]


def ranking_count_add(*, poll_id: int, ranking: list[int]) -> None:
    """In the vote's transaction, after its options are locked: one more ballot of `ranking`."""
    with connection.cursor() as cursor:
        cursor.execute(RANKING_ADD, [poll_id, ranking_key(ranking)])


def ranking_counts_take_off(per_ranking: Counter) -> None:
    """Lower the counts of {(poll id, ranking key): ballots} (ballots changed or removed),
    in a fixed order so that two removals never wait on each other in a cycle."""
    for (poll_id, key), ballots in sorted(per_ranking.items()):
        RankingCount.objects.filter(poll_id=poll_id, ranking=key).update(
            ballots=F("ballots") - ballots
        )


def rankings_of(ballot_ids: Iterable[int]) -> Counter:
    """{(poll id, ranking key): ballots} of the ranked ballots among `ballot_ids`, in one query
    (to be taken off the counts before those ballots are deleted)."""
    return rankings_in(
        Choice.objects.filter(ballot_id__in=list(ballot_ids), rank__isnull=False).only(
            "ballot_id", "poll_id", "option_id", "rank"
        )
    )


def rankings_in(choices: Iterable[Choice]) -> Counter:
    """{(poll id, ranking key): ballots} of the ranked ballots whose `choices` these are (the
    chosen ones, without ranks, are left out)."""
    rankings: dict[int, tuple[int, dict[int, int]]] = {}
    for choice in choices:
        if choice.rank is not None:
            ranks = rankings.setdefault(choice.ballot_id, (choice.poll_id, {}))[1]
            ranks[choice.rank] = choice.option_id
    return Counter(
        (poll_id, ranking_key(ranks[rank] for rank in sorted(ranks)))
        for poll_id, ranks in rankings.values()
    )
