"""Working time, decided once: when a person can be sent a routine message, and deadlines
counted in working hours or in clock hours. Pure functions of aware datetimes: the
caller passes the Clock's now, and the zone that applies (the person's, else the
program's, else UTC). Every result is UTC.

Working hours are local wall-clock times, so a daylight-saving change moves them with the
people: 09:00 in Vilnius is 07:00 UTC in summer and 06:00 UTC in winter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY_TO_FRIDAY = frozenset(range(5))  # date.weekday(): Monday is 0


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int] = MONDAY_TO_FRIDAY
    start: time = time(9)
    end: time = time(17)

    def __post_init__(self) -> None:
        if not self.days or not self.start < self.end:
            raise ValueError("working hours need at least one day and a start before the end")

    @property
    def per_day(self) -> timedelta:
        day = date(2000, 1, 1)
        return datetime.combine(day, self.end) - datetime.combine(day, self.start)


DEFAULT_HOURS = WorkingHours()


def zone_for(*names: str | None) -> ZoneInfo:
    """The first of `names` that is a real IANA zone (a person's, then the program's);
    UTC when none is."""
    for name in names:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def next_working_slot(
    at: datetime, zone: ZoneInfo, hours: WorkingHours = DEFAULT_HOURS
) -> datetime:
    """`at` itself when it falls inside working hours in `zone`, else the start of the
    next working period."""
    local = at.astimezone(zone)
    for day in _days_from(local.date()):
        opens, closes = _period(day, zone, hours)
        if day.weekday() not in hours.days or local >= closes:
            continue
        return max(opens, local).astimezone(UTC)
    raise AssertionError("a week always holds a working day")  # pragma: no cover


def add_working_time(
    start: datetime, duration: timedelta, zone: ZoneInfo, hours: WorkingHours = DEFAULT_HOURS
) -> datetime:
    """The moment `duration` of working time has passed since `start`: time outside
    working hours does not count. A working day is `hours.per_day` (8 hours by default),
    so 1 working day from Friday 15:00 is Monday 15:00."""
    if duration < timedelta(0):
        raise ValueError("a deadline lies ahead")
    left = duration
    at = next_working_slot(start, zone, hours).astimezone(zone)
    while True:
        _, closes = _period(at.date(), zone, hours)
        if at + left <= closes:
            return (at + left).astimezone(UTC)
        left -= closes - at
        at = next_working_slot(closes, zone, hours).astimezone(zone)


def add_working_days(
    start: datetime, days: float, zone: ZoneInfo, hours: WorkingHours = DEFAULT_HOURS
) -> datetime:
    return add_working_time(start, hours.per_day * days, zone, hours)


def add_clock_time(start: datetime, duration: timedelta) -> datetime:
    """A deadline in clock hours, at any hour (high-severity concerns)."""
    return (start + duration).astimezone(UTC)


def _days_from(first: date) -> list[date]:
    return [first + timedelta(days=n) for n in range(8)]


def _period(day: date, zone: ZoneInfo, hours: WorkingHours) -> tuple[datetime, datetime]:
    """That day's working period in `zone`. A start that falls in a daylight-saving gap
    (none does at 09:00, but a program may set 02:30) is normalised through UTC."""
    opens = datetime.combine(day, hours.start, tzinfo=zone)
    closes = datetime.combine(day, hours.end, tzinfo=zone)
    return _real(opens, zone), _real(closes, zone)


def _real(local: datetime, zone: ZoneInfo) -> datetime:
    return local.astimezone(UTC).astimezone(zone)
