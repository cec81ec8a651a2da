"""Load from a separate process: wrk (HTTP, with the Lua scripts in bench/lua/) and pgbench (the
vote as raw SQL), each run turned into one Measurement."""

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
SQL_DIR = Path(__file__).resolve().parent / "sql"
TIMEOUT_SECONDS = 10  # wrk's per-request timeout; gunicorn's own is 25 s


@dataclass
class Measurement:
    """One load run: completed requests (or transactions) over its duration, their latency, and
    what the answers were."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def rate_of(self, key: str) -> float:
        return self.statuses.get(key, 0) / self.seconds if self.seconds else 0.0

    @property
    def in_flight(self) -> int:
        """Requests sent but never answered: cut off by the end of the run, or timed out."""
        return max(0, self.sent - self.requests)


def parse_wrk(output: str) -> Measurement:
    """The Measurement in the BENCH_JSON line bench/lua/common.lua prints."""
    match = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no results:\n{output[-2000:]}")
    data = json.loads(match.group(1))
    return Measurement(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses=data["statuses"],
        sent=data["sent"],
        errors={name: n for name, n in data["errors"].items() if n},
    )


def wrk(
    url: str,
    script: str,
    *,
    connections: int,
    threads: int,
    seconds: float,
    args: list[str] = (),
) -> Measurement:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += [f"--timeout={TIMEOUT_SECONDS}s", "-s", str(LUA_DIR / script), url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def pgbench_latencies(log_dir: Path) -> list[float]:
    """Each transaction's latency in milliseconds, from pgbench's --log files (the third field
    of each line is the latency in microseconds)."""
    latencies = []
    for path in log_dir.iterdir():
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                latencies.append(int(fields[2]) / 1000)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def pgbench(
    connection: dict, script: str, *, clients: int, seconds: float, variables: dict
) -> Measurement:
    """`script` (bench/sql/) from `clients` connections, prepared statements, no vacuum."""
    executable = shutil.which("pgbench")
    if executable is None:
        raise RuntimeError("pgbench is not installed (Debian: the postgresql package)")
    with tempfile.TemporaryDirectory(prefix="votr-pgbench-") as log_dir:
        command = [executable, "-n", "-M", "prepared", f"-c{clients}", f"-j{min(clients, 2)}"]
        command += [f"-T{max(1, round(seconds))}", "-f", str(SQL_DIR / script)]
        command += ["-l", f"--log-prefix={log_dir}/tx"]
        command += [f"-D{name}={value}" for name, value in variables.items()]
        command += ["-h", connection["host"], "-p", str(connection["port"])]
        command += ["-U", connection["user"], connection["dbname"]]
        env = {"PGPASSWORD": connection["password"]} if connection.get("password") else {}
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            env={"PATH": "/usr/bin:/bin"} | env,
        )
        if done.returncode:
            raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr}")
        latencies = pgbench_latencies(Path(log_dir))
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    duration = re.search(r"duration: (\d+) s", done.stdout)
    return Measurement(
        requests=len(latencies),
        seconds=float(duration.group(1)) if duration else seconds,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        statuses={"committed": len(latencies)},
        sent=len(latencies),
        errors={"failed": int(failed.group(1))} if failed and int(failed.group(1)) else {},
    )
