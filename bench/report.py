"""The benchmark's one table: rows as Markdown (for the terminal and bench/README.md) and JSON."""

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

STARTED = time.monotonic()


@dataclass
class Row:
    what: str
    connections: int
    rate: float | None  # None: not measured (the note says why)
    p50_ms: float | None
    p99_ms: float | None
    unit: str = "req/s"
    ratio: float | None = None  # of the ceiling's req/s, in the same run
    queries: int | None = None  # per request (None: not counted)
    note: str = ""
    problems: list[str] = field(default_factory=list)  # what makes the figure wrong
    details: dict = field(default_factory=dict)  # statuses, counts: for the JSON


def lost_and_doubled(*, answered: int, counted: dict[str, int], in_flight: int) -> tuple[int, int]:
    """Votes acknowledged (201, or the form's 302) that a counter or the ballot rows miss
    (lost), and votes counted beyond what was acknowledged (doubled). Requests cut off by the end
    of the run (`in_flight`) may or may not have been counted, so they are allowed as extra."""
    lost = max((answered - value for value in counted.values()), default=0)
    doubled = max((value - answered - in_flight for value in counted.values()), default=0)
    return max(lost, 0), max(doubled, 0)


def with_ratios(rows: list[Row], ceiling: float) -> list[Row]:
    for row in rows:
        row.ratio = row.rate / ceiling if ceiling and row.rate is not None else None
    return rows


def tally_row(figure: dict) -> Row:
    """The ranked tally's figure (bench/tally.py's answer) as a row: no rate, its seconds in
    the note; wrong when the tally did not count every ballot loaded."""
    what = (
        f"ranked tally, {figure['loaded']:,} ballots of {figure['options']} options"
        f" ({figure['distinct']:,} distinct rankings)"
    )
    note = (
        f"{figure['seconds']:.2f} s (IRV {figure['irv']:.2f} s + Condorcet"
        f" {figure['condorcet']:.2f} s + read {figure['read']:.2f} s); services.ranked_tally,"
        f" uncached, best of {figure['repeats']}; {figure['rounds']} rounds"
    )
    problems = []
    if figure["ballots"] != figure["loaded"]:
        problems.append(f"counted {figure['ballots']:,} ballots of {figure['loaded']:,}")
    return Row(
        what,
        1,
        None,
        None,
        None,
        queries=figure["queries"],
        note=note,
        problems=problems,
        details=figure,
    )


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def markdown(rows: list[Row]) -> str:
    lines = [
        "| What | conns | rate | p50 ms | p99 ms | × ceiling | queries | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.3f}"
        queries = "" if row.queries is None else str(row.queries)
        note = "; ".join(filter(None, [row.note, *row.problems]))
        measured = row.rate is not None
        rate = f"{_number(row.rate)} {row.unit}" if measured else ""
        p50, p99 = (_number(row.p50_ms), _number(row.p99_ms)) if measured else ("", "")
        lines.append(
            f"| {row.what} | {row.connections or ''} | {rate} | {p50} | {p99} | {ratio} "
            f"| {queries} | {note} |"
        )
    return "\n".join(lines)


def write_json(path: Path, *, rows: list[Row], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2) + "\n")


def elapsed() -> float:
    return time.monotonic() - STARTED


def progress(message: str) -> None:
    """A line on stderr: time since the start, the machine's load (1 minute), `message`."""
    load = os.getloadavg()[0]
    print(f"[{elapsed():6.1f} s, load {load:.1f}] {message}", file=sys.stderr, flush=True)
