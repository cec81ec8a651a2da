#!/usr/bin/env python3
"""Run or test Votr on a fresh clone with nothing but Python 3.11+ (standard library only).

    python3 dev.py run    # set up .venv, migrate, load demo data, serve web + worker + beat
    python3 dev.py test   # set up .venv with the test tools and run the whole suite

Both create `.venv` and install the pinned requirements the first time (and again whenever a
requirements file changes). Environment variables already set are respected, so the same
commands run against PostgreSQL and RabbitMQ when DATABASE_URL and a broker URL are set.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
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
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
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


def run() -> int:
    ensure_virtualenv("requirements.txt")
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("DJANGO_SITE_URL", f"http://{HOST}:{PORT}")
    manage("migrate", "--no-input", "--verbosity", "0", env=env)
    manage("load_demo", "--username", DEMO_USERNAME, "--password", DEMO_PASSWORD, env=env)
    manage("collectstatic", "--no-input", "--verbosity", "0", env=env)

    processes = {
        "web": subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"], cwd=ROOT, env=env
        ),
        "worker": subprocess.Popen(
            [
                PYTHON, "-m", "celery", "-A", "votr_project", "worker", "--beat",
                "--loglevel", "INFO", "--concurrency", "2",
                "--schedule", str(ROOT / ".votr" / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env=env,
        ),
    }  # fmt: skip
    time.sleep(2)
    say(f"Votr is running at http://{HOST}:{PORT}/  (admin: http://{HOST}:{PORT}/admin/)")
    say(f"demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} (superuser)")
    say("web and worker are running; press Ctrl-C to stop both")

    def stop(*_):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        say(f"{', '.join(stopped)} stopped; stopping the rest")
    except KeyboardInterrupt:
        say("stopping web and worker")
    stop()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
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
