"""The settings module reads everything from the environment and stops start-up, naming the
variable, when production configuration is missing or malformed."""

import json
import os
import runpy
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from .production import SECRET_KEY as PROCFILE_TEST_SECRET

SETTINGS_FILE = settings.BASE_DIR / "votr_project" / "settings.py"
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "votr.example.com",
    "DJANGO_SITE_URL": "https://votr.example.com",
}
CONFIG_VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "RABBIT_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_RX_URL",
    "RABBITMQ_BIGWIG_TX_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SITE_URL",
    "DJANGO_DB_CONNECT_TIMEOUT",
    "DJANGO_DB_STATEMENT_TIMEOUT",
    "VOTR_BROKER_TIMEOUT_MS",
    "VOTR_BROKER_PAUSE_SECONDS",
]


def load_settings(monkeypatch, **environment) -> dict:
    """Execute settings.py afresh with exactly these configuration variables set."""
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def run_manage(*args, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES} | environment
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_without_the_secret_stops_with_a_message_naming_it():
    result = run_manage("check", DJANGO_ALLOWED_HOSTS="votr.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_start_up_with_the_secret_succeeds():
    result = run_manage("check", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "weak",
    [
        "short-but-random-Zq8vX2",  # under 50 characters
        "ab" * 30,  # fewer than 5 distinct characters
        "django-insecure-" + "q7Zx9Lm2Vb8Nc4Kd6Hf1Jg3Tr5Yw0Ps" * 2,  # Django's placeholder prefix
    ],
)
def test_start_up_with_a_weak_secret_stops_without_echoing_it(weak):
    result = run_manage("check", DJANGO_ALLOWED_HOSTS="votr.example.com", DJANGO_SECRET_KEY=weak)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr
    assert weak not in result.stderr + result.stdout


def test_debug_mode_accepts_any_secret(monkeypatch):
    assert load_settings(monkeypatch, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="dev")["DEBUG"] is True


def test_every_secret_the_project_runs_production_settings_with_is_strong(monkeypatch):
    """dev.py's test environment (CI), the Procfile test's and this module's; app.json has
    Heroku generate one (64 hexadecimal characters) and .env.example generates one."""
    dev = runpy.run_path(str(settings.BASE_DIR / "dev.py"))
    for secret in (
        dev["TEST_ENVIRONMENT"]["DJANGO_SECRET_KEY"],
        PROCFILE_TEST_SECRET,
        PRODUCTION["DJANGO_SECRET_KEY"],
    ):
        loaded = load_settings(monkeypatch, **PRODUCTION | {"DJANGO_SECRET_KEY": secret})
        assert loaded["SECRET_KEY"] == secret
    app = json.loads((settings.BASE_DIR / "app.json").read_text())
    assert app["env"]["DJANGO_SECRET_KEY"] == {
        "description": app["env"]["DJANGO_SECRET_KEY"]["description"],
        "generator": "secret",
    }
    example = (settings.BASE_DIR / ".env.example").read_text()
    assert (
        "DJANGO_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
        in example
    )


def test_debug_is_off_unless_set(monkeypatch):
    assert load_settings(monkeypatch, **PRODUCTION)["DEBUG"] is False
    assert load_settings(monkeypatch, DJANGO_DEBUG="1")["DEBUG"] is True


def test_debug_mode_runs_without_a_secret_or_hosts(monkeypatch):
    loaded = load_settings(monkeypatch, DJANGO_DEBUG="true")
    assert loaded["SECRET_KEY"].startswith("django-insecure")
    assert "127.0.0.1" in loaded["ALLOWED_HOSTS"]
    assert loaded["SITE_URL"] == "http://127.0.0.1:8000"


def test_the_site_url_for_account_emails_is_read_without_its_trailing_slash(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION | {"DJANGO_SITE_URL": " https://v.example/ "})
    assert loaded["SITE_URL"] == "https://v.example"


@pytest.mark.parametrize(
    "site_url",
    [
        "",
        "votr.example.com",
        "ftp://votr.example.com",
        "https://",
        "https://votr.example.com/votr/",
        "https://votr.example.com/?a=b",
        "https://user:pw@votr.example.com",
        "https://votr.example.com:port",
    ],
)
def test_production_without_a_well_formed_site_url_stops_naming_it(monkeypatch, site_url):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SITE_URL"):
        load_settings(monkeypatch, **PRODUCTION | {"DJANGO_SITE_URL": site_url})


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"]}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({**PRODUCTION, "DJANGO_SECURE_HSTS_SECONDS": "a year"}, "DJANGO_SECURE_HSTS_SECONDS"),
    ],
)
def test_missing_or_malformed_settings_are_named(monkeypatch, environment, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        load_settings(monkeypatch, **environment)


def test_a_malformed_database_url_is_named_without_echoing_its_password(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL") as caught:
        load_settings(monkeypatch, **PRODUCTION, DATABASE_URL="nosuchdb://user:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


def test_hosts_and_trusted_origins_are_comma_separated_lists(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        **PRODUCTION | {"DJANGO_ALLOWED_HOSTS": "a.example.com, .herokuapp.com"},
        DJANGO_CSRF_TRUSTED_ORIGINS="https://a.example.com",
    )
    assert loaded["ALLOWED_HOSTS"] == ["a.example.com", ".herokuapp.com"]
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.com"]


def test_database_url_selects_postgresql_with_persistent_checked_connections(monkeypatch):
    loaded = load_settings(
        monkeypatch, **PRODUCTION, DATABASE_URL="postgres://votr:secret@db.example.com:5432/votr"
    )
    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["PASSWORD"]) == (
        "db.example.com",
        "votr",
        "secret",
    )
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True


def test_default_database_is_sqlite_in_the_project_folder_set_for_concurrent_writers(
    monkeypatch,
):
    database = load_settings(monkeypatch, **PRODUCTION)["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(settings.BASE_DIR / "db.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    # A writer waits for the lock as long as a statement may take, not 20 s.
    assert database["OPTIONS"]["timeout"] == 5


POSTGRES_URL = "postgres://votr:secret@db.example.com:5432/votr"


def test_postgresql_connections_have_connect_and_statement_timeouts(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION, DATABASE_URL=POSTGRES_URL)
    options = loaded["DATABASES"]["default"]["OPTIONS"]
    assert options["connect_timeout"] == 3
    assert options["options"] == "-c statement_timeout=5s"
    assert (loaded["DB_CONNECT_TIMEOUT"], loaded["DB_STATEMENT_TIMEOUT"]) == (3, 5)


def test_database_timeouts_come_from_the_environment_and_zero_lifts_the_statement_timeout(
    monkeypatch,
):
    loaded = load_settings(
        monkeypatch,
        **PRODUCTION,
        DATABASE_URL=POSTGRES_URL,
        DJANGO_DB_CONNECT_TIMEOUT="1",  # libpq's minimum is 2
        DJANGO_DB_STATEMENT_TIMEOUT="0",  # the release phase's migrate
    )
    options = loaded["DATABASES"]["default"]["OPTIONS"]
    assert options["connect_timeout"] == 2
    assert options["options"] == "-c statement_timeout=0s"
    assert loaded["DB_CONNECT_TIMEOUT"] == 1  # the client-side deadline takes it as given
    sqlite = load_settings(monkeypatch, **PRODUCTION, DJANGO_DB_STATEMENT_TIMEOUT="0")
    assert sqlite["DATABASES"]["default"]["OPTIONS"]["timeout"] == 3600


def test_publishing_gives_up_within_half_a_second_by_default(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION, CELERY_BROKER_URL="amqp://u:p@rabbit//")
    assert loaded["CELERY_BROKER_CONNECTION_TIMEOUT"] == 0.5
    assert loaded["CELERY_BROKER_TRANSPORT_OPTIONS"] == {"max_retries": 0}
    assert loaded["BROKER_PAUSE_SECONDS"] == 30
    tuned = load_settings(
        monkeypatch,
        **PRODUCTION,
        CELERY_BROKER_URL="amqp://u:p@rabbit//",
        VOTR_BROKER_TIMEOUT_MS="800",
        VOTR_BROKER_PAUSE_SECONDS="5",
    )
    assert tuned["CELERY_BROKER_CONNECTION_TIMEOUT"] == 0.8
    assert tuned["BROKER_PAUSE_SECONDS"] == 5


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {
                "RABBIT_BIGWIG_RX_URL": "amqp://a@rabbit-one//",
                "RABBITMQ_BIGWIG_RX_URL": "amqp://b@rabbit-two//",
                "CELERY_BROKER_URL": "amqp://c@rabbit-three//",
            },
            "amqp://a@rabbit-one//",
        ),
        (
            {
                "RABBITMQ_BIGWIG_RX_URL": "amqp://b@rabbit-two//",
                "CELERY_BROKER_URL": "amqp://c@rabbit-three//",
            },
            "amqp://b@rabbit-two//",
        ),
        ({"CELERY_BROKER_URL": "amqp://c@rabbit-three//"}, "amqp://c@rabbit-three//"),
        ({"RABBIT_BIGWIG_RX_URL": "  ", "CELERY_BROKER_URL": "amqp://c@r//"}, "amqp://c@r//"),
        ({}, "filesystem://"),
    ],
)
def test_broker_comes_from_the_first_variable_set(monkeypatch, environment, expected):
    loaded = load_settings(monkeypatch, **PRODUCTION, **environment)
    assert loaded["CELERY_BROKER_URL"] == expected


def test_broker_less_default_keeps_its_queue_in_the_project_folder(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION)
    options = loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    broker_folder = str(settings.BASE_DIR / ".votr" / "broker")
    assert options["data_folder_in"] == options["data_folder_out"] == broker_folder
    assert os.path.isdir(broker_folder)


def test_bigwig_publish_url_is_used_for_publishing(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        **PRODUCTION,
        RABBITMQ_BIGWIG_RX_URL="amqp://u:p@rx.example.com/v",
        RABBITMQ_BIGWIG_TX_URL="amqp://u:p@tx.example.com/v",
    )
    assert loaded["CELERY_BROKER_URL"] == "amqp://u:p@rx.example.com/v"
    assert loaded["CELERY_BROKER_WRITE_URL"] == "amqp://u:p@tx.example.com/v"


def test_stored_times_are_utc(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION)
    assert loaded["USE_TZ"] is True
    assert loaded["TIME_ZONE"] == "UTC"


def test_production_cookies_are_secure_and_https_is_enforced(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION)
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_error_reports_hide_database_and_broker_urls(settings):
    settings.CELERY_BROKER_URL = "amqp://votr:broker-password@rabbit.example.com//"
    request = RequestFactory().get("/", DATABASE_URL="postgres://votr:db-password@db/votr")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "broker-password" not in report
    assert "db-password" not in report
