"""Due work: scheduled once, done once by exactly one sweep, never lost when a sweep dies;
routine messages wait for their recipient's working hours, urgent ones never wait."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from handlers import due_work
from handlers.context import Deps, Work
from handlers.views import simple
from storage import db, due
from storage.models import DueItem, DueStatus, OutboxMessage, Person, Subject

SATURDAY_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def deps(any_engine, clock) -> Deps:
    return Deps(sessions=db.session_factory(any_engine), clock=clock)


@pytest.fixture
def done(monkeypatch) -> list[int]:
    """A kind `test` whose use case notes the items it was called for."""
    seen: list[int] = []

    async def note(work: Work, item: DueItem) -> None:
        seen.append(item.id)

    monkeypatch.setitem(due_work.DUE, "test", note)
    return seen


async def add_person(deps: Deps, timezone: str | None = None) -> Person:
    async with db.transaction(deps.sessions) as session:
        person = Person(display_name="Sam", timezone=timezone, created_at=deps.clock.now())
        session.add(person)
    return person


async def schedule(deps: Deps, key: str, due_at: datetime, kind: str = "test") -> bool:
    async with db.transaction(deps.sessions) as session:
        return await due.schedule(session, key=key, kind=kind, due_at=due_at, now=deps.clock.now())


async def statuses(deps: Deps) -> dict[str, str]:
    async with deps.sessions() as session:
        return {i.key: i.status for i in (await session.exec(select(DueItem))).all()}


async def test_an_item_is_scheduled_once_and_done_once_when_due(deps, clock, done) -> None:
    now = clock.now()
    assert await schedule(deps, "round:1", now + timedelta(hours=1))
    assert not await schedule(deps, "round:1", now + timedelta(hours=2))  # the same key
    assert await schedule(deps, "round:2", now + timedelta(days=1))
    assert await due_work.run_due(deps) == 0 and done == []
    clock.advance(3600)
    assert await due_work.run_due(deps) == 1
    assert await due_work.run_due(deps) == 0  # done: never again
    assert len(done) == 1
    assert await statuses(deps) == {"round:1": DueStatus.DONE, "round:2": DueStatus.PENDING}


async def test_a_sweep_that_dies_leaves_its_items_due(deps, clock, monkeypatch) -> None:
    async def dies(work: Work, item: DueItem) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setitem(due_work.DUE, "test", dies)
    await schedule(deps, "round:1", clock.now())
    with pytest.raises(RuntimeError):
        await due_work.run_due(deps)
    assert await statuses(deps) == {"round:1": DueStatus.PENDING}


async def test_batches_until_nothing_is_due(deps, clock, done) -> None:
    for n in range(7):
        await schedule(deps, f"round:{n}", clock.now())
    assert await due_work.run_due(deps, batch=3) == 7
    assert sorted(done) == sorted(set(done)) and len(done) == 7


async def test_an_unknown_kind_is_done_and_said_once(deps, clock, done) -> None:
    await schedule(deps, "gone:1", clock.now(), kind="no-such-kind")
    assert await due_work.run_due(deps) == 1
    assert await statuses(deps) == {"gone:1": DueStatus.DONE}


async def test_cancel_a_pairs_or_persons_items(deps, clock) -> None:
    sam = await add_person(deps)
    async with db.transaction(deps.sessions) as session:
        for kind in ("checkin", "reminder"):
            await due.schedule(
                session, key=kind, kind=kind, due_at=clock.now(), now=clock.now(), person_id=sam.id
            )
        assert await due.cancel(session, person_id=sam.id, kinds=("checkin",), now=clock.now())
    assert await statuses(deps) == {"checkin": DueStatus.CANCELLED, "reminder": DueStatus.PENDING}


async def test_two_sweeps_at_once_never_do_an_item_twice(pg_engine, clock, monkeypatch) -> None:
    """On PostgreSQL every replica sweeps: SKIP LOCKED gives each item to one of them."""
    deps = Deps(sessions=db.session_factory(pg_engine), clock=clock)
    seen: list[int] = []

    async def slow(work: Work, item: DueItem) -> None:
        seen.append(item.id)
        await asyncio.sleep(0)  # let the other sweep run meanwhile

    monkeypatch.setitem(due_work.DUE, "test", slow)
    for n in range(40):
        await schedule(deps, f"round:{n}", clock.now())
    counts = await asyncio.gather(*(due_work.run_due(deps, batch=5) for _ in range(2)))
    assert sum(counts) == 40 and sorted(seen) == sorted(set(seen)) and len(seen) == 40


async def routine_and_urgent(deps: Deps, to: Person) -> dict[str, datetime]:
    async with db.transaction(deps.sessions) as session:
        work = Work(session=session, deps=deps)
        for urgent in (False, True):
            await work.say(f"m:{urgent}", to, simple("hi"), subject=Subject.OTHER, urgent=urgent)
    async with deps.sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    return {row.dedupe_key: row.next_attempt_at for row in rows}


async def test_routine_messages_wait_for_working_hours_urgent_ones_never(deps, clock) -> None:
    clock._now = SATURDAY_NOON
    sam = await add_person(deps, "America/New_York")
    assert await routine_and_urgent(deps, sam) == {
        "m:False": datetime(2026, 11, 30, 14, 0, tzinfo=UTC),  # Monday 09:00 in New York
        "m:True": SATURDAY_NOON,
    }


async def test_inside_working_hours_a_routine_message_goes_now(deps, clock) -> None:
    sam = await add_person(deps, "Europe/London")  # the clock starts Monday 09:00 UTC
    assert set((await routine_and_urgent(deps, sam)).values()) == {clock.now()}


async def test_without_a_zone_of_their_own_the_programs_working_hours_count(deps, clock) -> None:
    from storage.models import Program

    clock._now = SATURDAY_NOON
    sam = await add_person(deps)
    async with db.transaction(deps.sessions) as session:
        program = Program(name="P", name_key="p", timezone="Asia/Tokyo", created_at=clock.now())
        session.add(program)
        await session.flush()
        work = Work(session=session, deps=deps)
        await work.say("m", sam, simple("hi"), subject=Subject.OTHER, program_id=program.id)
    async with deps.sessions() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.next_attempt_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


async def test_the_due_sweep_can_be_run_at_once_instead_of_at_its_next_interval() -> None:
    """A concern's copy that failed has the escalation walk look for someone else now."""
    from datetime import UTC, datetime, timedelta

    from handlers.context import Deps
    from scheduler.runner import DUE_SWEEP_SECONDS, Schedule

    class Idle:
        def wake(self) -> None: ...

    schedule = Schedule(Idle(), Deps(sessions=None, clock=None))  # type: ignore[arg-type]
    schedule.start()
    try:
        job = schedule.scheduler.get_job("due-sweep")
        later = datetime.now(UTC) + timedelta(seconds=DUE_SWEEP_SECONDS / 2)
        assert job.next_run_time > later
        schedule.sweep_due_now()
        assert schedule.scheduler.get_job("due-sweep").next_run_time <= datetime.now(UTC)
    finally:
        schedule.shutdown()
