"""The weekly cap and pauses, decided when a routine message is queued: weeks are Monday
to Sunday in the recipient's zone; over the cap, the message waits for the first working
slot of the next week with room; a pause moves it past its end; greetings, briefings
and anything about a concern are never held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import FakeClock
from sqlmodel import select

from handlers import weekly_cap
from handlers.checkins.prompts import REMINDER, ask
from handlers.context import Deps, Work
from handlers.views import simple
from handlers.weekly_cap import first_slot, week_of
from storage import outbox
from storage.db import session_factory, transaction
from storage.models import DueItem, OutboxMessage, Pair, Person, Program, Subject

VILNIUS = ZoneInfo("Europe/Vilnius")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 11:00 in Vilnius


def test_a_week_runs_from_monday_to_sunday_in_the_zone() -> None:
    sunday_late = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Monday 00:30 in Vilnius
    assert week_of(sunday_late, VILNIUS) == (
        datetime(2026, 11, 29, 22, 0, tzinfo=UTC),
        datetime(2026, 12, 6, 22, 0, tzinfo=UTC),
    )
    assert week_of(sunday_late, ZoneInfo("UTC")) == (
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )


def test_a_week_across_a_daylight_saving_change_is_a_local_week() -> None:
    during = datetime(2026, 10, 22, 12, tzinfo=UTC)  # Vilnius goes back an hour on Sunday 25th
    assert week_of(during, VILNIUS) == (
        datetime(2026, 10, 18, 21, 0, tzinfo=UTC),  # Monday 19th 00:00 at +03:00
        datetime(2026, 10, 25, 22, 0, tzinfo=UTC),  # Monday 26th 00:00 at +02:00
    )


def test_a_pause_moves_the_first_slot_past_its_end() -> None:
    assert first_slot(MONDAY, None, VILNIUS) == MONDAY
    paused_until = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Friday 18:00 in Vilnius
    assert first_slot(MONDAY, paused_until, VILNIUS) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert first_slot(MONDAY, MONDAY - timedelta(days=1), VILNIUS) == MONDAY  # pause over


async def _people(engine, cap: int, paused_until: datetime | None = None):
    async with session_factory(engine)() as session:
        program = Program(name="P", name_key="p", weekly_cap=cap, created_at=MONDAY)
        person = Person(
            display_name="Ona",
            timezone="Europe/Vilnius",
            paused_until=paused_until,
            created_at=MONDAY,
        )
        session.add_all([program, person])
        await session.commit()
        return program.id, person.id


async def _say(engine, clock, program_id: int, person_id: int, subjects: list[Subject]) -> list:
    deps = Deps(sessions=session_factory(engine), clock=clock)
    async with deps.sessions() as session:
        work = Work(session=session, deps=deps)
        person = await session.get(Person, person_id)
        for i, subject in enumerate(subjects):
            await work.say(f"m{i}", person, simple("hi"), subject=subject, program_id=program_id)
        await session.commit()
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [row.next_attempt_at for row in rows]


async def test_over_the_cap_waits_for_next_mondays_first_working_slot(engine) -> None:
    program_id, person_id = await _people(engine, cap=2)
    clock = FakeClock(MONDAY)
    subjects = [Subject.OTHER] * 5
    assert await _say(engine, clock, program_id, person_id, subjects) == [
        MONDAY,
        MONDAY,
        datetime(2026, 11, 30, 7, 0, tzinfo=UTC),  # Monday 09:00 in Vilnius
        datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 7, 0, tzinfo=UTC),  # the week after is full too
    ]


async def test_greetings_and_briefings_are_neither_held_nor_counted(engine) -> None:
    program_id, person_id = await _people(engine, cap=1)
    clock = FakeClock(MONDAY)
    subjects = [Subject.BRIEFING, Subject.GREETING, Subject.OTHER, Subject.GREETING]
    assert await _say(engine, clock, program_id, person_id, subjects) == [MONDAY] * 4


async def test_a_paused_person_gets_routine_messages_after_the_pause_and_urgent_at_once(
    engine,
) -> None:
    paused_until = MONDAY + timedelta(days=14)
    program_id, person_id = await _people(engine, cap=4, paused_until=paused_until)
    clock = FakeClock(MONDAY)
    deps = Deps(sessions=session_factory(engine), clock=clock)
    async with deps.sessions() as session:
        work = Work(session=session, deps=deps)
        person = await session.get(Person, person_id)
        assert person is not None
        await work.say(
            "routine", person, simple("hi"), subject=Subject.OTHER, program_id=program_id
        )
        await work.say(
            "urgent",
            person,
            simple("hi"),
            subject=Subject.OTHER,
            program_id=program_id,
            urgent=True,
        )
        await session.commit()
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [row.next_attempt_at for row in rows] == [paused_until, MONDAY]


async def test_a_message_cancelled_before_it_was_sent_leaves_room_under_the_cap(engine) -> None:
    program_id, person_id = await _people(engine, cap=1)
    clock = FakeClock(MONDAY)
    assert await _say(engine, clock, program_id, person_id, [Subject.CHECKIN]) == [MONDAY]
    async with transaction(session_factory(engine)) as session:
        assert await outbox.cancel_unsent(session, ["m0"]) == 1  # answered meanwhile, say
    async with session_factory(engine)() as session:
        counted = await weekly_cap.queued_in(session, person_id, MONDAY, MONDAY + timedelta(days=7))
    assert counted == 0


async def test_a_check_in_held_for_the_cap_is_reminded_3_working_days_after_it_goes_out(
    engine,
) -> None:
    """Not 3 working days after it was decided: that reminder would come with the prompt
    (or, for someone paused, be dropped during the pause)."""
    program_id, ona_id = await _people(engine, cap=2)
    clock = FakeClock(MONDAY)
    await _say(engine, clock, program_id, ona_id, [Subject.OTHER, Subject.OTHER])  # week full
    deps = Deps(sessions=session_factory(engine), clock=clock)
    async with transaction(deps.sessions) as session:
        partner = Person(display_name="Sam", created_at=MONDAY)
        session.add(partner)
        await session.flush()
        pair = Pair(
            program_id=program_id, mentor_id=ona_id, mentee_id=partner.id, created_at=MONDAY
        )
        session.add(pair)
        await session.flush()
        ona = await session.get(Person, ona_id)
        checkin = await ask(Work(session=session, deps=deps), pair, ona, 1)
    async with deps.sessions() as session:
        prompt = await session.get(OutboxMessage, checkin.prompt_id)
        reminder = (await session.exec(select(DueItem).where(DueItem.kind == REMINDER))).one()
    assert prompt.next_attempt_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Mon 09:00
    assert reminder.due_at == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wed 17:00 in Vilnius
