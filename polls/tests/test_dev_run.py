"""`python3 dev.py run` on a clone that is already set up: its own SQLite file and port, the
development server and worker it starts, and what it prints (the URL and the demo login last,
once the first page answers)."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid

from .production import (
    BASE_DIR,
    CONFIG_VARIABLES,
    Web,
    descendants,
    free_port,
    still_running,
    wait_for,
)

URL_LINE = "[votr] Votr is running at"
LOGIN_LINE = "[votr] demo login: username 'demo'"
# What the web and worker print while they start, each of which must come before the URL.
START_UP_LINES = ("Starting development server at", "System check identified", " ready.")


def development_environment(tmp_path, port: int) -> dict:
    """What a developer's shell holds: none of the test run's settings, a database and a port
    of this test's own, and a queue of its own on the shared filesystem broker."""
    env = {name: value for name, value in os.environ.items() if name not in CONFIG_VARIABLES}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "CELERY_TASK_DEFAULT_QUEUE": f"votr-dev-run-{uuid.uuid4().hex[:12]}",
        "PYTHONUNBUFFERED": "1",
    }


def test_second_start_prints_the_url_and_demo_login_last_once_the_page_answers(tmp_path):
    port = free_port()
    env = development_environment(tmp_path, port)
    # The first start's set-up, done here: the database migrated and the demo data loaded.
    subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--migrate"],
        cwd=BASE_DIR,
        env=env | {"DJANGO_DEBUG": "1"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    lines: queue.Queue = queue.Queue()
    began = time.monotonic()
    dev = subprocess.Popen(
        [sys.executable, "dev.py", "run"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    threading.Thread(
        target=lambda: [lines.put(line.rstrip("\n")) for line in dev.stdout], daemon=True
    ).start()
    output: list[str] = []

    def read_until(text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in output):
            left = deadline - time.monotonic()
            assert left > 0, "\n".join(output)
            assert dev.poll() is None, "\n".join(output)
            try:
                output.append(lines.get(timeout=min(left, 0.5)))
            except queue.Empty:
                pass

    started = {}
    try:
        read_until(LOGIN_LINE, timeout=120)
        announced = time.monotonic() - began
        started = descendants(dev.pid)
        # Announced: the page answers now, and it had answered before the URL was printed.
        status, _, body = Web(port).get("/", https=False)
        assert status == 200
        assert b"Which language should the next workshop cover?" in body
        # In debug, static files are served from their folders under their plain names.
        assert b'href="/static/css/votr.css"' in body
        assert Web(port).get("/static/css/votr.css", https=False)[0] == 200
        time.sleep(1)  # what the processes still print at start-up, if anything
        while not lines.empty():
            output.append(lines.get())
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait(timeout=10)
    text = "\n".join(output)
    url_at = next(i for i, line in enumerate(output) if line.startswith(URL_LINE))
    assert output[url_at + 1].startswith(LOGIN_LINE), text
    assert (
        output[url_at]
        == f"{URL_LINE} http://127.0.0.1:{port}/  (admin: http://127.0.0.1:{port}/admin/)"
    )
    before, after = output[:url_at], output[url_at + 2 :]
    assert any('"GET / HTTP/1.1" 200' in line for line in before), text  # dev.py's own probe
    for start_up_line in START_UP_LINES:
        assert any(start_up_line in line for line in before), (start_up_line, text)
        assert not any(start_up_line in line for line in after), (start_up_line, text)
    # A second start: nothing to create, no banner, nothing collected.
    assert "Created the demo" not in text
    assert "-------------- celery@" not in text
    assert "collectstatic" not in text
    assert len(before) < 40, text
    wait_for(lambda: not still_running(started), timeout=30, what="web and worker to stop")
    print(f"dev.py run: URL and login printed {announced:.1f} s after the command started")
