"""The API token lookup, cached: an authenticated request costs no query for its token and user.

An entry maps a digest of the token's key (never the key itself) to the user's row, without the
password hash, for TOKEN_CACHE_SECONDS. It is dropped the moment it could be wrong:

- the token is deleted, however (DELETE /api/auth/token/, a password change, the user's
  deletion cascading): the Token's post_delete signal;
- anything on the user's row changes (is_active, is_staff, username…): the User's post_save
  signal, and user_deactivate, which writes with an UPDATE that sends no signal, says so itself.

These receivers only keep a cache true (no rule runs in a signal). Dropping writes a tombstone,
again when the transaction commits, and an entry is only ever added where nothing is, so a
lookup that read the row before the change cannot put the old row back. Groups and permissions
are not on the row and not cached: each request's user is built fresh from the cached fields,
so `has_perm` reads the permissions from the database as always.

Only a shared cache that costs no query is used (Redis in production): with the database cache
a hit would cost the query it saves. When the cache cannot be reached, the token is read from
the database: one log line, then the cache is left alone for CACHE_DOWN_PAUSE_SECONDS. A token
dropped while the cache was unreachable may still be found in it until its entry expires.
"""

import hashlib
import logging
import time

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token

logger = logging.getLogger(__name__)

User = get_user_model()

TOKEN_CACHE_SECONDS = 300
# Longer than any lookup in flight (statements time out in seconds): none of them can add the
# row it read before a change once the change has dropped its entry.
TOMBSTONE_SECONDS = 60
TOMBSTONE = "dropped"
CACHE_DOWN_PAUSE_SECONDS = 10
USER_FIELDS = [field.attname for field in User._meta.concrete_fields if field.name != "password"]


class _CacheDown:
    until = 0.0  # time.monotonic() before which the cache is not tried


def _cache_key(key: str) -> str:
    return "token:" + hashlib.sha256(key.encode()).hexdigest()


def _shared_cache():
    """The default cache, or None when it is the database's (a hit would cost a query)."""
    cache = caches["default"]
    return None if isinstance(cache, DatabaseCache) else cache


def _cache_failed(error: Exception) -> None:
    _CacheDown.until = time.monotonic() + CACHE_DOWN_PAUSE_SECONDS
    logger.warning(
        "token cache: the cache is unreachable (%s); tokens are read from the database for %d s",
        type(error).__name__,
        CACHE_DOWN_PAUSE_SECONDS,
    )


def token_lookup(key: str) -> Token | None:
    """The token with this key, with its user, or None: from the cache when it holds it (no
    query), else from the database (one query), then kept for the next request."""
    cache = _shared_cache()
    if cache is None or time.monotonic() < _CacheDown.until:
        return _token_from_database(key)
    cache_key = _cache_key(key)
    try:
        entry = cache.get(cache_key)
    except RedisError as error:
        _cache_failed(error)
        return _token_from_database(key)
    if isinstance(entry, dict):
        return _token_from_entry(key, entry)
    token = _token_from_database(key)
    if token is not None and entry is None:
        entry = {"created": token.created, **{f: getattr(token.user, f) for f in USER_FIELDS}}
        try:
            cache.add(cache_key, entry, TOKEN_CACHE_SECONDS)
        except RedisError as error:
            _cache_failed(error)
    return token


def _token_from_database(key: str) -> Token | None:
    return Token.objects.select_related("user").filter(key=key).first()


def _token_from_entry(key: str, entry: dict) -> Token:
    """A fresh User and Token, as the database would give them (the password left deferred)."""
    user = User.from_db(DEFAULT_DB_ALIAS, USER_FIELDS, [entry[f] for f in USER_FIELDS])
    token = Token.from_db(
        DEFAULT_DB_ALIAS, ["key", "user_id", "created"], [key, user.pk, entry["created"]]
    )
    token.user = user
    return token


def tokens_forget(*, keys) -> None:
    """Drop the cached lookups of these token keys, now and when the transaction commits."""
    cache_keys = [_cache_key(key) for key in keys]
    cache = _shared_cache()
    if not cache_keys or cache is None:
        return

    def drop():
        try:
            cache.set_many(dict.fromkeys(cache_keys, TOMBSTONE), TOMBSTONE_SECONDS)
        except RedisError as error:
            _cache_failed(error)
            logger.error("token cache: %d token(s) could not be dropped", len(cache_keys))

    drop()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(drop)


def user_tokens_forget(*, user_id: int) -> None:
    """Drop the cached lookups of this user's tokens (after a change to the user's row). One
    query, for the user's token keys."""
    if _shared_cache() is None:
        return
    tokens_forget(keys=list(Token.objects.filter(user_id=user_id).values_list("key", flat=True)))


@receiver(post_delete, sender=Token, dispatch_uid="accounts.tokens.token_deleted")
def _token_deleted(sender, instance: Token, **kwargs) -> None:
    tokens_forget(keys=[instance.key])


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens.user_saved")
def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        user_tokens_forget(user_id=instance.pk)
