"""What the table measures, in its order: the reference views, votes, reads, the vote as raw
SQL, each a report Row made by bench/phases.py."""

from bench import load, phases, report, wrk
from bench.load import Dataset

# The page vote's CSRF cookie and form token: 32 characters, as Django's own secrets.
CSRF_SECRET = "benchcsrfsecret0123456789abcdefg"  # noqa: S105 (a scratch database's)


def reads(poll: int) -> list[tuple[str, str, bool]]:
    """(what, path, conditional): the reads measured with each dataset."""
    public_id = load.public_id(poll)
    return [
        ("home page", "/", False),
        (f'search "{load.COMMON_TERM}" (common)', f"/?q={load.COMMON_TERM}", False),
        (f'search "{load.RARE_TERM}" (rare)', f"/?q={load.RARE_TERM}", False),
        ("poll page", f"/polls/{public_id}/", False),
        ("results.json", f"/polls/{public_id}/results.json", True),
        ("GET /api/polls/", "/api/polls/", False),
        ("GET /api/polls/{id}/", f"/api/polls/{public_id}/", True),
    ]


def probe_requests(dataset: Dataset, *, votes: bool) -> list[dict]:
    requests = [{"name": path, "path": path} for path in ("/bench/ceiling/", "/bench/drf/bare/")]
    requests.append({"name": "/bench/drf/defaults/", "path": "/bench/drf/defaults/"})
    token = {"Authorization": f"Token {load.token(dataset.spare_users[1])}"}
    requests.append({"name": "drf token", "path": "/bench/drf/defaults/", "headers": token})
    for _, path, conditional in reads(1):
        requests.append({"name": path, "path": path})
        if conditional:
            requests.append({"name": f"{path} 304", "path": path, "conditional": True})
    if votes:
        spare, option = load.public_id(dataset.spare), load.option_ids(dataset.spare)[0]
        requests.append(
            {
                "name": "api vote",
                "method": "post",
                "path": f"/api/polls/{spare}/votes/",
                "json": {"option": option},
                "headers": token,
            }
        )
        requests.append(
            {
                "name": "page vote",
                "method": "post",
                "path": f"/polls/{spare}/vote",
                "form": {"option": option},
                "login": dataset.spare_users[0],
            }
        )
    return requests


def warm_up(ctx: phases.Context, seconds: int, *, votes: bool) -> None:
    """Every path once under load, so each worker has its connections, templates and code
    paths ready; votes go to a hot poll no figure uses."""
    paths = ["/bench/ceiling/", "/bench/drf/defaults/"] + [path for _, path, _ in reads(1)]
    for path in paths:
        wrk.wrk(
            ctx.server.url + path, "get.lua", connections=8, threads=ctx.threads, seconds=seconds
        )
    if votes:
        phases.api_vote_row(ctx, "warm-up", [ctx.dataset.hot(5)], 8, seconds=seconds)


def read_rows(ctx: phases.Context, suffix: str) -> list[report.Row]:
    rows = []
    for what, path, conditional in reads(1):
        rows.append(phases.get_row(ctx, what + suffix, path))
        if conditional:
            rows.append(phases.conditional_row(ctx, f"{what}, 304{suffix}", path))
    return rows


def big_rows(ctx: phases.Context, *, sessions: int) -> list[report.Row]:
    data, token = ctx.dataset, {"Authorization": f"Token {load.token(ctx.dataset.users)}"}
    rows = [
        phases.get_row(
            ctx, "plain Django view through Votr's middleware (the ceiling)", "/bench/ceiling/"
        ),
        phases.get_row(ctx, "trivial DRF view, no auth or throttles", "/bench/drf/bare/"),
        phases.get_row(
            ctx, "trivial DRF view, default auth and throttles, anonymous", "/bench/drf/defaults/"
        ),
        phases.get_row(
            ctx,
            "trivial DRF view, default auth and throttles, token",
            "/bench/drf/defaults/",
            headers=token,
            key="drf token",
        ),
    ]
    report.progress("ceiling and DRF views measured")
    vote = "`POST /api/polls/{id}/votes/`"
    for index, connections in enumerate((8, 32)):
        rows.append(
            phases.api_vote_row(ctx, f"{vote}, one hot poll", [data.hot(index)], connections)
        )
        rows.append(
            phases.api_vote_row(
                ctx, f"{vote}, spread over {load.SPREAD:,} polls", data.spread(index), connections
            )
        )
    rows.append(phases.page_vote_row(ctx, [data.hot(2)], sessions, CSRF_SECRET))
    report.progress("votes measured")
    rows += read_rows(ctx, f" ({data.polls:,} polls)")
    # Far from the first, on a busy machine: the table's ratios are only as good as these agree.
    again = phases.get_row(ctx, "the ceiling again, after the votes and reads", "/bench/ceiling/")
    report.progress("reads measured")
    return [*rows, again]


def pgbench_rows(ctx: phases.Context) -> list[report.Row]:
    data, what = ctx.dataset, "the vote as raw SQL (pgbench)"
    rows = []
    for index, clients in enumerate((8, 32)):
        rows.append(
            phases.pgbench_row(ctx, f"{what}, one hot poll", [data.hot(3 + index)], clients)
        )
        rows.append(
            phases.pgbench_row(
                ctx, f"{what}, spread over {load.SPREAD:,} polls", data.spread(2 + index), clients
            )
        )
    return rows
