"""Vote throughput and results-read cost, measured on a scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/votr_bench .venv/bin/python bench/votes.py

Creates and migrates the database named by DATABASE_URL (PostgreSQL: created if missing), then:
casts VOTES votes from THREADS threads on one poll and prints votes per second; reads the results
of a poll with 10 and with 1,000,000 counted votes and prints the time and queries of each.
"""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votr_project.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from polls import services  # noqa: E402
from polls.models import Option, Poll, User  # noqa: E402

VOTES = int(os.environ.get("VOTES", "2000"))
THREADS = int(os.environ.get("THREADS", "16"))


def ensure_database():
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return
    import psycopg2

    admin = psycopg2.connect(
        dbname="postgres", user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    admin.close()


def main():
    ensure_database()
    call_command("migrate", verbosity=0)
    Poll.objects.all().delete()
    User.objects.filter(username__startswith="bench").delete()
    author = User.objects.create_user("bench-author", "bench-author@example.com")
    poll = services.poll_create(author=author, title="Bench", option_labels=["A", "B", "C"])
    option_ids = list(poll.options.values_list("pk", flat=True))
    voters = User.objects.bulk_create(
        User(username=f"bench{n}", email=f"bench{n}@example.com") for n in range(VOTES)
    )

    def vote(n):
        try:
            services.vote_cast(poll=poll, voter=voters[n], option_id=option_ids[n % 3])
        finally:
            connections.close_all()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(vote, range(VOTES)))
    elapsed = time.perf_counter() - started
    counted = sum(poll.options.values_list("votes", flat=True))
    print(f"database: {connection.vendor}")
    rate = VOTES / elapsed
    print(f"votes: {VOTES} from {THREADS} threads in {elapsed:.2f} s = {rate:.0f} votes/s")
    print(f"counted: {counted} (expected {VOTES})")

    for votes_per_option in (3, 333_333):
        Option.objects.filter(poll=poll).update(votes=votes_per_option)
        best = float("inf")
        for _ in range(50):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk))
                best = min(best, time.perf_counter() - started)
        print(
            f"results of a poll with {results.total_votes:>9,} votes: "
            f"{best * 1000:.2f} ms, {len(queries)} queries"
        )
    Poll.objects.all().delete()
    User.objects.filter(username__startswith="bench").delete()


if __name__ == "__main__":
    main()
