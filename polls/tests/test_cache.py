"""The shared cache (settings: "Cache"): Redis with REDIS_URL, else a database table that
`migrate` creates and whose unexpired entries are never culled."""

import os
import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor

from polls import tasks

from .factories import PASSWORD

BASE_DIR = settings.BASE_DIR


def settings_in_a_new_process(**environment) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    env = {
        **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
        "DJANGO_SETTINGS_MODULE": "votr_project.settings",
        "DJANGO_DEBUG": "1",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=BASE_DIR,
    )


# --- Choosing the cache ------------------------------------------------------------------------


def test_without_redis_url_the_cache_is_the_database_table():
    result = settings_in_a_new_process()

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '{"BACKEND": "votr_project.cache.UnculledDatabaseCache", "LOCATION": "votr_cache"}'
    )


def test_redis_url_selects_django_redis_cache_with_short_timeouts():
    result = settings_in_a_new_process(REDIS_URL="redis://:secret@cache.example.com:6379/3")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '{"BACKEND": "django.core.cache.backends.redis.RedisCache", '
        '"LOCATION": "redis://:secret@cache.example.com:6379/3", '
        '"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}'
    )


def test_rediss_skips_verifying_heroku_self_signed_certificate_and_timeouts_are_settable():
    result = settings_in_a_new_process(
        REDIS_URL="rediss://:secret@ec2-1-2-3-4.compute-1.amazonaws.com:12345",
        DJANGO_REDIS_CONNECT_TIMEOUT_MS="250",
        DJANGO_REDIS_TIMEOUT_MS="750",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        '"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.75, '
        '"ssl_cert_reqs": null}}'
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://:hunter2-password@cache.example.com:6379",
        "redis://:hunter2-password@cache.example.com:notaport",
        "redis://:hunter2-password@:6379",
        "redis://:hunter2-password@cache.example.com:6379/zero",
    ],
)
def test_a_malformed_redis_url_stops_start_up_naming_it_without_the_password(url):
    result = settings_in_a_new_process(REDIS_URL=url)

    assert result.returncode != 0
    assert "REDIS_URL is not a Redis URL Votr understands" in result.stderr
    assert "hunter2" not in result.stderr


# --- The database cache ------------------------------------------------------------------------


def test_no_unexpired_entry_is_culled(database_cache):
    """Django's own DatabaseCache kept MAX_ENTRIES (300) and culled a third past that, open
    windows and all: 450 keys written, 250 left."""
    for n in range(450):
        cache.set(f"key-{n}", n, 3600)

    assert cache.get_many([f"key-{n}" for n in range(450)]) == {f"key-{n}": n for n in range(450)}


def test_set_add_touch_and_expiry_behave_as_django_documents(database_cache):
    assert cache.add("key", "first", 3600) is True
    assert cache.add("key", "second", 3600) is False  # unexpired: kept
    assert cache.get("key") == "first"
    cache.set("key", "third", 3600)
    assert cache.get("key") == "third"
    assert cache.touch("key", 7200) is True
    assert cache.touch("missing", 60) is False
    cache.set("gone", "soon", -1)
    assert cache.get("gone") is None
    assert cache.add("gone", "again", 60) is True  # an expired entry may be replaced
    assert cache.get("gone") == "again"
    cache.set("forever", "value", None)
    assert cache.get("forever") == "value"


def test_incr_is_one_statement_on_a_count_and_as_django_documents_otherwise(
    database_cache, django_assert_num_queries
):
    cache.add("count", 1, 3600)
    with django_assert_num_queries(1):  # UPDATE … RETURNING: no read to lose a race with
        assert cache.incr("count") == 2
    assert cache.decr("count", 2) == 0
    assert cache.get("count") == 0
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")
    cache.set("gone", 5, -1)
    with pytest.raises(ValueError, match="not found"):
        cache.incr("gone")  # expired is absent
    cache.set("float", 1.5, 3600)
    assert cache.incr("float") == 2.5  # not a count: Django's read and write back
    cache.set("flag", True, 3600)
    assert cache.get("flag") is True  # a bool is pickled, not stored as a count


def test_a_write_the_database_refuses_is_a_false_not_an_error(database_cache):
    """As Django's own database cache: a throttle's write never turns a request into a 500."""
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        cache.set("key", "value", 60)  # returns nothing, raises nothing
        assert cache.add("key", "value", 60) is False
        assert cache.touch("key", 60) is False


def test_the_worker_purges_expired_entries_only(database_cache):
    cache.set("expired", 1, 3600)
    cache.set("open", 2, 3600)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE votr_cache SET expires = %s WHERE cache_key LIKE %s",
            [connection.ops.adapt_datetimefield_value(past()), "%expired"],
        )

    assert tasks.purge_expired_cache_task() == 1
    assert cache.get("open") == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM votr_cache")
        assert cursor.fetchone() == (1,)


def past():
    from django.utils import timezone

    return (timezone.now() - timedelta(hours=1)).replace(microsecond=0)


def test_the_beat_purges_expired_entries_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-cache"]
    assert entry["task"] == tasks.purge_expired_cache_task.name
    assert entry["schedule"] == 600


def test_with_redis_there_is_nothing_to_purge(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert tasks.purge_expired_cache_task() == 0


# --- The table comes with `migrate` ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_creates_the_table_and_leaves_one_createcachetable_made():
    """0006 runs on a database without the table, and on one where `createcachetable` (the old
    release step) already made it."""
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("polls", "0005_user_activation_pending")])
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE votr_cache")
        executor = MigrationExecutor(connection)
        executor.migrate([("polls", "0006_cache_table")])
        assert "votr_cache" in connection.introspection.table_names()

        executor = MigrationExecutor(connection)
        executor.migrate([("polls", "0005_user_activation_pending")])
        assert "votr_cache" in connection.introspection.table_names()  # not dropped
        call_command("createcachetable", verbosity=0)
        executor = MigrationExecutor(connection)
        executor.migrate([("polls", "0006_cache_table")])
    finally:
        call_command("migrate", verbosity=0)
    assert "votr_cache" in connection.introspection.table_names()


def test_migrate_alone_gives_a_working_site(tmp_path):
    """What a Heroku user runs (`heroku run python manage.py migrate`), and nothing else: then
    sign-up, a token and a new poll through the API, which count in the cache table."""
    environment = {
        **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": "cache-test-secret-key-long-enough-for-django-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    migrate = subprocess.run(
        [*manage, "migrate", "--no-input", "-v", "0"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    script = (
        "from rest_framework.test import APIClient; from polls.models import User; "
        "c = APIClient(); "
        "new = {'username': 'first', 'email': 'first@example.com', 'password': 'long-phrase-1'}; "
        "signed_up = c.post('/api/users/', new, format='json').status_code; "
        f"User.objects.create_user('author', 'author@example.com', {PASSWORD!r}); "
        f"token = c.post('/api/auth/token/', {{'username': 'author', 'password': {PASSWORD!r}}}, "
        "format='json'); "
        "c.credentials(HTTP_AUTHORIZATION='Token ' + token.json()['token']); "
        "created = c.post('/api/polls/', {'title': 'Q?', 'options': ['A', 'B']}, format='json'); "
        "print(signed_up, token.status_code, created.status_code)"
    )
    result = subprocess.run(
        [*manage, "shell", "--verbosity", "0", "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    signed_up, token, created = result.stdout.splitlines()[-1].split()
    assert signed_up == "202", result.stdout + result.stderr
    assert (token, created) == ("200", "201"), result.stdout + result.stderr
