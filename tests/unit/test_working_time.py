"""Working time across time zones, daylight-saving changes, weekends and year ends."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.cadence import Cadence, parse_cadence
from handlers.working_time import (
    WorkingHours,
    add_clock_time,
    add_working_days,
    add_working_time,
    next_working_slot,
    zone_for,
)

VILNIUS, NEW_YORK, TOKYO = (
    ZoneInfo("Europe/Vilnius"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Tokyo"),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "zone", "slot"),
    [
        # Inside working hours: now.
        (utc(2026, 11, 23, 10, 0), VILNIUS, utc(2026, 11, 23, 10, 0)),
        # Before 09:00 local (Vilnius is UTC+2 in winter): 09:00 local that day.
        (utc(2026, 11, 23, 5, 0), VILNIUS, utc(2026, 11, 23, 7, 0)),
        # After 17:00 local on a Friday: Monday 09:00.
        (utc(2026, 11, 27, 16, 0), VILNIUS, utc(2026, 11, 30, 7, 0)),
        # Saturday in Tokyo (UTC+9), which is still Friday in UTC: Monday 09:00 Tokyo.
        (utc(2026, 11, 27, 16, 0), TOKYO, utc(2026, 11, 30, 0, 0)),
        # Exactly at closing time: closed.
        (utc(2026, 11, 23, 15, 0), VILNIUS, utc(2026, 11, 24, 7, 0)),
        # Exactly at opening time: open.
        (utc(2026, 11, 23, 7, 0), VILNIUS, utc(2026, 11, 23, 7, 0)),
        # New Year's Eve, a Thursday, after hours in New York (UTC-5): Friday 1 January.
        (utc(2026, 12, 31, 23, 30), NEW_YORK, utc(2027, 1, 1, 14, 0)),
        # Saturday 2 January 2027 to Monday 4 January.
        (utc(2027, 1, 2, 12, 0), NEW_YORK, utc(2027, 1, 4, 14, 0)),
        # Daylight saving ends in Vilnius on Sunday 25 October 2026: Monday 09:00 is 06:00 UTC.
        (utc(2026, 10, 24, 12, 0), VILNIUS, utc(2026, 10, 26, 7, 0)),
        # …and begins on Sunday 29 March 2026: Monday 09:00 is 06:00 UTC.
        (utc(2026, 3, 28, 12, 0), VILNIUS, utc(2026, 3, 30, 6, 0)),
        # New York springs forward on 8 March 2026: Monday 09:00 EDT is 13:00 UTC.
        (utc(2026, 3, 7, 12, 0), NEW_YORK, utc(2026, 3, 9, 13, 0)),
    ],
)
def test_the_next_working_slot(at: datetime, zone: ZoneInfo, slot: datetime) -> None:
    assert next_working_slot(at, zone) == slot


def test_vilnius_daylight_saving_dates_as_the_table_assumes() -> None:
    assert utc(2026, 10, 26, 7, 0).astimezone(VILNIUS).hour == 9
    assert utc(2026, 3, 30, 6, 0).astimezone(VILNIUS).hour == 9


@pytest.mark.parametrize(
    ("start", "duration", "zone", "deadline"),
    [
        # 1 working day (8 h) from Friday 15:00 Vilnius is Monday 15:00.
        (utc(2026, 11, 27, 13, 0), timedelta(hours=8), VILNIUS, utc(2026, 11, 30, 13, 0)),
        # 3 hours from Monday 16:00 local: 1 hour today, 2 hours Tuesday → Tuesday 11:00.
        (utc(2026, 11, 23, 14, 0), timedelta(hours=3), VILNIUS, utc(2026, 11, 24, 9, 0)),
        # Raised on Saturday: counting starts Monday 09:00.
        (utc(2026, 11, 28, 10, 0), timedelta(hours=2), VILNIUS, utc(2026, 11, 30, 9, 0)),
        # Across the autumn change: Friday 16:00 EEST + 2 h → Monday 10:00 EET.
        (utc(2026, 10, 23, 13, 0), timedelta(hours=2), VILNIUS, utc(2026, 10, 26, 8, 0)),
        # Across the year end in New York: Thursday 31 Dec 16:00 + 4 h → Friday 1 Jan 12:00.
        (utc(2026, 12, 31, 21, 0), timedelta(hours=4), NEW_YORK, utc(2027, 1, 1, 17, 0)),
        # Nothing to wait: the next working slot itself.
        (utc(2026, 11, 28, 10, 0), timedelta(0), VILNIUS, utc(2026, 11, 30, 7, 0)),
    ],
)
def test_deadlines_in_working_hours(start, duration, zone, deadline) -> None:
    assert add_working_time(start, duration, zone) == deadline


def test_working_days_are_days_of_working_hours() -> None:
    friday_15 = utc(2026, 11, 27, 13, 0)
    assert add_working_days(friday_15, 3, VILNIUS) == utc(2026, 12, 2, 13, 0)  # Wednesday
    assert add_working_days(friday_15, 0.5, VILNIUS) == utc(2026, 11, 30, 9, 0)


def test_clock_hours_count_every_hour() -> None:
    saturday_3am = utc(2026, 11, 28, 3, 0)
    assert add_clock_time(saturday_3am, timedelta(minutes=30)) == utc(2026, 11, 28, 3, 30)


def test_other_working_hours() -> None:
    sunday_to_thursday = WorkingHours(days=frozenset({6, 0, 1, 2, 3}), start=time(8), end=time(12))
    friday = utc(2026, 11, 27, 10, 0)
    assert next_working_slot(friday, ZoneInfo("UTC"), sunday_to_thursday) == utc(2026, 11, 29, 8)
    with pytest.raises(ValueError, match="start before the end"):
        WorkingHours(start=time(17), end=time(9))


def test_the_zone_is_the_persons_else_the_programs_else_utc() -> None:
    assert zone_for("Asia/Tokyo", "Europe/Vilnius") == TOKYO
    assert zone_for(None, "Europe/Vilnius") == VILNIUS
    assert zone_for("Not/AZone", "") == ZoneInfo("UTC")
    assert zone_for() == ZoneInfo("UTC")


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from(
    [VILNIUS, NEW_YORK, TOKYO, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]
)


@given(moments, zones)
def test_a_slot_is_always_inside_working_hours_and_never_before(at, zone) -> None:
    slot = next_working_slot(at, zone)
    local = slot.astimezone(zone)
    assert slot >= at and slot - at < timedelta(days=4)
    assert local.weekday() < 5 and time(9) <= local.time() < time(17)


@given(moments, zones, st.integers(min_value=0, max_value=60 * 40))
def test_a_working_deadline_lies_in_working_hours_and_grows_with_the_time(at, zone, minutes):
    deadline = add_working_time(at, timedelta(minutes=minutes), zone)
    later = add_working_time(at, timedelta(minutes=minutes + 1), zone)
    local = deadline.astimezone(zone)
    assert deadline >= at and later > deadline
    assert local.weekday() < 5 and time(9) <= local.time() <= time(17)


# ---------------------------------------------------------------------- cadence


def test_the_default_check_in_cadence() -> None:
    cadence = parse_cadence("2w,4w,every 4w")
    start = utc(2026, 11, 23, 9)
    assert [cadence.due(start, n) for n in (1, 2, 3, 4)] == [
        utc(2026, 12, 7, 9),
        utc(2026, 12, 21, 9),
        utc(2027, 1, 18, 9),
        utc(2027, 2, 15, 9),
    ]
    assert cadence.to_text() == "2w,4w,every 4w"


def test_a_cadence_without_repeats_ends() -> None:
    cadence = parse_cadence("10d, 3W")
    assert cadence == Cadence((timedelta(days=10), timedelta(weeks=3)))
    assert cadence.offset(3) is None and cadence.to_text() == "10d,3w"
    assert parse_cadence("every 2w").offset(3) == timedelta(weeks=6)


@pytest.mark.parametrize("text", ["", "2", "2m", "every 2w,4w", "4w,2w", "0w", "2w,,4w", "1000d"])
def test_a_cadence_that_is_not_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"2w,4w,every 4w|intervals must grow"):
        parse_cadence(text)
