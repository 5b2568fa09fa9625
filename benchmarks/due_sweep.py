"""Finding and enqueuing the due check-ins among many pairs: the production due sweep
(scheduler.runner.run_due, what the schedule's due-sweep job calls) with the same number
of check-ins due among 1,000 and among 100,000 idle pairs (goal: at most 2× apart).

Each size gets a database of its own (PostgreSQL: a schema of its own in the database
given, dropped at the end). ROUNDS + 1 groups of DUE_PAIRS pairs fall due a minute apart;
the clock is moved to each group in turn and the sweep timed (the first group warms caches
and pools up and is not counted). The sizes' sweeps take turns, in alternating order, so
that a machine whose load drifts slows them alike. Every sweep is checked: each due
check-in asked once, its prompt queued once, its next round scheduled."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from due_round import main_thread_seconds
from due_seed import finish_seeding, seed_pairs, seed_program
from load import fresh_database
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.context import Deps
from scheduler import runner
from storage import db
from storage.models import Checkin, DueItem, DueStatus, OutboxMessage

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # working time in UTC
DUE_PAIRS = 100  # 200 check-ins due per sweep
ROUNDS = 3
GAP = timedelta(minutes=1)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@dataclass
class Sweeps:
    """One size's sweeps: wall and CPU seconds, statements sent, of each counted sweep."""

    pairs: int
    seed_seconds: float
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    # The event loop's thread ready to run but waiting for a CPU: others' work, not ours.
    cpu_wait: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def own_median(self) -> float:
        """Wall time less the loop's waits for a CPU: what a quiet machine would show."""
        return statistics.median(s - w for s, w in zip(self.seconds, self.cpu_wait, strict=True))


async def measure(url: str, sizes: tuple[int, ...], rounds: int = ROUNDS) -> list[Sweeps]:
    """For each size, that many idle pairs and (rounds + 1) × DUE_PAIRS due ones."""
    async with AsyncExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        engines = [await _database(stack, url, folder, pairs) for pairs in sizes]
        results = [
            Sweeps(pairs, await _seed(engine, pairs, rounds))
            for engine, pairs in zip(engines, sizes, strict=True)
        ]
        clocks = [FixedClock(MONDAY_10) for _ in sizes]
        runs = list(zip(engines, clocks, results, strict=True))
        for group in range(rounds + 1):
            for engine, clock, result in runs if group % 2 else reversed(runs):
                clock.at = _due_at(group) + timedelta(seconds=1)
                deps = Deps(sessions=db.session_factory(engine), clock=clock)
                done, seconds, cpu, waited, statements = await _sweep(engine, deps)
                await _check(engine, group, done, clock.at)
                if group:  # the first warms up
                    result.seconds.append(seconds)
                    result.cpu.append(cpu)
                    result.cpu_wait.append(waited)
                    result.statements.append(statements)
        return results


async def _database(stack: AsyncExitStack, url: str, folder: str, pairs: int) -> AsyncEngine:
    """A migrated, empty database of its own (PostgreSQL: a schema), gone at the end."""
    if url == "sqlite":
        engine = await fresh_database(f"sqlite+aiosqlite:///{Path(folder) / f'due{pairs}.db'}")
        stack.push_async_callback(engine.dispose)
        return engine
    schema = f"mentorbot_due_bench_{pairs}"
    engine = db.create_engine(url)
    stack.push_async_callback(engine.dispose)
    stack.push_async_callback(_drop, engine, schema)
    await _drop(engine, schema)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))

    def into_schema(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"SET search_path TO {schema}")
        cursor.close()

    await engine.dispose()  # connections made from now on find the schema first
    event.listen(engine.sync_engine, "connect", into_schema)
    await db.upgrade(engine)
    return engine


async def _drop(engine: AsyncEngine, schema: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _sweep(engine: AsyncEngine, deps: Deps) -> tuple[int, float, float, float, int]:
    """One sweep: items done, seconds, CPU seconds, seconds the loop waited for a CPU,
    statements."""
    with _counting(engine) as statements:
        began, cpu, (_, waited) = time.perf_counter(), time.process_time(), main_thread_seconds()
        done = await runner.run_due(deps)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return done, seconds, cpu, main_thread_seconds()[1] - waited, statements[0]


def _due_at(group: int) -> datetime:
    return MONDAY_10 + group * GAP


async def _seed(engine: AsyncEngine, pairs: int, rounds: int) -> float:
    began = time.perf_counter()
    await seed_program(engine, MONDAY_10)
    await seed_pairs(engine, 1, pairs, now=MONDAY_10, due_at=None)
    for group in range(rounds + 1):
        first = pairs + 1 + group * DUE_PAIRS
        await seed_pairs(engine, first, DUE_PAIRS, now=MONDAY_10, due_at=_due_at(group))
    await finish_seeding(engine)
    return time.perf_counter() - began


@contextmanager
def _counting(engine: AsyncEngine) -> Iterator[list[int]]:
    """Statements sent to the database meanwhile: [count]."""
    count = [0]

    def one(*_: object) -> None:
        count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", one)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", one)


async def _check(engine: AsyncEngine, group: int, done: int, now: datetime) -> None:
    """The group's check-ins asked once each, their prompts queued once, round 2 next."""
    expected = 2 * DUE_PAIRS
    async with engine.connect() as conn:
        asked = await conn.scalar(select(func.count()).where(Checkin.asked_at == now))
        prompts = await conn.scalar(
            select(func.count()).where(
                OutboxMessage.created_at == now,
                OutboxMessage.dedupe_key.like("checkin:%:prompt"),  # type: ignore[attr-defined]
            )
        )
        still_due = await conn.scalar(
            select(func.count()).where(DueItem.status == DueStatus.PENDING, DueItem.due_at <= now)
        )
        scheduled = await conn.scalar(
            select(func.count()).where(DueItem.created_at == now, DueItem.kind == "checkin")
        )
    found = (done, asked, prompts, still_due, scheduled)
    if found != (expected, expected, expected, 0, expected):
        raise RuntimeError(
            f"group {group}: done {done}, asked {asked}, prompts {prompts}, still due "
            f"{still_due}, next rounds {scheduled}; expected {expected} of each and 0 due"
        )
