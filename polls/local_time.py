"""A date and time as someone reads it on their own clock, in a time zone they name, made into
the instant it means: what the create and manage pages' "at a date and time" gives the server.

A wall time that the clocks skip (spring forward) or show twice (fall back) means no instant or
two, so it is refused with words that say which, rather than guessed."""

import re
import zoneinfo
from datetime import UTC, datetime
from functools import cache

UTC_NAME = "UTC"
# What <input type="datetime-local"> sends (seconds when the page asks for them), and what
# someone types where the browser shows a plain text box instead.
LOCAL_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
FORMAT_HINT = "Write the date and time as YYYY-MM-DD HH:MM, for example 2030-12-24 18:00."
PICK_ZONE = "Pick a time zone from the list."


class LocalTimeError(ValueError):
    """A wall time that names no single instant. `message` is fit to show next to the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name the server knows, UTC first; the browser's own name (which may
    be an old alias such as Asia/Calcutta) is among them."""
    names = zoneinfo.available_timezones() - {UTC_NAME, "localtime", "Factory"}
    return (UTC_NAME, *sorted(names))


@cache
def time_zone_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The names by region, each with its words ("Europe": (("Europe/Isle_of_Man", "Europe/Isle
    of Man"), …)), for a select's optgroups; names without a region (UTC, EST5EDT, …) under
    "Other"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in time_zone_names():
        region = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(region, []).append((name, name.replace("_", " ")))
    other = groups.pop("Other", [])
    return (
        *((region, tuple(names)) for region, names in sorted(groups.items())),
        ("Other", tuple(other)),
    )


def _zone(name: str):
    if name == UTC_NAME:
        return UTC  # needs no time zone database
    if name not in time_zone_names():
        raise LocalTimeError(PICK_ZONE)
    return zoneinfo.ZoneInfo(name)


def _spoken(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}"


def local_to_utc(text: str, zone_name: str) -> datetime:
    """The instant, in UTC, that `text` (YYYY-MM-DDTHH:MM[:SS]) means on a clock in the time
    zone `zone_name`. LocalTimeError for a malformed text, an unknown zone, or a wall time that
    the zone skips or shows twice."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise LocalTimeError("Pick the date and time the poll closes.")
    if not LOCAL_FORMAT.fullmatch(text):
        raise LocalTimeError(FORMAT_HINT)
    try:
        wall = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise LocalTimeError(f"{text} is not a date and time. {FORMAT_HINT}") from None
    zone = _zone(zone_name)
    earlier, later = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        # A wall time that exists comes back unchanged from UTC; a skipped one does not.
        if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            raise LocalTimeError(
                f"{_spoken(wall)} does not exist in {zone_name}: the clocks go forward then. "
                "Pick another time."
            )
        raise LocalTimeError(
            f"{_spoken(wall)} happens twice in {zone_name}: the clocks go back then. "
            "Pick another time, or give it in UTC."
        )
    try:
        return earlier.astimezone(UTC)
    except OverflowError:
        raise LocalTimeError(f"{text} is not a date and time. {FORMAT_HINT}") from None
