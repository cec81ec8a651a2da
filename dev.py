#!/usr/bin/env python3
"""Run or test Votr on a fresh clone with nothing but Python 3.11+ (standard library only).

    python3 dev.py run    # set up .venv, migrate, load demo data, serve web + worker + beat
    python3 dev.py test   # set up .venv with the test tools and run the whole suite

Both create `.venv` and install the pinned requirements the first time (and again whenever a
requirements file changes). Environment variables already set are respected, so the same
commands run against PostgreSQL and RabbitMQ when DATABASE_URL and a broker URL are set.
"""

import contextlib
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
HOST, PORT = "127.0.0.1", os.environ.get("PORT", "8000")

DEMO_USERNAME, DEMO_PASSWORD = "demo", "votr-demo-password"

# What the test suite runs with unless the caller set otherwise: production-like settings
# (debug off, a secret, no HTTPS redirect since tests speak plain HTTP to localhost, and the
# address that links in account emails start with).
TEST_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SITE_URL": "http://testserver",
}


def say(message: str) -> None:
    print(f"[votr] {message}", flush=True)


def ensure_virtualenv(requirements: str) -> None:
    """Create .venv and install `requirements` into it unless it is already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older Python)
        sys.exit(f"Votr needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("creating the virtualenv in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in sorted(ROOT.glob("requirements*.txt")):
        digest.update(name.read_bytes())
    stamp = VENV / f".installed-{Path(requirements).stem}"
    stamps = [stamp]
    if requirements == "requirements.txt":  # requirements-test.txt installs it too (-r)
        stamps.append(VENV / ".installed-requirements-test")
    if any(each.exists() and each.read_text() == digest.hexdigest() for each in stamps):
        return
    say(f"installing {requirements} (first run only; takes a minute)")
    subprocess.run(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest.hexdigest())


def manage(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def start(name: str, command: list, env: dict, lines: queue.Queue) -> subprocess.Popen:
    """Start `command` with its output forwarded line by line to `lines`, so that the start-up
    message can wait until the start-up output is done."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )

    def forward():
        for line in process.stdout:
            lines.put((name, line))

    threading.Thread(target=forward, daemon=True).start()
    return process


class StartUp:
    """When the start-up output is over: the page answered, its own request was logged, the
    worker said it is ready, and both have been quiet for a moment. Each wait is bounded, so a
    slow or silent process delays the message by a few seconds at most, never hides it."""

    QUIET = 0.3

    def __init__(self, url: str):
        self.began = time.monotonic()
        self.url = url
        self.answered_at = None
        self.page_logged = self.worker_ready = False
        self.last_output = self.began

    def probe(self) -> None:
        """Poll the page until the web server answers (no proxy: it is this machine's)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            try:
                with opener.open(self.url, timeout=10):
                    break
            except urllib.error.HTTPError as error:
                if error.code < 500:  # an answer all the same; a 500 is a page not ready yet
                    break
            except OSError:  # not listening yet (URLError is an OSError)
                pass
            time.sleep(0.1)
        self.answered_at = time.monotonic()

    def saw(self, name: str, line: str) -> None:
        self.last_output = time.monotonic()
        if name == "web" and '"GET / ' in line:
            self.page_logged = True
        if name == "worker" and line.rstrip().endswith(" ready."):
            self.worker_ready = True

    def over(self) -> bool:
        if self.answered_at is None:
            return False
        now = time.monotonic()
        waited = now - self.answered_at
        return (
            (self.worker_ready or now - self.began > 60)
            and (self.page_logged or waited > 2)
            and (now - self.last_output > self.QUIET or waited > 5)
        )


def run() -> int:
    url = f"http://{HOST}:{PORT}/"
    startup = StartUp(url)
    ensure_virtualenv("requirements.txt")
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("DJANGO_SITE_URL", f"http://{HOST}:{PORT}")
    env.setdefault("PYTHONUNBUFFERED", "1")  # the output goes through a pipe: line by line
    env.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")  # this is development
    # No collectstatic: with debug on, whitenoise serves static/ and the apps' files straight
    # from their folders (WHITENOISE_USE_FINDERS and WHITENOISE_AUTOREFRESH follow DEBUG) and
    # {% static %} gives their plain names. One Django start-up migrates and loads the demo.
    manage(
        "load_demo", "--migrate", "--username", DEMO_USERNAME, "--password", DEMO_PASSWORD,
        env=env,
    )  # fmt: skip

    lines = queue.Queue()
    processes = {
        "web": start("web", [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"], env, lines),
        # Quiet: no banner. The web process runs Django's system checks; once is enough.
        "worker": start(
            "worker",
            [
                PYTHON, "-m", "celery", "-A", "votr_project", "--quiet", "--skip-checks",
                "worker", "--beat", "--loglevel", "INFO", "--concurrency", "2",
                "--schedule", str(ROOT / ".votr" / f"celerybeat-schedule-{PORT}"),
            ],
            env,
            lines,
        ),
    }  # fmt: skip
    threading.Thread(target=startup.probe, daemon=True).start()

    def stop(*_):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    announced = False
    try:
        while all(process.poll() is None for process in processes.values()):
            try:
                name, line = lines.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                print(line, end="", flush=True)
                startup.saw(name, line)
            if not announced and startup.over():
                announced = True
                seconds = startup.answered_at - startup.began
                say(
                    f"web and worker are running (first page after {seconds:.1f} s); "
                    "Ctrl-C stops both"
                )
                say(f"Votr is running at {url}  (admin: {url}admin/)")
                say(
                    f"demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} "
                    "(superuser)"
                )
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        say(f"{', '.join(stopped)} stopped; stopping the rest")
    except KeyboardInterrupt:
        say("stopping web and worker")
    stop()
    deadline = time.monotonic() + 15
    while any(process.poll() is None for process in processes.values()) or not lines.empty():
        if time.monotonic() > deadline:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
        with contextlib.suppress(queue.Empty):  # what they say while stopping
            print(lines.get(timeout=0.1)[1], end="", flush=True)
    return 0


def ensure_browser_test_tools() -> None:
    """The browser tests inject axe-core from npm; fetch it when Chromium and npm are here."""
    e2e = ROOT / "polls" / "tests" / "e2e"
    if (e2e / "node_modules" / "axe-core").exists() or not Path("/usr/bin/chromium").exists():
        return
    if shutil.which("npm") is None:
        say("Chromium is installed but npm is not: the accessibility checks will fail")
        return
    say("installing axe-core for the browser tests (npm ci)")
    subprocess.run(
        ["npm", "ci", "--prefix", str(e2e), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
    )


def test(pytest_args: list[str]) -> int:
    ensure_virtualenv("requirements-test.txt")
    ensure_browser_test_tools()
    env = {**os.environ}
    for name, value in TEST_ENVIRONMENT.items():
        env.setdefault(name, value)
    return subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"run", "test"}:
        print(__doc__.strip())
        return 2
    if argv[0] == "run":
        return run()
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
