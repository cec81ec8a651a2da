"""gunicorn as the Procfile's web process runs it: its configuration from the platform's
variables, and two servers (two dynos) sharing their throttle counts."""

import contextlib
import os
import runpy
import subprocess
import sys

import pytest
from django.conf import settings

from .production import (
    BASE_DIR,
    VENV_BIN,
    Web,
    free_port,
    production_environment,
    wait_for,
)


def test_gunicorn_takes_port_and_workers_from_the_platform(monkeypatch):
    monkeypatch.setenv("PORT", "43210")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert config["bind"] == "0.0.0.0:43210"
    assert config["workers"] == 5
    assert config["forwarded_allow_ips"] == "*"
    assert config["timeout"] < 30  # Heroku's router gives up on a request after 30 s
    assert config["accesslog"] == "-"
    assert "%({x-request-id}o)s" in config["access_log_format"]
    # Every name is one gunicorn knows: a typo would be ignored silently.
    from gunicorn.config import Config

    known = set(Config().settings)
    assert {name for name in config if not name.startswith("_") and name != "os"} <= known


def test_gunicorn_runs_sync_workers_unless_threads_are_asked_for(monkeypatch):
    monkeypatch.delenv("WEB_THREADS", raising=False)
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert (config["worker_class"], config["threads"]) == ("sync", 1)
    assert config["keepalive"] > 90  # Heroku's router closes idle connections after 90 s
    assert config["preload_app"] is True

    monkeypatch.setenv("WEB_THREADS", "4")
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert (config["worker_class"], config["threads"]) == ("gthread", 4)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "shared_cache",
    [pytest.param("database", id="database"), pytest.param("redis", marks=pytest.mark.redis)],
)
def test_two_web_servers_share_their_throttle_counts(production_database, shared_cache, tmp_path):
    """Two gunicorn servers (two dynos, one with sync workers, one with threads) against one
    PostgreSQL, and one Redis when set: a client's requests count together whichever server
    answers them."""
    env = production_environment(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=production_database["url"],
        DJANGO_THROTTLE_ANON="4/minute",
        WEB_CONCURRENCY="1",
        **({"REDIS_URL": settings.REDIS_URL} if shared_cache == "redis" else {}),
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    servers = []
    try:
        for name, threads in (("one", "1"), ("two", "4")):
            port = free_port()
            log = (tmp_path / f"{name}.log").open("wb")
            process = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "votr_project.wsgi"],
                cwd=BASE_DIR,
                env=env | {"PORT": str(port), "WEB_THREADS": threads},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            servers.append((Web(port), process, log))
        for web, _, _ in servers:

            def healthy(web=web):
                with contextlib.suppress(OSError):
                    return web.get("/healthz", https=False)[0] == 200
                return False

            wait_for(healthy, timeout=90, what="both gunicorn servers to answer /healthz")
        one, two = servers[0][0], servers[1][0]

        statuses = [web.get("/api/polls/")[0] for web in (one, two, one, two, one, two)]
    finally:
        for _, process, log in servers:
            process.terminate()
            process.wait(timeout=30)
            log.close()

    # Four a minute in all, not four from each: the fifth is refused, on either server.
    assert statuses == [200, 200, 200, 200, 429, 429]
