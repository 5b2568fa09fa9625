"""The escalation policy's arithmetic: severity, the steps of a walk and when each falls due,
across a weekend, a night, a daylight-saving change and a time-zone difference between the
program and the people at its levels; and deadlines as typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.escalation.durations import CLOCK_DAY, WORKING_DAY, in_words, parse_minutes, short
from handlers.escalation.policy import (
    HIGH,
    NORMAL,
    Next,
    Policy,
    Step,
    policy_of,
    severity_of,
    step_after,
)
from storage.models import Program

VILNIUS = ZoneInfo("Europe/Vilnius")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def walk(
    policy: Policy, severity: str, raised: datetime, *, levels: int = 2, steps: int = 6
) -> list[tuple[Step, datetime]]:
    """The walk as the sweeps would take it, no one acknowledging: each step and its time."""
    taken: list[tuple[Step, datetime]] = []
    step, told_at, at = Step(1, 0), raised, raised
    while len(taken) < steps:
        taken.append((step, at))
        after = step_after(
            step, severity=severity, last_level=levels, repeat_high=policy.repeat_high
        )
        if after is None:
            break
        at = policy.due(severity, told_at, after.deadlines)
        if after.step.reminder == 0:
            told_at = at
        step = after.step
    return taken


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("confidentiality", HIGH),
        ("conduct", HIGH),
        ("missed-preparation", NORMAL),
        ("missed-meeting", NORMAL),
        ("mismatch", NORMAL),
        ("other", NORMAL),
    ],
)
def test_confidentiality_and_conduct_are_high_and_every_other_kind_normal(kind, severity) -> None:
    assert severity_of(kind) == severity


def test_high_does_not_wait_for_the_morning_and_repeats_at_the_last_level() -> None:
    saturday_night = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert walk(Policy(), HIGH, saturday_night) == [
        (Step(1, 0), saturday_night),  # the managers told at once
        (Step(1, 1), saturday_night + timedelta(hours=1)),  # reminded once
        (Step(2, 0), saturday_night + timedelta(hours=2)),  # the backups told, at 04:00
        (Step(2, 1), saturday_night + timedelta(hours=3)),
        (Step(2, 2), saturday_night + timedelta(hours=4)),  # and again every hour
        (Step(2, 3), saturday_night + timedelta(hours=5)),
    ]


def test_high_without_repeats_reminds_the_last_level_once() -> None:
    raised = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    thirty = Policy(high=timedelta(minutes=30), repeat_high=False)
    assert walk(thirty, HIGH, raised) == [
        (Step(1, 0), raised),
        (Step(1, 1), raised + timedelta(minutes=30)),
        (Step(2, 0), raised + timedelta(minutes=60)),
        (Step(2, 1), raised + timedelta(minutes=90)),
    ]


def test_a_program_without_backups_repeats_high_at_its_managers() -> None:
    raised = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert walk(Policy(), HIGH, raised, levels=1, steps=4) == [
        (Step(1, 0), raised),
        (Step(1, 1), raised + timedelta(hours=1)),
        (Step(1, 2), raised + timedelta(hours=2)),
        (Step(1, 3), raised + timedelta(hours=3)),
    ]


def test_normal_counts_working_hours_across_a_weekend() -> None:
    policy = Policy(zone=VILNIUS)
    friday_afternoon = local(VILNIUS, 2026, 11, 27, 15, 0)
    assert walk(policy, NORMAL, friday_afternoon) == [
        (Step(1, 0), friday_afternoon),
        (Step(1, 1), local(VILNIUS, 2026, 11, 30, 15, 0)),  # Monday 15:00
        (Step(2, 0), local(VILNIUS, 2026, 12, 1, 15, 0)),  # Tuesday 15:00
        (Step(2, 1), local(VILNIUS, 2026, 12, 2, 15, 0)),  # reminded once, no more
    ]


def test_normal_waits_out_the_night() -> None:
    policy = Policy(zone=VILNIUS)
    tuesday_night = local(VILNIUS, 2026, 11, 24, 22, 0)
    steps = walk(policy, NORMAL, tuesday_night)
    # The working day starts at 09:00 on Wednesday: a day of it has passed at 17:00.
    assert steps[1] == (Step(1, 1), local(VILNIUS, 2026, 11, 25, 17, 0))
    assert steps[2] == (Step(2, 0), local(VILNIUS, 2026, 11, 26, 17, 0))


def test_a_shorter_normal_deadline_in_working_hours() -> None:
    policy = Policy(normal=timedelta(hours=4), zone=VILNIUS)
    thursday = local(VILNIUS, 2026, 11, 26, 15, 0)
    steps = walk(policy, NORMAL, thursday)
    # 2 hours on Thursday, 2 on Friday morning; then 4 more by Friday 15:00.
    assert [at for _, at in steps[1:3]] == [
        local(VILNIUS, 2026, 11, 27, 11, 0),
        local(VILNIUS, 2026, 11, 27, 15, 0),
    ]


def test_normal_across_the_autumn_daylight_saving_change() -> None:
    # Vilnius leaves summer time (UTC+3 → UTC+2) in the night to Sunday 25 October 2026.
    policy = Policy(zone=VILNIUS)
    friday = local(VILNIUS, 2026, 10, 23, 15, 0)
    steps = walk(policy, NORMAL, friday)
    monday = steps[1][1]
    assert monday == local(VILNIUS, 2026, 10, 26, 15, 0)  # 15:00 on the wall clock still
    assert (friday.astimezone(UTC).hour, monday.astimezone(UTC).hour) == (12, 13)


def test_high_across_the_daylight_saving_change_is_clock_time() -> None:
    # 03:30 summer time is 00:30 UTC; an hour later the clocks have gone back: 03:30 again.
    policy = Policy(zone=VILNIUS)
    raised = local(VILNIUS, 2026, 10, 25, 3, 30)
    reminded = policy.due(HIGH, raised, 1)
    assert reminded - raised.astimezone(UTC) == timedelta(hours=1)
    assert reminded.astimezone(VILNIUS).strftime("%H:%M %Z") == "03:30 EET"
    assert raised.strftime("%H:%M %Z") == "03:30 EEST"


def test_normal_in_the_programs_zone_not_the_persons_at_each_level() -> None:
    """The levels' people may live anywhere: a normal concern's deadlines are the program's
    working hours (a backup in Tokyo is told at 17:00 New York time, their early morning)."""
    program = Program(name="P", name_key="p", timezone="America/New_York", created_at=_now())
    utc_program = Program(name="Q", name_key="q", created_at=_now())
    raised = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York, 14:00 in London
    new_york = walk(policy_of(program), NORMAL, raised)
    assert new_york[2] == (Step(2, 0), datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
    assert new_york[2][1].astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %H:%M") == "Wed 07:00"
    # The same concern in a program on UTC's working hours moves at other times.
    assert walk(policy_of(utc_program), NORMAL, raised)[2][1] == datetime(
        2026, 11, 25, 14, 0, tzinfo=UTC
    )


def test_policy_of_a_program_reads_its_settings() -> None:
    program = Program(
        name="P",
        name_key="p",
        timezone="Europe/Vilnius",
        ack_high_minutes=30,
        ack_normal_minutes=2 * WORKING_DAY,
        repeat_high=False,
        created_at=_now(),
    )
    assert policy_of(program) == Policy(
        high=timedelta(minutes=30), normal=timedelta(hours=16), repeat_high=False, zone=VILNIUS
    )
    assert policy_of(Program(name="Q", name_key="q", created_at=_now())) == Policy()


def test_after_a_level_grew_while_repeating_the_next_level_is_told_at_once() -> None:
    # At level 1 as the last level, reminded three times; then backups were added.
    assert step_after(Step(1, 3), severity=HIGH, last_level=2, repeat_high=True) == Next(
        Step(2, 0), 4
    )


def test_step_keys_name_the_concern_level_and_reminder_and_read_back() -> None:
    step = Step(2, 3)
    assert step.key(41) == "escalation:41:level:2:reminder:3"
    assert Step.from_key(step.key(41)) == step
    assert Step.from_key(step.key(41) + ":wait:1790000000") == step


@pytest.mark.parametrize(
    ("typed", "day", "minutes"),
    [
        ("30m", CLOCK_DAY, 30),
        ("1h", CLOCK_DAY, 60),
        ("2d", CLOCK_DAY, 2880),
        ("2d", WORKING_DAY, 960),
        ("4H", WORKING_DAY, 240),
        ("1.5h", CLOCK_DAY, None),
        ("h", CLOCK_DAY, None),
        ("-1h", CLOCK_DAY, None),
        ("1w", CLOCK_DAY, None),
        ("١h", CLOCK_DAY, None),  # an Arabic-Indic digit is not a number here
    ],
)
def test_deadlines_as_typed(typed: str, day: int, minutes: int | None) -> None:
    assert parse_minutes(typed, day=day) == minutes


def test_deadlines_written_back_and_in_words() -> None:
    assert [short(m, day=CLOCK_DAY) for m in (30, 60, 90, 1440)] == ["30m", "1h", "90m", "1d"]
    assert [short(m, day=WORKING_DAY) for m in (480, 960, 240)] == ["1d", "2d", "4h"]
    assert in_words(60, working=False) == "1 hour"
    assert in_words(30, working=False) == "30 minutes"
    assert in_words(960, working=True) == "2 working days"
    assert in_words(240, working=True) == "4 working hours"


def _now() -> datetime:
    return datetime(2026, 11, 23, tzinfo=UTC)
