"""Votr's benchmark: the production stack under wrk and pgbench, one table of figures.

    .venv/bin/python bench/run.py            # the full run (bench/README.md has its table)
    .venv/bin/python bench/run.py --quick    # a few seconds per figure, smaller data (CI)

Needs PostgreSQL, Redis, wrk and pgbench (Debian packages wrk and postgresql). See bench/README.md.
Exits 1 when a figure is wrong (an unexpected status, a vote lost or doubled), never because a
figure is slow.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures, load, phases, report, stack  # noqa: E402
from bench.load import Dataset  # noqa: E402


@dataclass(frozen=True)
class Mode:
    big: Dataset
    small: Dataset
    seconds: int  # per figure
    warmup: int  # per path, after each start of gunicorn
    sessions: int  # signed-in users for the page vote


SMALL = Dataset(polls=100, ballots=1_000, users=1_000, popular=100, reserved=0)
RESERVED = 10 + 4 * load.SPREAD  # hot polls, the spare poll and four spread sets
MODES = {
    "full": Mode(
        Dataset(
            polls=100_000, ballots=1_000_000, users=200_000, popular=100_000, reserved=RESERVED
        ),
        SMALL,
        seconds=15,
        warmup=2,
        sessions=40_000,
    ),
    "quick": Mode(
        Dataset(polls=10_000, ballots=100_000, users=20_000, popular=10_000, reserved=RESERVED),
        SMALL,
        seconds=3,
        warmup=1,
        sessions=8_000,
    ),
}


def django_command(env: dict, module: str, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=stack.BASE_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def probe(env: dict, requests: list[dict]) -> dict:
    output = django_command(env, "bench.probe", stdin=json.dumps(requests))
    line = next(line for line in output.splitlines() if line.startswith("PROBE_JSON "))
    return json.loads(line.removeprefix("PROBE_JSON "))


def ranked_tally(env: dict) -> report.Row:
    """The ranked tally of 100,000 ballots (bench/tally.py), in a process of its own."""
    output = django_command(env, "bench.tally")
    line = next(line for line in output.splitlines() if line.startswith("TALLY_JSON "))
    return report.tally_row(json.loads(line.removeprefix("TALLY_JSON ")))


def prepare(url: str, env: dict, dataset: Dataset, *, force: bool) -> None:
    stack.ensure_database(url)
    stack.manage(env, "migrate", "--no-input", "-v0")
    connection = stack.connect(url)
    loaded = load.ensure(connection, dataset, force=force)
    connection.close()
    report.progress(f"{stack.database_name(url)}: {'loaded' if loaded else 'reused'} {dataset}")


def serve(env: dict, gunicorn_args: list[str], log: Path) -> stack.Gunicorn:
    server = stack.Gunicorn(env, gunicorn_args, log)
    server.start()
    return server


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per figure (CI)")
    parser.add_argument("--seconds", type=int, help="per figure (default: 15, quick 3)")
    parser.add_argument("--workers", type=int, default=3, help="WEB_CONCURRENCY (default 3)")
    parser.add_argument("--worker-class", help="gunicorn --worker-class (default: the config's)")
    parser.add_argument("--threads", type=int, help="gunicorn --threads (default: the config's)")
    parser.add_argument("--reload", action="store_true", help="load the data again")
    parser.add_argument("--json", type=Path, help="default: bench/results/<full|quick>.json")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/votr_bench"
        ),
        help="the scratch database ($BENCH_DATABASE_URL); <name>_small holds 100 polls",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        help="a Redis database the benchmark may empty ($BENCH_REDIS_URL)",
    )
    return parser.parse_args(argv)


def measure(ctx: phases.Context, mode: Mode, gunicorn_args: list[str], small: dict):
    """Every figure: the big dataset over HTTP, then pgbench, then the small dataset's reads.
    Returns the rows and the workers' resident memory after the big dataset's run."""
    log = ctx.work_dir / "gunicorn.log"
    try:
        ctx.server = serve(ctx.env, gunicorn_args, log)
        figures.warm_up(ctx, mode.warmup, votes=True)
        rows = figures.big_rows(ctx, sessions=mode.sessions)
        rss = ctx.server.worker_rss()
        ctx.server.stop()
        rows += figures.pgbench_rows(ctx)
        report.progress("pgbench measured")
        ctx.connection.close()
        ctx.connection = stack.connect(small["env"]["DATABASE_URL"])
        ctx.connection.autocommit = True
        ctx.env, ctx.dataset, ctx.queries = small["env"], mode.small, small["queries"]
        ctx.server = serve(ctx.env, gunicorn_args, log)
        figures.warm_up(ctx, mode.warmup, votes=False)
        what = f"the ceiling again, before the reads with {mode.small.polls:,} polls"
        rows.append(phases.get_row(ctx, what, "/bench/ceiling/"))
        rows += figures.read_rows(ctx, f" ({mode.small.polls:,} polls)")
        report.progress("reads with the small dataset measured")
    except Exception:
        if ctx.server:
            print(ctx.server.tail(), file=sys.stderr)
        raise
    finally:
        if ctx.server:
            ctx.server.stop()
        ctx.connection.close()
    megabytes = ", ".join(f"{size / 2**20:.0f}" for size in sorted(rss))
    what = "web worker memory (RSS) after the votes and reads"
    rows.append(report.Row(what, len(rss), None, None, None, note=f"{megabytes} MB"))
    return report.with_ratios(rows, rows[0].rate), rss


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    load_before = os.getloadavg()
    if load_before[0] > 0.5 * len(os.sched_getaffinity(0)):
        report.progress("the machine is busy: every figure shares its CPUs with that load")
    name = "quick" if args.quick else "full"
    mode = MODES[name]
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install wrk postgresql)")
    gunicorn_args = [f"--worker-class={args.worker_class}"] if args.worker_class else []
    gunicorn_args += [f"--threads={args.threads}"] if args.threads else []
    big_url = args.database_url
    small_url = stack.database_url(big_url, stack.database_name(big_url) + "_small")
    env = stack.web_environment(
        database=big_url, redis_url=args.redis_url, port=stack.free_port(), workers=args.workers
    )
    small_env = env | {"DATABASE_URL": small_url}
    django_command(env, "bench.static")
    prepare(big_url, env, mode.big, force=args.reload)
    prepare(small_url, small_env, mode.small, force=args.reload)
    django_command(env, "bench.sessions", "1", str(mode.sessions))
    queries = probe(env, figures.probe_requests(mode.big, votes=True))
    small_queries = probe(small_env, figures.probe_requests(mode.small, votes=False))
    report.progress("databases ready, queries counted")
    tally = ranked_tally(env)
    report.progress(f"{tally.what}: {tally.note}")
    stack.flush_redis(args.redis_url)
    connection = stack.connect(big_url)
    connection.autocommit = True
    with tempfile.TemporaryDirectory(prefix="votr-bench-") as work_dir:
        ctx = phases.Context(
            env=env,
            connection=connection,
            dataset=mode.big,
            seconds=args.seconds or mode.seconds,
            threads=len(os.sched_getaffinity(0)),
            work_dir=Path(work_dir),
            queries=queries,
        )
        rows, rss = measure(ctx, mode, gunicorn_args, {"env": small_env, "queries": small_queries})
    rows.append(tally)
    meta = {
        "mode": name,
        "seconds_per_figure": ctx.seconds,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": stack.machine(big_url, args.redis_url),
        "data": {"big": asdict(mode.big), "small": asdict(mode.small)},
        "gunicorn": {
            "workers": args.workers,
            "args": gunicorn_args,
            "GUNICORN_CMD_ARGS": os.environ.get("GUNICORN_CMD_ARGS", ""),
        },
        "worker_rss_bytes": rss,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "wall_seconds": round(report.elapsed()),
    }
    path = args.json or stack.BASE_DIR / "bench" / "results" / f"{name}.json"
    report.write_json(path, rows=rows, meta=meta)
    print(report.markdown(rows))
    print(f"\n{tally.what}: {tally.note}")
    print(f"\n{json.dumps(meta['machine'])}\nwritten to {path} in {meta['wall_seconds']} s")
    broken = [row for row in rows if row.problems]
    for row in broken:
        print(f"WRONG: {row.what}: {'; '.join(row.problems)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
