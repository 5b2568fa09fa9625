# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""The escalation policy in the console, with the injected clock: a concern no one
acknowledges is reminded to its managers once, then sent to its backup managers with its
history, and an urgent one is repeated there every deadline; acknowledging at any step,
by anyone at any level, stops the walk and updates every copy in place.

Maya (Europe/London) manages Demo Mentoring, Priya (Asia/Kolkata) is its backup manager;
Omar mentors Sam (America/New_York). The program has no time zone: its working hours are
UTC's, Monday to Friday 09:00 to 17:00."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest
from conftest import Transcript
from sqlalchemy import delete, event, update
from sqlmodel import select

from bot.app import build_runtime
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, ConsoleDirectory
from bot.console.session import DEMO_SETUP, ConsoleSession
from bot.settings import Settings
from handlers import due_work
from storage import due
from storage.models import Concern, DueItem, DueStatus, OutboxMessage, Subject

HOUR, DAY = 3600, 24 * 3600
WITH_BACKUP = [*DEMO_SETUP, ("maya", "managers add @priya backup")]
NOT_TOLD = "   (The other member of the pair has not been told.)"
ZONES = {"maya": "Europe/London", "priya": "Asia/Kolkata"}


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def sweep(console, clock, seconds: float) -> str:
    """Time passes; the due sweep runs, as the schedule does every 30 s, and what it queued
    is delivered."""
    start = len(console.lines)
    clock.advance(seconds)
    await due_work.run_due(console.session.deps)
    await console.session.drain()
    return "\n".join(console.lines[start:])


def at(who: str, utc: datetime) -> str:
    """`utc` as `who` reads it."""
    local = utc.astimezone(ZoneInfo(ZONES[who]))
    return f"{local:%a %d %b %Y, %H:%M} {ZONES[who]}"


def dm(
    to: str,
    buttons: int,
    *,
    raised: datetime,
    kind: str = "Urgent concern: conduct",
    words: str = "He shouts at me",
    lead: str | None = None,
    reminder: bool = False,
    history: tuple[tuple[datetime, str], ...] = (),
    ahead: str | None = None,
) -> str:
    """A manager's copy of Sam's concern about his pair with Omar, as the console prints it."""
    lines = [f"📨 DM to @{to}", f"   *{kind}{' (reminder)' if reminder else ''}*"]
    if lead:
        lines.append(f"   *{lead}*")
    lines += [
        "   Program: Demo Mentoring",
        "   Pair: @omar (mentor) and @sam (mentee)",
        "   Raised by: @sam",
        f"   Raised: {at(to, raised)}",
        f"   > {words}",
    ]
    if history:
        lines.append("   *History*")
        lines += [f"   • {at(to, when)} · {what}" for when, what in history]
    lines.append(f"   [{buttons}: Acknowledge]  [{buttons + 1}: Resolve]")
    if ahead:
        lines.append(f"   ({ahead})")
    lines.append(NOT_TOLD)
    return "\n".join(lines)


MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock's start: a Monday morning


def hours(n: float) -> datetime:
    return MON_9 + timedelta(hours=n)


STILL_OPEN = "No one has acknowledged this concern yet."


async def test_an_urgent_concern_walks_the_levels_hour_by_hour_and_repeats_at_the_backups(
    console, clock
) -> None:
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')  # Maya told at 09:00
    assert await sweep(console, clock, HOUR - 60) == ""
    # 10:00: Maya is reminded, in a new DM, once.
    assert await sweep(console, clock, 60) == dm(
        "maya",
        7,
        raised=MON_9,
        reminder=True,
        lead=STILL_OPEN,
        ahead="If no one acknowledges it by Mon 23 Nov 2026, 11:00 Europe/London, the backup managers will be told.",
    )
    assert await sweep(console, clock, HOUR - 60) == ""
    # 11:00: Priya, the backup, is sent it with its history, in her own time zone.
    assert await sweep(console, clock, 60) == dm(
        "priya",
        9,
        raised=MON_9,
        lead="Escalated to you, a backup manager: no manager has acknowledged it in time.",
        history=((hours(0), "sent to @maya"), (hours(1), "reminder to @maya")),
    )
    # 12:00, 13:00, …: the last level is reminded every hour until someone acknowledges it.
    history = (
        (hours(0), "sent to @maya"),
        (hours(1), "reminder to @maya"),
        (hours(2), "sent to @priya"),
    )
    assert await sweep(console, clock, HOUR) == dm(
        "priya",
        11,
        raised=MON_9,
        reminder=True,
        lead=STILL_OPEN,
        history=history,
        ahead="You will be reminded every hour until someone acknowledges it.",
    )
    assert await sweep(console, clock, HOUR - 60) == ""
    assert await sweep(console, clock, 60) == dm(
        "priya",
        13,
        raised=MON_9,
        reminder=True,
        lead=f"{STILL_OPEN[:-1]}: reminder 2.",
        history=(*history, (hours(3), "reminder to @priya")),
        ahead="You will be reminded every hour until someone acknowledges it.",
    )


def acknowledged(to: str, message: int, button: int, by: str, history: tuple) -> str:
    lines = [
        f"✏️  DM to @{to} updated (message {message})",
        "   *Urgent concern: conduct*",
        "   Program: Demo Mentoring",
        "   Pair: @omar (mentor) and @sam (mentee)",
        "   Raised by: @sam",
        f"   Raised: {at(to, MON_9)}",
        "   > He shouts at me",
        "   *History*",
        *(f"   • {at(to, when)} · {what}" for when, what in history),
        f"   *Acknowledged by{' you*' if by == to else '* @' + by} · {at(to, hours(4))}",
        f"   [{button}: Resolve]",
    ]
    return "\n".join(lines)


async def test_the_backup_acknowledging_stops_the_walk_and_updates_every_copy_in_place(
    console, clock
) -> None:
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    for _ in range(4):  # reminded, escalated, repeated twice: 13:00
        await sweep(console, clock, HOUR)
    history = (
        (hours(0), "sent to @maya"),
        (hours(1), "reminder to @maya"),
        (hours(2), "sent to @priya"),
        (hours(3), "reminder to @priya"),
        (hours(4), "reminder to @priya"),
    )
    # Every copy, the DMs that told them and each reminder, says who took it.
    assert await console.say("priya", "press 13") == "\n".join(
        [
            "   @priya pressed [Acknowledge]",
            "🔒 mentorbot (only you see this):",
            "   You acknowledged the concern. The other managers can see that you have it.",
            "   (@sam, who raised it, has been told that you acknowledged it.)",
            acknowledged("maya", 7, 15, "priya", history),
            acknowledged("maya", 8, 16, "priya", history),
            acknowledged("priya", 9, 17, "priya", history),
            acknowledged("priya", 10, 18, "priya", history),
            acknowledged("priya", 11, 19, "priya", history),
            "📨 DM to @sam",
            "   The concern you raised about your pair with @omar in *Demo Mentoring* (conduct, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @priya.",
            "   (I will tell you when it is resolved. Your partner has not been told.)",
        ]
    )
    # Nothing more, ever: no step of the walk is left.
    assert await sweep(console, clock, 7 * DAY) == ""
    assert await pending_steps(console) == []


async def pending_steps(console) -> list[str]:
    async with console.session.deps.sessions() as session:
        query = select(DueItem.key).where(
            DueItem.status == DueStatus.PENDING,
            DueItem.concern_id.is_not(None),  # type: ignore[union-attr]
        )
        return list((await session.exec(query)).all())


@pytest.mark.parametrize(
    ("steps", "who", "button"),
    [
        (0, "maya", "press 5"),  # before the reminder
        (1, "maya", "press 7"),  # after it, on the reminder's own button
        (2, "priya", "press 9"),  # the backup, once told
        (2, "maya", "concern ack 1"),  # the manager, after the backup was told
        (3, "priya", "press 11"),  # at the last level, after a repeat
    ],
)
async def test_acknowledging_at_any_step_by_anyone_stops_the_walk(
    console, clock, steps: int, who: str, button: str
) -> None:
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    for _ in range(steps):
        await sweep(console, clock, HOUR)
    answer = await console.say(who, button)
    assert "You acknowledged the concern." in answer
    assert await pending_steps(console) == []
    assert await sweep(console, clock, 7 * DAY) == ""


async def test_a_normal_concern_waits_out_the_night_and_the_weekend_but_the_backup_is_told_in_her_night(
    console, clock
) -> None:
    await console.setup(WITH_BACKUP)
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    clock.advance((friday_evening - clock.now()).total_seconds())
    await console.say("sam", 'concern missed-meeting "He never comes"')
    # No working hours until Monday 09:00: one working day has passed at Monday 17:00.
    monday_17 = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert await sweep(console, clock, (monday_17 - clock.now()).total_seconds() - 60) == ""
    assert await sweep(console, clock, 60) == dm(
        "maya",
        7,
        raised=friday_evening,
        kind="Concern: missed meeting",
        words="He never comes",
        reminder=True,
        lead=STILL_OPEN,
        ahead="If no one acknowledges it by Tue 01 Dec 2026, 17:00 Europe/London, the backup managers will be told.",
    )
    # Tuesday 17:00 in the program's hours is 22:30 for Priya: she is told at once all the same.
    assert await sweep(console, clock, DAY - 60) == ""
    told = await sweep(console, clock, 60)
    assert told == dm(
        "priya",
        9,
        raised=friday_evening,
        kind="Concern: missed meeting",
        words="He never comes",
        lead="Escalated to you, a backup manager: no manager has acknowledged it in time.",
        history=((friday_evening, "sent to @maya"), (monday_17, "reminder to @maya")),
    )
    assert "Tue 01 Dec" not in told  # the history is up to when she was told
    # Wednesday 17:00: reminded once; a normal concern is not repeated.
    assert (await sweep(console, clock, DAY)).startswith(
        "📨 DM to @priya\n   *Concern: missed meeting (reminder)*"
    )
    assert await pending_steps(console) == []
    assert "Concern" not in await sweep(console, clock, 14 * DAY)  # check-ins only


async def test_an_urgent_concern_does_not_wait_for_the_morning(console, clock) -> None:
    await console.setup(WITH_BACKUP)
    saturday_2 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    clock.advance((saturday_2 - clock.now()).total_seconds())
    await console.say("sam", 'concern confidentiality "He told the team what I said"')
    assert await sweep(console, clock, HOUR - 60) == ""
    assert (await sweep(console, clock, 60)).startswith(
        "📨 DM to @maya\n   *Urgent concern: confidentiality (reminder)*"
    )
    assert (await sweep(console, clock, HOUR)).startswith(
        "📨 DM to @priya\n   *Urgent concern: confidentiality*\n"
        "   *Escalated to you, a backup manager: no manager has acknowledged it in time.*"
    )


# ---------------------------------------------------------------------- restarts and replicas


async def test_a_restart_between_steps_neither_repeats_nor_skips_a_step(
    console, clock, engine
) -> None:
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    await sweep(console, clock, HOUR)  # 10:00: Maya reminded
    # The bot restarts: a new process on the same database, with nothing in memory.
    lines: list[str] = []
    restarted = Transcript(new_session(engine, clock, lines), lines)
    assert await sweep(restarted, clock, 0) == ""  # the reminder is not sent again
    told = await sweep(restarted, clock, HOUR)  # 11:00: Priya told, once
    assert told.startswith("📨 DM to @priya\n   *Urgent concern: conduct*\n   *Escalated")
    assert told.count("📨") == 1
    assert await sweep(restarted, clock, 0) == ""
    assert (await sweep(restarted, clock, HOUR)).startswith(  # 12:00: reminded, not skipped
        "📨 DM to @priya\n   *Urgent concern: conduct (reminder)*"
    )


async def test_a_step_taken_again_sends_nothing_twice(console, clock) -> None:
    """Whatever takes a step a second time (a replica whose claim outlived a crash) finds its
    messages' keys taken and its next step scheduled already."""
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    await sweep(console, clock, HOUR)
    async with console.session.deps.sessions() as session, session.begin():
        await session.exec(
            update(DueItem)
            .where(DueItem.key == "escalation:1:level:1:reminder:1")  # type: ignore[arg-type]
            .values(status=DueStatus.PENDING)
        )
    assert await sweep(console, clock, 0) == ""
    assert await pending_steps(console) == ["escalation:1:level:2:reminder:0"]


async def test_two_replicas_sweeping_at_once_take_each_step_once(
    console, clock, engine, database
) -> None:
    if database != "postgres":
        pytest.skip("replicas share a PostgreSQL database (SQLite is one process)")
    await console.setup(WITH_BACKUP)
    for n in range(12):
        await console.say("sam", f'concern conduct "Number {n}"')
    clock.advance(HOUR)
    first, second = new_session(engine, clock, []), new_session(engine, clock, [])
    await asyncio.gather(
        due_work.run_due(first.deps, batch=5), due_work.run_due(second.deps, batch=5)
    )
    async with console.session.deps.sessions() as session:
        reminders = (
            await session.exec(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.subject == Subject.ESCALATION)
            )
        ).all()
    assert sorted(reminders) == sorted(f"escalation:{n}:level:1:reminder:1:1" for n in range(1, 13))
    assert sorted(await pending_steps(console)) == sorted(
        f"escalation:{n}:level:2:reminder:0" for n in range(1, 13)
    )


def new_session(engine, clock, lines: list[str]) -> ConsoleSession:
    """A console as a new process builds it on an existing database."""
    messenger = ConsoleMessenger(write=lines.append)
    runtime = build_runtime(
        Settings(_env_file=None),  # type: ignore[call-arg]
        engine,
        {PLATFORM: messenger},
        clock=clock,
        directories={PLATFORM: ConsoleDirectory()},
        open_platforms=frozenset({PLATFORM}),
        routine_waits=False,
        sends_at_once=1,
    )
    return ConsoleSession(runtime.deps, messenger, runtime.dispatcher, write=lines.append)


async def test_a_sweep_reads_and_writes_in_the_same_number_of_queries_however_many_concerns(
    console, clock, engine
) -> None:
    await console.setup(WITH_BACKUP)
    for n in range(2):
        await console.say("sam", f'concern conduct "Early {n}"')
    clock.advance(HOUR / 2)
    for n in range(6):
        await console.say("sam", f'concern conduct "Late {n}"')
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", _record(statements))
    clock.advance(HOUR / 2)
    await due_work.run_due(console.session.deps)  # 10:00: two concerns reminded
    for_two, statements[:] = len(statements), []
    clock.advance(HOUR / 2)
    await due_work.run_due(console.session.deps)  # 10:30: six concerns reminded
    assert len(statements) == for_two, statements
    # Claim, the batch's programs, pairs and people (due.load_subjects: 3), 7 reads
    # (world.py), messages, next steps, finish: 13 whatever the number.
    assert for_two == 13, statements


def _record(statements: list[str]):
    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    return record


# ---------------------------------------------------------------------- hand-overs


async def test_when_no_manager_outside_the_pair_is_left_the_walk_starts_over_at_the_backups(
    console, clock
) -> None:
    await console.setup(
        [*WITH_BACKUP, ("maya", "managers add @lena"), ("maya", "pair @lena @sam confirm")]
    )
    await console.say("sam", 'concern conduct @lena "He shouts at me"')  # Maya told at 09:00
    clock.advance(HOUR / 2)
    # 09:30: Lena, in the pair, removes Maya; Priya is sent it, and her hour starts now.
    assert (await console.say("lena", "managers remove @maya")).endswith(
        "📨 DM to @priya\n   *Urgent concern: conduct*\n   Program: Demo Mentoring\n"
        "   Pair: @lena (mentor) and @sam (mentee)\n   Raised by: @sam\n"
        "   Raised: Mon 23 Nov 2026, 14:30 Asia/Kolkata\n   > He shouts at me\n"
        "   [7: Acknowledge]  [8: Resolve]\n" + NOT_TOLD
    )
    assert await sweep(console, clock, HOUR - 60) == ""  # no reminder to Maya at 10:00
    reminded = await sweep(console, clock, 60)  # 10:30
    assert reminded.startswith(
        "📨 DM to @priya\n   *Urgent concern: conduct (reminder)*\n"
        "   *No one has acknowledged this concern yet.*"
    )
    assert "(You will be reminded every hour until someone acknowledges it.)" in reminded
    assert "@lena\n" not in reminded and "DM to @lena" not in reminded


async def test_a_concern_no_one_could_be_told_starts_its_walk_when_a_backup_is_added(
    console, clock
) -> None:
    await console.setup(
        [*DEMO_SETUP, ("maya", "enrol @maya mentor"), ("maya", "pair @maya @priya confirm")]
    )
    await console.say("priya", 'concern conduct "She shouts at me"')  # Maya is in the pair
    assert await sweep(console, clock, 3 * HOUR) == ""  # no one to walk to
    assert (await console.say("maya", "managers add @lena backup")).endswith(
        "📨 DM to @lena\n   *Urgent concern: conduct*\n   Program: Demo Mentoring\n"
        "   Pair: @maya (mentor) and @priya (mentee)\n   Raised by: @priya\n"
        "   Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin\n   > She shouts at me\n"
        "   [6: Acknowledge]  [7: Resolve]\n" + NOT_TOLD
    )
    assert await sweep(console, clock, HOUR - 60) == ""
    assert (await sweep(console, clock, 60)).startswith(
        "📨 DM to @lena\n   *Urgent concern: conduct (reminder)*"
    )


# ---------------------------------------------------------------------- the policy's settings

POLICY = """
   Level 1 (managers): @maya
   Level 2 (backup managers): @priya
   Urgent (confidentiality, conduct): reminded after {high}, the next level told after {twice}, in clock time at any hour
   Other kinds: reminded after 1 working day, the next level told after 2 working days, in working hours (Monday to Friday, 09:00 to 17:00, UTC)
   At the last level: {last}
   Acknowledging, by anyone at any level, stops it. A manager in the pair is never told.
   To change it: `program set ack-deadline high 30m`, `program set ack-deadline normal 2d`, `program set escalation repeat-high off`."""


def policy(high: str = "1 hour", twice: str = "2 hours", last: str | None = None) -> str:
    every = high.removeprefix("1 ")
    last = last or f"an urgent concern is reminded every {every} until acknowledged, any other once"
    return POLICY.format(high=high, twice=twice, last=last)


async def test_the_policy_shown_changed_and_applied_to_the_next_concern(console, clock) -> None:
    await console.setup(WITH_BACKUP)
    assert (
        await console.say("maya", "program set escalation")
        == said(
            """
        🔒 mentorbot (only you see this):
           The escalation policy of *Demo Mentoring*:"""
        )
        + policy()
    )
    assert await console.say("maya", "program set ack-deadline high 30m") == said(
        """
        🔒 mentorbot (only you see this):
           The urgent (high-severity) acknowledgement deadline of *Demo Mentoring* is now 30 minutes."""
    ) + policy("30 minutes", "1 hour")
    assert await console.say("maya", "program set escalation repeat-high off") == said(
        """
        🔒 mentorbot (only you see this):
           At the last level of *Demo Mentoring*, an urgent concern is now reminded once."""
    ) + policy("30 minutes", "1 hour", "every concern is reminded once")
    assert await console.say("maya", "program set ack-deadline normal 2d") == said(
        """
        🔒 mentorbot (only you see this):
           The normal acknowledgement deadline of *Demo Mentoring* is now 2 working days."""
    ) + policy("30 minutes", "1 hour", "every concern is reminded once").replace(
        "reminded after 1 working day, the next level told after 2 working days",
        "reminded after 2 working days, the next level told after 4 working days",
    )
    # `program set` shows them with the other settings.
    settings = await console.say("maya", "program set")
    assert "   ack-deadline: urgent 30 minutes, others 2 working days\n" in settings
    assert (
        "   escalation: managers, then backup managers; at the last level every concern is "
        "reminded once\n" in settings
    )
    # The next urgent concern: reminded after 30 minutes, escalated after an hour, and
    # reminded once there, no more.
    await console.say("sam", 'concern conduct "He shouts at me"')
    steps = [await sweep(console, clock, 30 * 60) for _ in range(4)]
    assert [step.split("\n")[:2] for step in steps[:3]] == [
        ["📨 DM to @maya", "   *Urgent concern: conduct (reminder)*"],
        ["📨 DM to @priya", "   *Urgent concern: conduct*"],
        ["📨 DM to @priya", "   *Urgent concern: conduct (reminder)*"],
    ]
    assert steps[3] == ""
    assert "(You will be reminded" not in steps[2]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "program set ack-deadline high 3d",
            "A high-severity deadline is 5 minutes to 2 days of clock time (5m to 2d).",
        ),
        (
            "program set ack-deadline soon 1h",
            "Say which deadline, high or normal, as in `program set ack-deadline high 30m`.",
        ),
        (
            "program set ack-deadline normal 2x",
            "“2x” is not a deadline: give minutes, hours or days, as in 30m, 4h or 2d.",
        ),
        (
            "program set escalation repeat-high sometimes",
            "`program set escalation` shows the policy; `program set escalation repeat-high on` "
            "or `off` says whether an urgent concern is reminded again every deadline at the "
            "last level until someone acknowledges it.",
        ),
    ],
)
async def test_a_policy_setting_typed_wrong_is_explained_and_changes_nothing(
    console, rows, line: str, problem: str
) -> None:
    await console.setup(WITH_BACKUP)
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> [program "<name>"]`
    """)


async def test_only_a_manager_sees_or_changes_the_policy(console, rows) -> None:
    await console.setup(WITH_BACKUP)
    async with rows.unchanged(contact_may_change=True):
        shown = await console.say("sam", "program set escalation")
        changed = await console.say("sam", "program set ack-deadline high 5m")
    refusal = said("""
        🔒 mentorbot (only you see this):
           Only a program's managers can do that, and you don't manage a program.
    """)
    assert shown == changed == refusal


async def test_a_concern_open_before_the_upgrade_starts_its_walk_without_a_second_copy(
    console, clock
) -> None:
    """As migration 0008 leaves a concern raised by an older version: no level, no walk, and
    its first step, telling level 1, due at once."""
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    clock.advance(3 * HOUR)  # the upgrade, three hours later
    async with console.session.deps.sessions() as session, session.begin():
        await session.exec(update(Concern).values(level=None, level_since=None))  # type: ignore[call-overload]
        await session.exec(delete(DueItem))  # type: ignore[call-overload]
        await due.schedule(
            session,
            key="escalation:1:level:1:reminder:0",
            kind="escalation",
            due_at=clock.now(),
            now=clock.now(),
            concern_id=1,
        )
    assert await sweep(console, clock, 0) == ""  # Maya has her copy: nothing new
    assert await sweep(console, clock, HOUR - 60) == ""
    assert (await sweep(console, clock, 60)).startswith(
        "📨 DM to @maya\n   *Urgent concern: conduct (reminder)*"
    )


async def test_when_the_backups_are_removed_the_managers_are_reminded_in_their_place(
    console, clock
) -> None:
    await console.setup(WITH_BACKUP)
    await console.say("sam", 'concern conduct "He shouts at me"')
    await sweep(console, clock, 2 * HOUR)  # 10:00 Maya reminded; 11:00 Priya told
    await sweep(console, clock, 0)
    assert "DM to @priya" in "\n".join(console.lines[-20:])
    await console.say("maya", "managers remove @priya")
    # 12:00: no one is left at the level the concern reached: Maya stands in, every hour.
    for _ in range(2):
        reminded = await sweep(console, clock, HOUR)
        assert reminded.startswith("📨 DM to @maya\n   *Urgent concern: conduct (reminder)*")
        assert "(You will be reminded every hour until someone acknowledges it.)" in reminded
    assert "could not reach" not in "\n".join(console.lines)  # no one told Maya was gone
