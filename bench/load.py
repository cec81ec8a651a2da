"""The benchmark's data, written with set-based SQL (generate_series), not the ORM row by row.

Users `bench<i>` (id i) with DRF tokens `bench` + i on 35 digits; polls `p` + id on 10 digits,
each with 4 options whose ids are 4 (id - 1) + 1 ... 4 id, so the wrk scripts and pgbench name
any voter, poll and option without a lookup. Poll 1 is the popular poll the reads look at; the
other ballots spread over the older polls; the newest `reserved` polls have no ballots and are
the vote runs' targets (each run its own polls, so no (voter, poll) pair is ever used twice).
Counters (Option.votes, Poll.ballot_count) are computed from the rows, as the services keep
them. A dataset is reused while its fingerprint (sizes, this file, the migrations) matches and
it is fresh; the vote targets are emptied before each run.
"""

import hashlib
from dataclasses import asdict, dataclass
from math import gcd
from pathlib import Path

from polls.labels import label_key

SPREAD = 1_000  # polls in a "spread" vote run
OPTION_LABELS = ("Yes", "No", "Maybe", "Not sure")
PASSWORD = "!bench-unusable-password"  # noqa: S105 (no one logs in with it: sessions are made)
COMMON_TERM = "best"  # in half the titles
RARE_TERM = "zanzibar"  # in a few titles
REUSE_HOURS = 6  # poll times are relative to the load; older data has drifted closed
VOTER_STEP = 104_729  # a prime: a poll's k-th voter is distinct for every k < users


@dataclass(frozen=True)
class Dataset:
    polls: int
    ballots: int
    users: int
    popular: int  # ballots in poll 1
    reserved: int  # newest polls left without ballots, for the vote runs

    @property
    def first_target(self) -> int:
        return self.polls - self.reserved + 1

    def hot(self, index: int) -> int:
        """The index-th hot poll (one poll takes every vote of a run)."""
        assert index < 9
        return self.first_target + 1 + index

    def spread(self, index: int) -> list[int]:
        """The index-th set of SPREAD polls."""
        start = self.first_target + 10 + index * SPREAD
        assert start + SPREAD - 1 <= self.polls
        return list(range(start, start + SPREAD))

    @property
    def spare(self) -> int:
        """A target poll no run uses (the query counts vote in it)."""
        return self.first_target

    @property
    def spare_users(self) -> tuple[int, int]:
        """Two users no run votes as (the query counts vote as them)."""
        return self.users - 1, self.users

    @property
    def voters(self) -> int:
        """Users 1 to voters vote in the wrk runs."""
        return self.users - 2


def public_id(poll: int) -> str:
    return f"p{poll:010d}"


def option_ids(poll: int) -> list[int]:
    return [4 * (poll - 1) + k for k in range(1, len(OPTION_LABELS) + 1)]


def token(user: int) -> str:
    return f"bench{user:035d}"


def session_key(user: int) -> str:
    return f"benchsession{user:020d}"


def write_targets(path: Path, polls: list[int]) -> Path:
    """The file the wrk vote scripts read: public id and option ids of each poll."""
    lines = (" ".join([public_id(poll), *map(str, option_ids(poll))]) for poll in polls)
    path.write_text("\n".join(lines) + "\n")
    return path


def fingerprint(connection, dataset: Dataset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = cursor.fetchall()
    text = repr((asdict(dataset), Path(__file__).read_bytes(), migrations))
    return hashlib.sha256(text.encode()).hexdigest()


def ensure(connection, dataset: Dataset, *, force: bool = False) -> bool:
    """Load `dataset` unless it is there already; empty the vote targets either way. True when
    it was loaded."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (fingerprint text, loaded_at timestamptz)"
        )
        cursor.execute(
            "SELECT 1 FROM bench_meta WHERE fingerprint = %s"
            " AND loaded_at > now() - %s * interval '1 hour'",
            [fingerprint(connection, dataset), REUSE_HOURS],
        )
        fresh = cursor.fetchone() is not None
    connection.commit()
    if force or not fresh:
        _load(connection, dataset)
    else:
        _reset(connection, dataset)
    return force or not fresh


def _run(connection, statements: list[str], params: dict) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


def _load(connection, dataset: Dataset) -> None:
    if (
        dataset.popular > min(dataset.ballots, dataset.users - 1)
        or gcd(VOTER_STEP, dataset.users) > 1
    ):
        raise ValueError(
            f"{dataset}: popular > ballots or users, or users share a factor with {VOTER_STEP}"
        )
    params = asdict(dataset) | {
        "password": PASSWORD,
        "labels": list(OPTION_LABELS),
        "keys": [label_key(label) for label in OPTION_LABELS],
        "others": max(1, dataset.first_target - 2),  # polls 2 .. first_target - 1
        "rare_every": max(dataset.polls // 10, 50),
        "step": VOTER_STEP,
    }
    # Every constraint and trigger runs as for any write (the poll counter's included).
    _run(connection, LOAD_SQL, params)
    with connection.cursor() as cursor:
        for table in ("polls_user", "polls_poll", "polls_option", "polls_ballot", "polls_choice"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT greatest(max(id), 1) FROM {table}))"
            )
        cursor.execute("DELETE FROM bench_meta")
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, now())", [fingerprint(connection, dataset)]
        )
    connection.commit()
    _vacuum(connection)
    _reset(connection, dataset)


def _reset(connection, dataset: Dataset) -> None:
    """Empty the vote targets (ballots, counters), sessions and the pgbench voter sequence."""
    _run(connection, RESET_SQL, {"first_target": dataset.first_target, "users": dataset.users})
    connection.commit()
    _vacuum(connection)


def _vacuum(connection) -> None:
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) polls_user, polls_poll, polls_option, polls_ballot")
        cursor.execute("VACUUM (ANALYZE) polls_choice, authtoken_token, django_session")
    connection.autocommit = False


LOAD_SQL = [
    "TRUNCATE polls_choice, polls_ballot, polls_option, polls_poll, authtoken_token,"
    " django_session, polls_user RESTART IDENTITY CASCADE",
    """INSERT INTO polls_user (id, password, is_superuser, username, first_name, last_name,
        email, is_staff, is_active, date_joined, activation_pending)
    SELECT i, %(password)s, false, 'bench' || i, '', '', 'bench' || i || '@example.com', false,
        true, now() - interval '100 days', false
    FROM generate_series(1, %(users)s) i""",
    """INSERT INTO authtoken_token (key, created, user_id)
    SELECT 'bench' || lpad(i::text, 35, '0'), now() - interval '100 days', i
    FROM generate_series(1, %(users)s) i""",
    # Created over the last 40 days, newest last; open for 1 to 30 days (targets: 30); the
    # polls whose time is up are closed (and their authors told).
    """INSERT INTO polls_poll (id, public_id, title, author_id, created_at, closes_at,
        closed_at, close_notified_at, ballot_count, revision)
    SELECT i, 'p' || lpad(i::text, 10, '0'),
        (CASE WHEN i %% 2 = 0 THEN 'Best ' ELSE 'Favourite ' END)
        || (ARRAY['pizza topping', 'programming language', 'holiday spot', 'board game',
            'film of the year', 'team name', 'meeting day', 'coffee', 'book club pick',
            'office plant', 'hiking trail', 'podcast', 'lunch place', 'band', 'text editor',
            'city for the offsite', 'garden flower'])[1 + i %% 17]
        || (CASE WHEN i %% %(rare_every)s = 7 THEN ' in Zanzibar' ELSE '' END)
        || ' for ' || (ARRAY['spring', 'summer', 'autumn', 'winter', 'the team', 'Friday',
            'the launch', 'next year', 'the holidays', 'kids', 'beginners', 'experts',
            'the weekend'])[1 + i %% 13],
        1 + i %% least(%(users)s, 1000), created, closes,
        CASE WHEN closes <= now() THEN closes END, CASE WHEN closes <= now() THEN closes END,
        0, 0
    FROM (
        SELECT i, created, created + CASE WHEN i >= %(polls)s - %(reserved)s + 1
            THEN 30 ELSE 1 + (i * 13) %% 30 END * interval '1 day' AS closes
        FROM (SELECT i, now() - (%(polls)s - i) * interval '40 days' / %(polls)s
                - interval '1 minute' AS created
            FROM generate_series(1, %(polls)s) i) created
    ) timed""",
    """INSERT INTO polls_option (id, label, label_key, position, votes, poll_id)
    SELECT 4 * (p.id - 1) + k, (%(labels)s::text[])[k], (%(keys)s::text[])[k], k, 0, p.id
    FROM polls_poll p CROSS JOIN generate_series(1, 4) k""",
    # Ballot n: the first `popular` are poll 1's; the others go round polls 2 .. first_target-1,
    # the k-th round by voter 1 + (poll * 7919 + k * VOTER_STEP) mod users.
    """INSERT INTO polls_ballot (id, cast_at, voter_id, identity, poll_id)
    SELECT n + 1, cast_at, voter, 'user:' || voter, poll
    FROM (
        SELECT g.n, p.created_at + (1 + g.n %% 600) * interval '1 second' AS cast_at, g.poll,
            CASE WHEN g.n < %(popular)s THEN g.n + 1
                ELSE 1 + (g.poll * 7919 + ((g.n - %(popular)s) / %(others)s) * %(step)s)
                    %% %(users)s END AS voter
        FROM (
            SELECT n::bigint, CASE WHEN n < %(popular)s THEN 1
                ELSE 2 + (n - %(popular)s) %% %(others)s END AS poll
            FROM generate_series(0, %(ballots)s - 1) n
        ) g JOIN polls_poll p ON p.id = g.poll
    ) ballots""",
    # The option a ballot marks, by (voter + ballot id) mod 10: the first options are popular.
    # No rank: these are chosen ballots, not ranked ones.
    """INSERT INTO polls_choice (id, rank, ballot_id, option_id, poll_id)
    SELECT b.id, NULL, b.id,
        4 * (b.poll_id - 1) + (ARRAY[1, 1, 1, 1, 2, 2, 2, 3, 3, 4])[1 + (b.voter_id + b.id) %% 10],
        b.poll_id
    FROM polls_ballot b""",
    """UPDATE polls_option o SET votes = c.n
    FROM (SELECT option_id, count(*) AS n FROM polls_choice GROUP BY option_id) c
    WHERE o.id = c.option_id""",
    """UPDATE polls_poll p SET ballot_count = c.n, revision = c.n
    FROM (SELECT poll_id, count(*) AS n FROM polls_ballot GROUP BY poll_id) c
    WHERE p.id = c.poll_id""",
]

RESET_SQL = [
    # Choices go with their ballots (ON DELETE CASCADE in the database).
    "DELETE FROM polls_ballot WHERE poll_id >= %(first_target)s",
    "UPDATE polls_option SET votes = 0 WHERE poll_id >= %(first_target)s AND votes <> 0",
    "UPDATE polls_poll SET ballot_count = 0, revision = 0"
    " WHERE id >= %(first_target)s AND (ballot_count <> 0 OR revision <> 0)",
    "TRUNCATE django_session",
    "DROP SEQUENCE IF EXISTS bench_voter",
    # pgbench's voters (bench/sql/vote.sql): restarted before each run, never wrapping round.
    "CREATE SEQUENCE bench_voter MINVALUE 1 MAXVALUE %(users)s",
]
