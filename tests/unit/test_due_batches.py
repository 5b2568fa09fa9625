"""A check-in round goes out in batches: each batch reads the programs, pairs and people it
is about once, not once per item; every member is asked once, whatever the batch size,
however many sweeps run, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from handlers.checkins.prompts import CHECKIN, round_key
from handlers.context import Deps
from scheduler import runner  # registers the due kinds, as the running bot has them
from storage import db, due
from storage.models import (
    Checkin,
    DueItem,
    DueStatus,
    Identity,
    OutboxMessage,
    Pair,
    Person,
    Program,
    Subject,
)

MAIN_TABLE = re.compile(r"^SELECT .*?\sFROM (\w+)", re.DOTALL)


@contextmanager
def selects(engine: AsyncEngine) -> Iterator[Counter[str]]:
    """SELECTs sent meanwhile, by the table each reads from first."""
    counted: Counter[str] = Counter()

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if found := MAIN_TABLE.match(statement):
            counted[found[1]] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield counted
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


async def pairs_due(deps: Deps, count: int) -> list[tuple[int, int]]:
    """`count` pairs of one program, both members' round 1 due now: (pair, person) each."""
    now = deps.clock.now()
    async with db.transaction(deps.sessions) as session:
        program = Program(name="P", name_key="p", created_at=now)
        session.add(program)
        await session.flush()
        members = []
        for n in range(count):
            mentor, mentee = (
                Person(display_name=f"{role} {n}", created_at=now) for role in ("R", "E")
            )
            session.add_all([mentor, mentee])
            await session.flush()
            session.add_all(
                Identity(person_id=p.id, platform="slack", external_id=f"U{p.id}")
                for p in (mentor, mentee)
            )
            pair = Pair(
                program_id=program.id, mentor_id=mentor.id, mentee_id=mentee.id, created_at=now
            )
            session.add(pair)
            await session.flush()
            for person in (mentor, mentee):
                assert pair.id is not None and person.id is not None
                await due.schedule(
                    session,
                    key=round_key(pair.id, 1, person.id),
                    kind=CHECKIN,
                    due_at=now,
                    now=now,
                    program_id=program.id,
                    pair_id=pair.id,
                    person_id=person.id,
                )
                members.append((pair.id, person.id))
    return members


async def asked(deps: Deps) -> tuple[list[tuple[int, int, int]], list[tuple[str, int]]]:
    """Every check-in (pair, person, round), and every check-in prompt (key, recipient)."""
    async with deps.sessions() as session:
        checkins = (await session.exec(select(Checkin).order_by(Checkin.id))).all()
        prompts = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.subject == Subject.CHECKIN)
                .order_by(OutboxMessage.id)
            )
        ).all()
    return (
        [(c.pair_id, c.person_id, c.round) for c in checkins],
        [(p.dedupe_key, p.recipient_id) for p in prompts],
    )


async def pending_rounds(deps: Deps) -> set[str]:
    async with deps.sessions() as session:
        query = select(DueItem.key).where(
            DueItem.status == DueStatus.PENDING, DueItem.kind == CHECKIN
        )
        return set((await session.exec(query)).all())


async def test_a_batch_reads_its_programs_pairs_and_people_once(engine, clock) -> None:
    deps = Deps(sessions=db.session_factory(engine), clock=clock)
    members = await pairs_due(deps, 5)  # 10 check-ins: batches of 4, 4 and 2
    with selects(engine) as counted:
        assert await runner.run_due(deps, batch=4) == 10
    assert {table: counted[table] for table in ("program", "pair", "person")} == {
        "program": 3,
        "pair": 3,
        "person": 3,
    }
    checkins, prompts = await asked(deps)
    assert sorted(checkins) == sorted((pair, person, 1) for pair, person in members)
    assert sorted(recipient for _, recipient in prompts) == sorted(p for _, p in members)
    assert len({key for key, _ in prompts}) == 10
    assert await pending_rounds(deps) == {round_key(pair, 2, person) for pair, person in members}


async def test_a_second_sweep_asks_nobody_again(engine, clock) -> None:
    deps = Deps(sessions=db.session_factory(engine), clock=clock)
    await pairs_due(deps, 3)
    assert await runner.run_due(deps, batch=2) == 6
    first = await asked(deps)
    assert await runner.run_due(deps, batch=2) == 0
    assert await asked(deps) == first


async def test_two_sweeps_at_once_ask_each_member_once(pg_engine, clock) -> None:
    """Replicas sweep at once on PostgreSQL: each check-in is asked by one of them."""
    deps = Deps(sessions=db.session_factory(pg_engine), clock=clock)
    members = await pairs_due(deps, 6)
    counts = await asyncio.gather(*(runner.run_due(deps, batch=2) for _ in range(3)))
    assert sum(counts) == 12
    checkins, prompts = await asked(deps)
    assert sorted(checkins) == sorted((pair, person, 1) for pair, person in members)
    assert sorted(recipient for _, recipient in prompts) == sorted(p for _, p in members)
