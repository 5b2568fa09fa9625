"""Deadlines as people type and read them: `30m`, `1h`, `2d`, kept as whole minutes. A day is
24 hours of clock time for high severity, and one working day (8 working hours) for normal."""

from __future__ import annotations

import re

from handlers.working_time import DEFAULT_HOURS

CLOCK_DAY = 24 * 60
WORKING_DAY = int(DEFAULT_HOURS.per_day.total_seconds()) // 60
SPAN = re.compile(r"([0-9]{1,5})([mhd])")
MINUTES_IN = {"m": 1, "h": 60}


def parse_minutes(typed: str, *, day: int) -> int | None:
    """`30m`, `1h`, `2d` as minutes (a day being `day` minutes); None if it is not one."""
    found = SPAN.fullmatch(typed.strip().lower())
    if found is None:
        return None
    return int(found[1]) * MINUTES_IN.get(found[2], day)


def short(minutes: int, *, day: int) -> str:
    """The shortest way to type it again: 90 → `90m`, 120 → `2h`, a day → `1d`."""
    if minutes % day == 0:
        return f"{minutes // day}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def in_words(minutes: int, *, working: bool) -> str:
    """`1 hour`, `30 minutes`, `2 working days`, `4 working hours`."""
    day, kind = (WORKING_DAY, "working ") if working else (CLOCK_DAY, "")
    for size, unit in ((day, f"{kind}day"), (60, f"{kind}hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("every whole number of minutes divides by 1")  # pragma: no cover
