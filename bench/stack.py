"""The production stack the benchmark drives: its environment, its PostgreSQL databases (created
and migrated), Redis, and gunicorn started as the Procfile starts it."""

import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "bench-only-secret-key-" + "0123456789abcdefghijklmnopqrstuvwxyz"
# High enough that no figure is ever throttled, low enough for limits.COUNT_SCALE (a window's
# count must stay under a million); the throttles still count every request.
UNTHROTTLED = "900000/minute"
THROTTLE_SCOPES = ("ANON", "USER", "VOTES", "SIGNUP", "POLL_CREATE", "PASSWORD_RESET")
# Variables that would make the web process differ from a clean production environment.
CLEARED = {
    "DATABASE_URL",
    "REDIS_URL",
    "PORT",
    "WEB_CONCURRENCY",
    "RABBIT_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_TX_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_DEFAULT_QUEUE",
}


def database_url(base: str, name: str) -> str:
    """`base` (a postgres:// URL) naming the database `name`."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def connect(url: str, *, dbname: str | None = None):
    parts = urlsplit(url)
    return psycopg2.connect(
        dbname=dbname or database_name(url),
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )


def web_environment(*, database: str, redis_url: str, port: int, workers: int) -> dict:
    """The web process's environment: production settings (debug off) plus what the benchmark
    needs (its reference views, plain HTTP, every throttle rate raised)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in CLEARED and not name.startswith("DJANGO_")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
    }
    env |= {f"DJANGO_THROTTLE_{scope}": UNTHROTTLED for scope in THROTTLE_SCOPES}
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, timeout=900
    )


def ensure_database(url: str) -> None:
    """Create the database `url` names when it is missing."""
    admin = connect(url, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        name = database_name(url)
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def flush_redis(url: str) -> None:
    """Empty the benchmark's Redis database (its throttle counts), and only that one."""
    redis.Redis.from_url(url, socket_timeout=5).flushdb()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers) of a GET, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own URL)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


class Gunicorn:
    """`gunicorn --config gunicorn.conf.py votr_project.wsgi`, as the Procfile's web process,
    with `extra_args` (worker class, threads: gunicorn's own flags) after the config file."""

    def __init__(self, env: dict, extra_args: list[str], log_path: Path):
        self.env = env
        self.port = int(env["PORT"])
        self.extra_args = extra_args
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py"]
        command += [*self.extra_args, "votr_project.wsgi"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}\n{self.tail()}")
            with contextlib.suppress(OSError):
                if get(f"{self.url}/bench/ceiling/", timeout=2)[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s\n{self.tail()}")

    def worker_rss(self) -> list[int]:
        """Resident memory, in bytes, of each worker process."""
        return [rss for pid in self._workers() if (rss := _rss(pid)) is not None]

    def _workers(self) -> list[int]:
        workers = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(stat[1]) == self.process.pid:
                        workers.append(int(entry.name))
        return workers

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _rss(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def machine(database_url: str, redis_url: str) -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    connection = connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    connection.close()
    memory = Path("/proc/meminfo").read_text().split()[1]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "postgresql": postgres,
        "redis": redis.Redis.from_url(redis_url).info("server")["redis_version"],
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
