"""The database cache that holds throttle counts when no Redis is configured (settings: "Cache").

Django's DatabaseCache counts its whole table on every write and, past MAX_ENTRIES (300), deletes
a third of the rows, expired or not: with enough clients a throttle count is forgotten while its
window is still open. This one writes each entry with one upsert and never deletes an unexpired
row; the worker's beat purges expired rows (polls.tasks.purge_expired_cache_task).

Integers (the throttle counts of polls/services/limits.py) are stored as "#<digits>" rather than
pickled, so that `incr` is one UPDATE … RETURNING the database does atomically: Django's own
incr reads and writes back, and parallel requests then lose each other's counts. ("#" is not
in the base64 alphabet, so no pickled value can look like a count.)
https://docs.djangoproject.com/en/5.2/topics/cache/#database-caching
"""

import base64
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, models, router
from django.utils.timezone import now as tz_now

# Upserts with ON CONFLICT, which both speak; another database gets Django's own behaviour.
UPSERT_VENDORS = {"postgresql", "sqlite"}
COUNT_MARK = "#"


def _encode(value, protocol) -> str:
    if type(value) is int:
        return f"{COUNT_MARK}{value}"
    return base64.b64encode(pickle.dumps(value, protocol)).decode("latin1")


def _decode(text: str):
    if text.startswith(COUNT_MARK):
        return int(text[len(COUNT_MARK) :])
    return pickle.loads(base64.b64decode(text.encode()))  # noqa: S301 (our own cache rows)


class UnculledDatabaseCache(DatabaseCache):
    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in UPSERT_VENDORS:
            return super()._base_set(mode, key, value, timeout)
        timeout = self.get_backend_timeout(timeout)
        zone = UTC if settings.USE_TZ else None
        if timeout is None:
            expires = datetime.max.replace(tzinfo=zone)
        else:
            expires = datetime.fromtimestamp(timeout, tz=zone)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        # A failure is a False, as in Django's own database cache, so a cache write never turns
        # a request into an error. (No savepoint: throttles write outside any transaction, and
        # an upsert only fails when the database itself does.)
        try:
            with connection.cursor() as cursor:
                return self._upsert(cursor, connection, mode, key, value, expires)
        except DatabaseError:
            return False

    def _upsert(self, cursor, connection, mode, key, value, expires) -> bool:
        quote = connection.ops.quote_name
        table = quote(self._table)
        key_column, value_column, expires_column = (
            quote(name) for name in ("cache_key", "value", "expires")
        )
        if mode == "touch":
            cursor.execute(
                f"UPDATE {table} SET {expires_column} = %s WHERE {key_column} = %s",  # noqa: S608
                [expires, key],
            )
            return cursor.rowcount > 0
        encoded = _encode(value, self.pickle_protocol)
        # "add" replaces only an expired entry; "set" replaces any.
        only_expired = f" WHERE {table}.{expires_column} < %s" if mode == "add" else ""
        parameters = [key, encoded, expires]
        if mode == "add":
            now = tz_now().replace(microsecond=0)
            parameters.append(connection.ops.adapt_datetimefield_value(now))
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {value_column}, {expires_column}) "  # noqa: S608 (quoted names)
            f"VALUES (%s, %s, %s) ON CONFLICT ({key_column}) DO UPDATE SET "
            f"{value_column} = excluded.{value_column}, "
            f"{expires_column} = excluded.{expires_column}{only_expired}",
            parameters,
        )
        return cursor.rowcount > 0

    def get_many(self, keys, version=None):
        # Django's, reading counts as well as pickled values.
        if not keys:
            return {}
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        connection = connections[router.db_for_read(self.cache_model_class)]
        quote = connection.ops.quote_name
        placeholders = ", ".join(["%s"] * len(key_map))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('cache_key')}, {quote('value')}, {quote('expires')} "  # noqa: S608
                f"FROM {quote(self._table)} WHERE {quote('cache_key')} IN ({placeholders})",
                list(key_map),
            )
            rows = cursor.fetchall()
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        result, expired_keys = {}, []
        now = tz_now()
        for key, value, expires in rows:
            for converter in converters:
                expires = converter(expires, expression, connection)
            if expires < now:
                expired_keys.append(key)
            else:
                result[key_map.get(key)] = _decode(connection.ops.process_clob(value))
        self._base_delete_many(expired_keys)
        return result

    def incr(self, key, delta=1, version=None):
        """Add `delta` to a count in one statement, atomic under any number of callers; a key
        that is absent or expired raises ValueError, as Django's does."""
        connection = connections[router.db_for_write(self.cache_model_class)]
        if connection.vendor not in UPSERT_VENDORS:
            return super().incr(key, delta, version)
        made_key = self.make_and_validate_key(key, version=version)
        quote = connection.ops.quote_name
        value = quote("value")
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(self._table)} SET {value} = "  # noqa: S608 (quoted names)
                f"'{COUNT_MARK}' || CAST(CAST(SUBSTR({value}, 2) AS BIGINT) + %s AS TEXT) "
                f"WHERE {quote('cache_key')} = %s AND {quote('expires')} >= %s "
                f"AND SUBSTR({value}, 1, 1) = '{COUNT_MARK}' RETURNING {value}",
                [int(delta), made_key, now],
            )
            row = cursor.fetchone()
        if row is None:  # absent, expired, or not a count: Django's answer (ValueError, or sum)
            return super().incr(key, delta, version)
        return _decode(connection.ops.process_clob(row[0]))

    def purge_expired(self) -> int:
        """Delete the entries whose time is up (the expires column is indexed)."""
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(self._table)} WHERE {quote('expires')} < %s",  # noqa: S608
                [now],
            )
            return cursor.rowcount


def cache_purge_expired() -> int:
    """Purge expired rows of the default cache when it is this database cache; Redis expires
    its keys itself."""
    cache = caches["default"]
    return cache.purge_expired() if isinstance(cache, UnculledDatabaseCache) else 0
