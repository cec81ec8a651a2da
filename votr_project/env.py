"""Reading the environment for settings.py: a missing or malformed value stops start-up with
an ImproperlyConfigured that names the variable (and never echoes a secret)."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_site_url(name: str, *, default: str | None) -> str:
    """The site's public address (scheme and host, no path), without a trailing slash."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        if default is not None:
            return default
        raise ImproperlyConfigured(
            f"{name} is not set. Set it to the site's public address, such as "
            "https://votr.example.com: account emails link to it."
        )
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.username is not None
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
    ):
        raise ImproperlyConfigured(
            f"{name} must be the site's public address, such as https://votr.example.com "
            f"(scheme and host, no path); got {raw!r}."
        )
    return f"{parts.scheme}://{parts.netloc}"


def env_rate(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    number, _, period = raw.partition("/")
    if not number.isdigit() or period not in {"second", "minute", "hour", "day"}:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 30/minute (per second, minute, hour or day); "
            f"got {raw!r}."
        )
    return raw
