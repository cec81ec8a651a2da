"""The deploy checklist: `check --deploy` with Heroku-shaped configuration, the Python version
the platform installs, and the add-ons and variables app.json provisions."""

import json
import platform
import subprocess
import sys

from django.conf import settings

from .production import BASE_DIR, production_environment


def test_check_deploy_is_clean_with_heroku_shaped_configuration():
    env = production_environment(
        DJANGO_ALLOWED_HOSTS="my-votr.herokuapp.com",
        DATABASE_URL="postgres://user:db-password@db.example.com:5432/votr",
        RABBITMQ_BIGWIG_RX_URL="amqp://user:broker-password@rx.example.com/vhost",
        RABBITMQ_BIGWIG_TX_URL="amqp://user:broker-password@tx.example.com/vhost",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "password" not in result.stdout + result.stderr


def test_runtime_txt_and_python_version_name_the_python_that_runs_the_tests():
    runtime = (BASE_DIR / "runtime.txt").read_text().strip()
    python_version = (BASE_DIR / ".python-version").read_text().strip()
    assert runtime == f"python-{python_version}"
    assert python_version == platform.python_version()


def test_app_json_provisions_what_the_settings_read():
    app = json.loads((BASE_DIR / "app.json").read_text())
    assert {addon["plan"] for addon in app["addons"]} == {
        "heroku-postgresql",
        "rabbitmq-bigwig",
        "heroku-redis",  # sets REDIS_URL, the shared cache of the throttles
    }
    assert app["env"]["DJANGO_SECRET_KEY"]["generator"] == "secret"
    assert "DJANGO_ALLOWED_HOSTS" in app["env"]
    assert app["env"]["DJANGO_SITE_URL"]["required"] is True  # links in account emails
    assert app["formation"] == {"web": {"quantity": 1}, "worker": {"quantity": 1}}
    assert app["buildpacks"] == [{"url": "heroku/python"}]
    # The add-ons set these; the settings must read them (see BROKER_URL_VARIABLES).
    assert "RABBITMQ_BIGWIG_RX_URL" in settings.BROKER_URL_VARIABLES
