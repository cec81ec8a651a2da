"""polls/local_time.py: a wall time in a named time zone made into one instant, or refused."""

from datetime import UTC, datetime

import pytest

from polls.local_time import (
    FORMAT_HINT,
    PICK_ZONE,
    LocalTimeError,
    local_to_utc,
    time_zone_groups,
    time_zone_names,
)


@pytest.mark.parametrize(
    ("text", "zone", "instant"),
    [
        ("2030-07-01T12:00", "UTC", datetime(2030, 7, 1, 12, 0, tzinfo=UTC)),
        ("2030-07-01 12:00", "Europe/London", datetime(2030, 7, 1, 11, 0, tzinfo=UTC)),
        ("2030-01-15T09:30:15", "Asia/Tokyo", datetime(2030, 1, 15, 0, 30, 15, tzinfo=UTC)),
        ("2030-07-01T12:00", "America/New_York", datetime(2030, 7, 1, 16, 0, tzinfo=UTC)),
        # An old name a browser may still give (Chromium's ICU says Asia/Calcutta).
        ("2030-07-01T12:00", "Asia/Calcutta", datetime(2030, 7, 1, 6, 30, tzinfo=UTC)),
        ("2030-07-01T12:00", "Asia/Kathmandu", datetime(2030, 7, 1, 6, 15, tzinfo=UTC)),
    ],
)
def test_a_wall_time_in_a_zone_is_the_instant_it_means(text, zone, instant):
    assert local_to_utc(text, zone) == instant


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        (
            "2030-03-31T01:30",
            "Europe/London",
            "31 March 2030, 01:30 does not exist in Europe/London: the clocks go forward "
            "then. Pick another time.",
        ),
        (
            "2030-03-10T02:30",
            "America/New_York",
            "10 March 2030, 02:30 does not exist in America/New_York: the clocks go forward "
            "then. Pick another time.",
        ),
        (
            "2030-10-27T01:30",
            "Europe/London",
            "27 October 2030, 01:30 happens twice in Europe/London: the clocks go back then. "
            "Pick another time, or give it in UTC.",
        ),
        (
            "2030-04-07T02:30",
            "Australia/Sydney",
            "7 April 2030, 02:30 happens twice in Australia/Sydney: the clocks go back then. "
            "Pick another time, or give it in UTC.",
        ),
    ],
)
def test_a_time_the_clocks_skip_or_repeat_is_refused_with_words_saying_which(text, zone, message):
    with pytest.raises(LocalTimeError) as raised:
        local_to_utc(text, zone)
    assert raised.value.message == message


def test_the_minutes_either_side_of_a_change_are_accepted():
    assert local_to_utc("2030-03-31T00:59", "Europe/London") == datetime(
        2030, 3, 31, 0, 59, tzinfo=UTC
    )
    assert local_to_utc("2030-03-31T02:00", "Europe/London") == datetime(
        2030, 3, 31, 1, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Pick the date and time the poll closes."),
        ("   ", "Pick the date and time the poll closes."),
        (None, "Pick the date and time the poll closes."),
        ("tomorrow", FORMAT_HINT),
        ("2030-07-01", FORMAT_HINT),
        ("2030-07-01T12:00+02:00", FORMAT_HINT),
        ("2030-07-01T12:00Z", FORMAT_HINT),
        ("2030-02-30T12:00", f"2030-02-30T12:00 is not a date and time. {FORMAT_HINT}"),
        ("2030-07-01T25:00", f"2030-07-01T25:00 is not a date and time. {FORMAT_HINT}"),
        ("9999-12-31T23:59", f"9999-12-31T23:59 is not a date and time. {FORMAT_HINT}"),
    ],
)
def test_a_malformed_date_and_time_is_refused(text, message):
    zone = "Pacific/Honolulu"  # behind UTC: the last day of year 9999 is past UTC's
    with pytest.raises(LocalTimeError) as raised:
        local_to_utc(text, zone)
    assert raised.value.message == message


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "../../etc/passwd", "posix/UTC"])
def test_a_zone_not_in_the_list_is_refused(zone):
    with pytest.raises(LocalTimeError) as raised:
        local_to_utc("2030-07-01T12:00", zone)
    assert raised.value.message == PICK_ZONE


def test_the_zones_are_utc_first_then_by_region():
    names = time_zone_names()
    assert names[0] == "UTC"
    assert {"Europe/Paris", "America/New_York", "Asia/Calcutta", "Asia/Kolkata"} <= set(names)
    groups = dict(time_zone_groups())
    assert ("America/New_York", "America/New York") in groups["America"]
    assert ("UTC", "UTC") in groups["Other"]
    assert list(groups)[-1] == "Other"
