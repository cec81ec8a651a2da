"""Each figure of the table: a wrk or pgbench run, checked (statuses, and for votes the
counters against the ballot rows and the answers), as a report Row."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench import load, stack, wrk
from bench.report import Row, lost_and_doubled

PAGE_VOTE = "page vote (form POST, 302, then the poll page)"


@dataclass
class Context:
    env: dict  # the web process's environment (its DATABASE_URL: the database measured)
    connection: object  # psycopg2, autocommit, to that database
    dataset: load.Dataset
    seconds: int
    threads: int  # wrk threads (at most one per connection)
    work_dir: Path
    queries: dict = field(default_factory=dict)  # bench/probe.py's answer
    server: stack.Gunicorn | None = None


def _problems(measurement: wrk.Measurement, expected: set[str]) -> list[str]:
    problems = [
        f"{n} × {status}"
        for status, n in sorted(measurement.statuses.items())
        if status not in expected
    ]
    problems += [f"{n} socket {kind} errors" for kind, n in measurement.errors.items()]
    if not measurement.requests:
        problems.append("no answers")
    return problems


def _queries(ctx: Context, key: str) -> int | None:
    return (ctx.queries.get(key) or {}).get("queries")


def get_row(
    ctx: Context,
    what: str,
    path: str,
    *,
    headers: dict | None = None,
    expect: str = "200",
    key: str | None = None,
    connections: int = 8,
) -> Row:
    args = [f"{name}: {value}" for name, value in (headers or {}).items()]
    measurement = wrk.wrk(
        ctx.server.url + path,
        "get.lua",
        connections=connections,
        threads=min(ctx.threads, connections),
        seconds=ctx.seconds,
        args=args,
    )
    return Row(
        what,
        connections,
        measurement.rate,
        measurement.p50_ms,
        measurement.p99_ms,
        queries=_queries(ctx, key or path),
        problems=_problems(measurement, {expect}),
        details={"statuses": measurement.statuses, "requests": measurement.requests},
    )


def conditional_row(ctx: Context, what: str, path: str) -> Row:
    """The 304 of `path` with the ETag it answers with now; "n/a" when it sends none."""
    status, headers = stack.get(ctx.server.url + path)
    etag = headers.get("ETag") if status == 200 else None
    if etag is None:
        return Row(what, 8, None, None, None, note="n/a: no ETag in the answer")
    row = get_row(ctx, what, path, headers={"If-None-Match": etag}, expect="304", key=f"{path} 304")
    row.details["etag"] = etag
    return row


def counts(connection, polls: list[int]) -> dict[str, int]:
    """What the database counted in `polls`: ballot rows, choice rows, the options' counters and
    the polls' ballot counts."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM polls_ballot WHERE poll_id = ANY(%(p)s)),"
            " (SELECT count(*) FROM polls_choice WHERE poll_id = ANY(%(p)s)),"
            " (SELECT coalesce(sum(votes), 0) FROM polls_option WHERE poll_id = ANY(%(p)s)),"
            " (SELECT coalesce(sum(ballot_count), 0) FROM polls_poll WHERE id = ANY(%(p)s))",
            {"p": polls},
        )
        ballots, choices, votes, ballot_counts = cursor.fetchone()
    return {
        "ballots": ballots,
        "choices": choices,
        "option votes": int(votes),
        "ballot_count": int(ballot_counts),
    }


def settled_counts(connection, polls: list[int], timeout: float = 15) -> dict[str, int]:
    """counts() once requests cut off by the end of a run have finished in the web process."""
    previous, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = counts(connection, polls)
        if current == previous:
            break
        previous = current
        time.sleep(0.5)
    return previous


def _vote_row(
    what: str,
    connections: int,
    measurement: wrk.Measurement,
    *,
    answered_key: str,
    counted: dict,
    in_flight: int,
    problems: list[str],
    queries: int | None,
    note: str = "",
) -> Row:
    answered = measurement.statuses.get(answered_key, 0)
    lost, doubled = lost_and_doubled(answered=answered, counted=counted, in_flight=in_flight)
    if lost or doubled:
        problems.append(f"counted {counted} for {answered} answers")
    notes = [f"lost: {lost}, doubled: {doubled}"]
    if in_flight:
        notes.append(f"{in_flight} cut off by the end of the run")
    return Row(
        what,
        connections,
        measurement.rate_of(answered_key),
        measurement.p50_ms,
        measurement.p99_ms,
        unit="votes/s",
        queries=queries,
        note="; ".join([*notes, note] if note else notes),
        problems=problems,
        details={
            "statuses": measurement.statuses,
            "counted": counted,
            "answered": answered,
            "in_flight": in_flight,
            "lost": lost,
            "doubled": doubled,
        },
    )


def _vote_run(
    ctx: Context,
    script: str,
    polls: list[int],
    connections: int,
    threads: int,
    users: int,
    extra: list[str] = (),
    seconds: int | None = None,
) -> tuple[wrk.Measurement, dict]:
    targets = load.write_targets(ctx.work_dir / f"targets-{polls[0]}.txt", polls)
    measurement = wrk.wrk(
        ctx.server.url + "/",
        script,
        connections=connections,
        threads=threads,
        seconds=seconds or ctx.seconds,
        args=[str(targets), "1", str(users), str(threads), *extra],
    )
    return measurement, settled_counts(ctx.connection, polls)


def api_vote_row(
    ctx: Context, what: str, polls: list[int], connections: int, seconds: int | None = None
) -> Row:
    threads = min(ctx.threads, connections)
    measurement, counted = _vote_run(
        ctx, "api_vote.lua", polls, connections, threads, ctx.dataset.voters, seconds=seconds
    )
    return _vote_row(
        what,
        connections,
        measurement,
        answered_key="201",
        counted=counted,
        in_flight=measurement.in_flight,
        problems=_problems(measurement, {"201"}),
        queries=_queries(ctx, "api vote"),
    )


def page_vote_row(ctx: Context, polls: list[int], sessions: int, csrf: str) -> Row:
    connections = 8  # one per wrk thread: each answer belongs to its thread's last request
    measurement, counted = _vote_run(
        ctx, "page_vote.lua", polls, connections, connections, sessions, [csrf]
    )
    return _vote_row(
        PAGE_VOTE,
        connections,
        measurement,
        answered_key="POST 302",
        counted=counted,
        in_flight=measurement.in_flight,
        problems=_problems(measurement, {"POST 302", "GET 200"}),
        queries=_queries(ctx, "page vote"),
        note="latency per request (POST or GET); queries of the POST",
    )


def pgbench_row(ctx: Context, what: str, polls: list[int], clients: int) -> Row:
    with ctx.connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE bench_voter RESTART")
    url = ctx.env["DATABASE_URL"]
    parts = urlsplit(url)
    connection = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username,
        "password": parts.password,
        "dbname": stack.database_name(url),
    }
    measurement = wrk.pgbench(
        connection,
        "vote.sql",
        clients=clients,
        seconds=ctx.seconds,
        variables={"first": polls[0], "count": len(polls)},
    )
    assert polls == list(range(polls[0], polls[0] + len(polls)))
    return _vote_row(
        what,
        clients,
        measurement,
        answered_key="committed",
        counted=counts(ctx.connection, polls),
        in_flight=0,
        problems=[f"{n} {kind} transactions" for kind, n in measurement.errors.items()],
        queries=5,
        note="pgbench: the vote's 5 statements between BEGIN and COMMIT",
    )
