"""Running Votr as in production, for the tests that start its real processes (manage.py,
gunicorn, the Procfile under honcho): a clean production environment, free ports, plain HTTP to
the web process as a router speaks it, and the processes a test started."""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "a-production-secret-that-is-long-and-random-enough-" + "0123456789abcdef"
# Every variable that could make a subprocess differ from a clean production environment.
CONFIG_VARIABLES = {
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SITE_URL",
    "DATABASE_URL",
    "RABBIT_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_TX_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_DEFAULT_QUEUE",
    "REDIS_URL",
    "PORT",
    "WEB_CONCURRENCY",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
TEN_YEARS = "max-age=315360000, public, immutable"


def production_environment(**extra) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in CONFIG_VARIABLES}
    required = {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_SITE_URL": "https://votr.example.com"}
    return env | required | {"PYTHONUNBUFFERED": "1"} | extra


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (to tell a process from a later one with its pid), or
    None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root`, with its start time."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = {}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            started = process_start_time(child)
            if started is not None:
                found[child] = started
                stack.append(child)
    return found


def still_running(processes: dict[int, str]) -> list[int]:
    return [pid for pid, started in processes.items() if process_start_time(pid) == started]


class Web:
    """Plain HTTP to the web process, no redirects followed and no decoding, like a router."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method, path, headers=None, body=None, https=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            all_headers = {"Host": f"127.0.0.1:{self.port}"}
            if https:
                all_headers["X-Forwarded-Proto"] = "https"
            connection.request(method, path, body=body, headers=all_headers | (headers or {}))
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)


def wait_for(condition, *, timeout, interval=0.5, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextlib.contextmanager
def gunicorn(env: dict, log_path: Path) -> Iterator[Web]:
    """gunicorn with the project's gunicorn.conf.py and `env` (one worker unless it says
    otherwise) on a free port, its output in `log_path`. Yields once a static file's URL gets an
    answer (it needs no database: this waits for a booted worker, not for the database), and
    stops it afterwards."""
    port = free_port()
    env = {"WEB_CONCURRENCY": "1"} | env | {"PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "votr_project.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        web = Web(port)

        def serving():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{log_path.read_text()}")
            with contextlib.suppress(OSError):
                return web.get("/static/css/votr.css")[0] > 0
            return False

        wait_for(serving, timeout=60, interval=0.2, what=f"gunicorn to serve (log: {log_path})")
        yield web
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
