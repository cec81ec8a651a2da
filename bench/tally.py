"""The ranked tally at the issue's scale: 100,000 random partial rankings of 10 options, loaded
as one ranked poll's ranking counts (one row per distinct ranking, as the votes leave them),
then `services.ranked_tally` timed on it with nothing cached (a new revision each time), and
its parts: reading the rows, instant-runoff, the Condorcet view.

    python -m bench.tally    (run by bench/run.py, with the web process's environment)

The poll is unlisted and deleted again before the figure is printed, so the other figures never
see it. Prints TALLY_JSON {"loaded", "ballots" (as the tally counted them), "options", "distinct",
"seconds", "read", "irv", "condorcet" (the fastest of REPEATS calls), "queries", "rounds",
"winners", "condorcet_winner"}.
"""

import json
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.rankings import OPTIONS, random_rankings  # noqa: E402
from polls import services  # noqa: E402
from polls.labels import label_key  # noqa: E402
from polls.models import Option, Poll, ranking_key  # noqa: E402
from polls.services import tallies  # noqa: E402

REPEATS = 3  # the best of these is the figure
PUBLIC_ID = "bench-tally"


def load(rankings: Counter[tuple[int, ...]], options: int = OPTIONS) -> Poll:
    """A ranked poll (open, unlisted) holding `rankings` as its ranking counts, its option
    counters and ballot count as the votes would leave them (it has no ballot rows: a tally
    never reads them). The ranking counts go in as one INSERT."""
    ballots = sum(rankings.values())
    first = Counter()
    for ranking, count in rankings.items():
        first[ranking[0]] += count
    with transaction.atomic():
        Poll.objects.filter(public_id=PUBLIC_ID).delete()  # left by a run that died
        poll = Poll.objects.create(
            public_id=PUBLIC_ID,
            title="Which of ten options? (the benchmark's ranked tally)",
            author_id=1,
            created_at=timezone.now() - timedelta(days=100),
            closes_at=timezone.now() + timedelta(days=30),
            voting_method="ranked",
            unlisted=True,
            ballot_count=ballots,
            revision=ballots,
        )
        labels = [f"Option {n}" for n in range(1, options + 1)]
        created = Option.objects.bulk_create(
            Option(poll=poll, label=label, label_key=label_key(label), position=n, votes=first[n])
            for n, label in enumerate(labels)
        )
        ids = [option.pk for option in created]
        keys = [ranking_key(ids[index] for index in ranking) for ranking in rankings]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO polls_rankingcount (poll_id, ranking, ballots)"
                " SELECT %s, ranking, ballots FROM unnest(%s::text[], %s::int[])"
                " AS counts (ranking, ballots)",
                [poll.pk, keys, list(rankings.values())],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE polls_rankingcount")
    return poll


def timed(poll: Poll) -> dict:
    """`services.ranked_tally` with nothing cached, REPEATS times, and where its time went: the
    read of the ranking counts, instant-runoff and the Condorcet view, timed inside the same
    call (tallies' own functions wrapped while it runs). The fastest call is the figure."""
    runs = []
    for _ in range(REPEATS):
        # A new revision: the tally cached for the last one is not this one's.
        Poll.objects.filter(pk=poll.pk).update(revision=F("revision") + 1)
        fresh = Poll.objects.with_results().get(pk=poll.pk)
        spent: dict[str, float] = {}
        with (
            CaptureQueriesContext(connection) as queries,
            timing(spent, "read", "_rankings"),
            timing(spent, "irv", "instant_runoff"),
            timing(spent, "condorcet", "condorcet"),
        ):
            started = time.perf_counter()
            tally = services.ranked_tally(poll=fresh)
            spent["seconds"] = time.perf_counter() - started
        runs.append(spent)
    fastest = min(runs, key=lambda spent: spent["seconds"])
    return fastest | {
        "loaded": poll.ballot_count,
        "ballots": tally.ballots,
        "options": len(fresh.options.all()),
        "distinct": len(tallies._rankings(poll.pk)),
        "repeats": REPEATS,
        "queries": len(queries),
        "rounds": len(tally.irv.rounds),
        "winners": list(tally.winners),
        "condorcet_winner": tally.condorcet.winner,
    }


@contextmanager
def timing(spent: dict, what: str, name: str):
    """While it is open, `spent[what]` adds up the time of polls.services.tallies' `name`."""
    function = getattr(tallies, name)

    def timed_call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[what] = spent.get(what, 0.0) + time.perf_counter() - started

    with mock.patch.object(tallies, name, timed_call):
        yield


def main() -> None:
    poll = load(random_rankings())
    try:
        figure = timed(poll)
    finally:
        Poll.objects.filter(pk=poll.pk).delete()
    print("TALLY_JSON " + json.dumps(figure))


if __name__ == "__main__":
    main()
