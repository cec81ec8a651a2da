"""The proof-of-work challenge that a vote without an account carries (ALTCHA, self-hosted:
no outside service, no tracking). The page's widget fetches a challenge, its browser works out
the answer (about a second on a phone), and the vote sends it back; the server checks the
answer against its own signature, so it keeps nothing per challenge until one is used.

A solved challenge is used once: its signature is recorded in the shared cache until the
challenge expires, so one solution cannot cast many ballots. If the cache cannot be reached,
the solution is accepted (the rate limits, which live in the same cache, are down too, and a
cache outage must not stop the voting) and the failure is logged once per pause, as
limits.py does.
"""

import base64
import binascii
import json
import logging
import time
from datetime import timedelta

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from .errors import VoteRefused

logger = logging.getLogger(__name__)

ALGORITHM = "PBKDF2/SHA-256"
KEY_PREFIX = "00"  # one counter in 256 derives a key starting with it
MAX_PAYLOAD_LENGTH = 4096
HMAC_KEY_SALT = "polls.services.challenges"
USED_KEY = "challenge_used_%s"
CACHE_DOWN_PAUSE_SECONDS = 10

CHALLENGE_MISSING = (
    "This poll's anti-spam check did not run: voting here without an account needs "
    "JavaScript. Turn it on and vote again, or sign in."
)
CHALLENGE_WRONG = "The anti-spam check failed or expired. Reload the poll and vote again."


class ChallengeFailed(VoteRefused):
    message = CHALLENGE_WRONG
    code = "challenge_failed"


class _CacheDown:
    until = 0.0


def _secret() -> str:
    return salted_hmac(HMAC_KEY_SALT, "hmac", algorithm="sha256").hexdigest()


def challenge_required() -> bool:
    """Whether votes without an account must carry a solved challenge on this deployment."""
    return settings.VOTR_CHALLENGE_DIFFICULTY > 0


def challenge_create() -> dict:
    """A new challenge, as the widget fetches it (JSON): PBKDF2-SHA-256 at
    VOTR_CHALLENGE_DIFFICULTY iterations per attempt, signed, expiring after
    VOTR_CHALLENGE_EXPIRES_SECONDS."""
    expires = timezone.now() + timedelta(seconds=settings.VOTR_CHALLENGE_EXPIRES_SECONDS)
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.VOTR_CHALLENGE_DIFFICULTY,
        key_prefix=KEY_PREFIX,
        expires_at=int(expires.timestamp()),
        hmac_secret=_secret(),
    )
    return challenge.to_dict()


def challenge_verify(*, payload) -> None:
    """Accept `payload` (the widget's base64 answer) once, or raise ChallengeFailed: for no
    answer, anything that is not one (any type, any size), a wrong, tampered or expired
    answer, and an answer used before."""
    if not isinstance(payload, str) or not payload.strip():
        raise ChallengeFailed(CHALLENGE_MISSING)
    if len(payload) > MAX_PAYLOAD_LENGTH or not payload.isascii():
        raise ChallengeFailed
    try:
        result = altcha.verify_solution(payload, _secret())
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        raise ChallengeFailed from None
    if not result.verified:
        raise ChallengeFailed
    _use_once(_signature(payload))


def _signature(payload: str) -> str:
    """The challenge's signature (one per challenge issued), read from a verified payload: what
    names it however the payload around it is written."""
    try:
        signature = json.loads(base64.b64decode(payload))["challenge"]["signature"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ChallengeFailed from None
    if not isinstance(signature, str) or not signature.isalnum() or len(signature) > 200:
        raise ChallengeFailed
    return signature


def _use_once(signature: str) -> None:
    if time.monotonic() < _CacheDown.until:
        return
    key = USED_KEY % signature
    try:
        first = cache.add(key, 1, timeout=settings.VOTR_CHALLENGE_EXPIRES_SECONDS)
    except RedisError as error:
        _CacheDown.until = time.monotonic() + CACHE_DOWN_PAUSE_SECONDS
        logger.warning(
            "challenges: the cache is unreachable (%s); solutions are not checked for reuse "
            "for %d s",
            type(error).__name__,
            CACHE_DOWN_PAUSE_SECONDS,
        )
        return
    if not first:
        raise ChallengeFailed
