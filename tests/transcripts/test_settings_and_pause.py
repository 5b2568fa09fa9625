# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""`program set` for managers (timezone, checkins, weekly-cap, each checked), and
`pause`/`resume` for everyone, shown to managers in `status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from textwrap import dedent

from fakes.transcripts import run_until
from sqlmodel import select

from bot.console.session import DEMO_SETUP
from handlers.context import Work
from handlers.views import simple
from storage.db import session_factory
from storage.models import OutboxMessage, Person, Program, Subject

SETUP = [
    ("maya", 'program create "Pilot"'),
    ("maya", "enrol @sam mentee"),
    ("sam", "press 1"),
]


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def test_program_set_shows_changes_and_checks_each_setting(console, engine, rows) -> None:
    await console.setup(SETUP)
    assert await console.say("maya", "program set") == said("""
        🔒 mentorbot (only you see this):
           The settings of *Pilot*:
           timezone: not set: UTC for people whose own is unknown
           checkins: 2w,4w,every 4w
           weekly-cap: 4 routine messages a person a week
           ack-deadline: urgent 1 hour, others 1 working day
           escalation: managers, then backup managers; at the last level an urgent concern is reminded every hour until acknowledged, any other once
           To change one: `program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> [program "<name>"]`
           For example `program set timezone Europe/Vilnius`, `program set checkins 2w,4w,every 4w`, `program set weekly-cap 4`, `program set ack-deadline high 30m`, `program set escalation repeat-high off`.
    """)
    assert await console.say("maya", "program set timezone Europe/Vilnius") == said("""
        🔒 mentorbot (only you see this):
           The time zone of *Pilot* is now Europe/Vilnius.
           timezone: Europe/Vilnius
           checkins: 2w,4w,every 4w
           weekly-cap: 4 routine messages a person a week
           ack-deadline: urgent 1 hour, others 1 working day
           escalation: managers, then backup managers; at the last level an urgent concern is reminded every hour until acknowledged, any other once
    """)
    assert await console.say(
        "maya", 'program set checkins 1w, 3w, every 6w program "Pilot"'
    ) == said("""
        🔒 mentorbot (only you see this):
           The check-in cadence of *Pilot* is now 1w,3w,every 6w.
           timezone: Europe/Vilnius
           checkins: 1w,3w,every 6w
           weekly-cap: 4 routine messages a person a week
           ack-deadline: urgent 1 hour, others 1 working day
           escalation: managers, then backup managers; at the last level an urgent concern is reminded every hour until acknowledged, any other once
    """)
    assert (await console.say("maya", "program set weekly-cap 2")).splitlines()[1] == (
        "   The weekly cap of *Pilot* is now 2."
    )
    async with session_factory(engine)() as session:
        program = (await session.exec(select(Program))).one()
    assert (program.timezone, program.checkin_cadence, program.weekly_cap) == (
        "Europe/Vilnius",
        "1w,3w,every 6w",
        2,
    )
    async with rows.unchanged():
        assert await console.say("maya", "program set timezone Mars/Olympus") == said("""
            🔒 mentorbot (only you see this):
               “Mars/Olympus” is not a time zone I know: use an IANA name, as in `program set timezone Europe/Vilnius`.
               The form is: `program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> [program "<name>"]`
        """)
        assert await console.say("maya", "program set weekly-cap 21") == said("""
            🔒 mentorbot (only you see this):
               The weekly cap is a whole number from 1 to 20.
               The form is: `program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> [program "<name>"]`
        """)
        assert await console.say("maya", "program set checkins 4w,2w") == said("""
            🔒 mentorbot (only you see this):
               The intervals must grow: a list of intervals such as `2w,4w,every 4w` (d: days, w: weeks).
               The form is: `program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> [program "<name>"]`
        """)
        assert (await console.say("maya", "program set colour blue")).splitlines()[:3] == [
            "🔒 mentorbot (only you see this):",
            "   I don't know the setting “colour”: it is one of timezone, checkins, weekly-cap, ack-deadline, escalation.",
            "   The settings of *Pilot*:",
        ]
        assert await console.say("sam", "program set weekly-cap 3") == said("""
            🔒 mentorbot (only you see this):
               Only a program's managers can do that, and you don't manage a program.
        """)


async def test_pause_and_resume_and_managers_see_it(console, engine, clock) -> None:
    await console.setup(SETUP)
    assert await console.say("sam", "pause 10d") == said("""
        🔒 mentorbot (only you see this):
           Paused until Thu 03 Dec 2026, 04:00 America/New_York: check-ins, reminders and other routine messages wait until then. You can still raise a concern at any time, and it reaches the program manager at once.
           To end the pause sooner: `resume`.
    """)
    assert (await console.say("maya", "status")).splitlines()[-3:] == [
        "   *Paused:*",
        "   • @sam until Thu 03 Dec 2026, 09:00 Europe/London",
        "   (Every message has been delivered or is on its way.)",
    ]
    assert await console.say("sam", "resume") == said("""
        🔒 mentorbot (only you see this):
           Welcome back: your pause has ended, and routine messages resume.
    """)
    async with session_factory(engine)() as session:
        sam = (await session.exec(select(Person).where(Person.display_name == "Sam Carter"))).one()
    assert sam.paused_until is None
    assert "Paused" not in await console.say("maya", "status")
    assert await console.say("sam", "resume") == said("""
        🔒 mentorbot (only you see this):
           You are not paused.
    """)
    assert await console.say("sam", "pause 5w") == said("""
        🔒 mentorbot (only you see this):
           A pause lasts at most 4 weeks (`pause 4w`).
           The form is: `pause <2w|10d>`
    """)
    await console.say("sam", "pause 1w")
    clock.advance(7 * 24 * 3600 + 1)  # a pause ends by itself
    assert "Paused" not in await console.say("maya", "status")


async def test_status_says_who_is_at_the_weekly_cap(console, engine) -> None:
    await console.setup([*SETUP, ("maya", "program set weekly-cap 2")])
    deps = console.session.deps
    deps.routine_waits = True  # as in production: the cap applies to what is queued
    async with deps.sessions() as session:
        work = Work(session=session, deps=deps)
        sam = (await session.exec(select(Person).where(Person.display_name == "Sam Carter"))).one()
        program = (await session.exec(select(Program))).one()
        for n in range(3):
            await work.say(
                f"prompt:{n}", sam, simple("hi"), subject=Subject.OTHER, program_id=program.id
            )
        await session.commit()
        due = (
            await session.exec(select(OutboxMessage.next_attempt_at).order_by(OutboxMessage.id))
        ).all()
    # Sam is in New York: the third waits for Monday 09:00 there, next week.
    assert [str(at) for at in due[-3:]] == [
        "2026-11-23 14:00:00+00:00",
        "2026-11-23 14:00:00+00:00",
        "2026-11-30 14:00:00+00:00",
    ]
    assert (await console.say("maya", "status")).splitlines()[-3:] == [
        "   *At the weekly cap (2) this week, the rest waits:*",
        "   • @sam",
        "   (Every message has been delivered or is on its way.)",
    ]


async def _prompt_times(console) -> list[str]:
    async with console.session.deps.sessions() as session:
        query = (
            select(OutboxMessage.next_attempt_at)
            .where(OutboxMessage.subject == Subject.CHECKIN)
            .order_by(OutboxMessage.id)
        )
        return [f"{at:%a %d %b %H:%M}" for at in (await session.exec(query)).all()]


async def test_pause_holds_what_was_queued_and_resume_brings_it_back(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    console.session.deps.routine_waits = True  # as in production
    await console.say("maya", "checkin @sam")  # Monday 09:00 UTC: 04:00 for Sam in New York
    assert await _prompt_times(console) == ["Mon 23 Nov 14:00"]  # 09:00 in New York
    await console.say("sam", "pause 1w")  # until Monday 30 November, 09:00 UTC
    assert await _prompt_times(console) == ["Mon 30 Nov 14:00"]
    clock.advance(24 * 3600)
    await console.say("sam", "resume")
    assert await _prompt_times(console) == ["Tue 24 Nov 14:00"]


async def test_a_round_held_by_a_pause_is_asked_once_they_resume(console, clock) -> None:
    await console.setup(DEMO_SETUP)  # paired Monday 23 November: round 1 two weeks on
    console.session.deps.routine_waits = True
    clock.advance(13 * 24 * 3600)
    await console.say("sam", "pause 2w")  # Sunday 6 December, until Sunday 20th
    tuesday = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert await run_until(console, clock, tuesday) == [
        "Mon 07 Dec 09:00 UTC DM to @omar: How is it going with @sam?",
    ]
    clock.advance((tuesday - clock.now()).total_seconds())
    await console.say("sam", "resume")
    assert await run_until(console, clock, tuesday + timedelta(days=1)) == [
        "Tue 08 Dec 14:00 UTC DM to @sam: How is it going with @omar?",  # 09:00 New York
    ]
