"""The escalation policy's arithmetic, pure: a concern's severity, when each step of its walk
falls due, and which step follows which.

A walk is a sequence of steps. Step (n, 0) tells level n (1: the program's managers, 2: its
backup managers); step (n, k) for k ≥ 1 reminds level n the k-th time. From the moment
level n was told, one deadline later it is reminded once; two deadlines later the next
level is told. At the last level a high-severity concern is reminded again every deadline
until someone acknowledges it (if the program says so); a normal one is reminded once.

Deadlines of high severity are clock time, at any hour; normal ones are working time in
the program's working hours (its time zone, else UTC), so a normal concern raised on a
Friday evening is first reminded on Monday."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.working_time import DEFAULT_HOURS, WorkingHours, add_working_time, zone_for
from storage.models import Program

HIGH, NORMAL = "high", "normal"
HIGH_KINDS = frozenset({"confidentiality", "conduct"})
FIRST_LEVEL, LAST_LEVEL = 1, 2  # the managers, the backup managers


def severity_of(kind: str) -> str:
    """`confidentiality` and `conduct` are high, every other kind normal (a concern raised
    from a check-in has the kind its answer chose, and so that kind's severity)."""
    return HIGH if kind in HIGH_KINDS else NORMAL


@dataclass(frozen=True)
class Policy:
    high: timedelta = timedelta(hours=1)  # clock time
    normal: timedelta = DEFAULT_HOURS.per_day  # working time: one working day
    repeat_high: bool = True
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: WorkingHours = DEFAULT_HOURS

    def deadline(self, severity: str) -> timedelta:
        return self.high if severity == HIGH else self.normal

    def due(self, severity: str, told_at: datetime, deadlines: int) -> datetime:
        """When `deadlines` deadlines have passed since a level was told at `told_at`."""
        if severity == HIGH:  # in UTC: local wall-clock arithmetic would skip a DST hour
            return told_at.astimezone(UTC) + self.high * deadlines
        return add_working_time(told_at, self.normal * deadlines, self.zone, self.hours)


def policy_of(program: Program) -> Policy:
    return Policy(
        high=timedelta(minutes=program.ack_high_minutes),
        normal=timedelta(minutes=program.ack_normal_minutes),
        repeat_high=program.repeat_high,
        zone=zone_for(program.timezone),
    )


@dataclass(frozen=True, order=True)
class Step:
    level: int
    reminder: int  # 0: the level is told; 1, 2, …: it is reminded

    def key(self, concern_id: int) -> str:
        """The due item's key: each step of each walk is scheduled, and taken, once."""
        return f"escalation:{concern_id}:level:{self.level}:reminder:{self.reminder}"

    @classmethod
    def from_key(cls, key: str) -> Step:
        """The step a due item's key names (with or without a suffix a wait added)."""
        parts = key.split(":")
        return cls(int(parts[3]), int(parts[5]))


@dataclass(frozen=True)
class Next:
    step: Step
    deadlines: int  # how many deadlines after its level was told it falls due


def step_after(step: Step, *, severity: str, last_level: int, repeat_high: bool) -> Next | None:
    """The step that follows `step`, or None when the walk has nowhere left to go. A level
    told is reminded one deadline later; the next level is told two deadlines after its
    predecessor was (or at once, if the levels grew while reminders were repeating); at the
    last level only a high-severity concern is reminded again, every deadline."""
    if step.reminder == 0:
        return Next(Step(step.level, 1), 1)
    if step.level < last_level:
        return Next(Step(step.level + 1, 0), max(2, step.reminder + 1))
    if severity == HIGH and repeat_high:
        return Next(Step(step.level, step.reminder + 1), step.reminder + 1)
    return None
