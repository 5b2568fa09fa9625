"""Finding and enqueuing the due check-ins among many pairs: the production due sweep
(scheduler.runner.run_due, what the schedule's due-sweep job calls) with the same number
of check-ins due among 1,000 and among 100,000 idle pairs (goal: at most 2× apart).

Each size gets a fresh database. ROUNDS + 1 groups of DUE_PAIRS pairs fall due a minute
apart; the clock is moved to each group in turn and the sweep timed (the first group warms
caches and pools up and is not counted). Every sweep is checked: each due check-in asked
once, its prompt queued once, its next round scheduled."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from due_round import main_thread_seconds
from due_seed import finish_seeding, seed_pairs, seed_program
from load import fresh_database
from sqlalchemy import event, func, select
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


async def measure(url: str, pairs: int, rounds: int = ROUNDS) -> Sweeps:
    """`pairs` idle pairs and (rounds + 1) × DUE_PAIRS due ones in a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        engine = await fresh_database(_sqlite_in(folder) if url == "sqlite" else url)
        try:
            seed_seconds = await _seed(engine, pairs, rounds)
            result = Sweeps(pairs, seed_seconds)
            clock = FixedClock(MONDAY_10)
            deps = Deps(sessions=db.session_factory(engine), clock=clock)
            for group in range(rounds + 1):
                clock.at = _due_at(group) + timedelta(seconds=1)
                done, seconds, cpu, waited, statements = await _sweep(engine, deps)
                await _check(engine, group, done, clock.at)
                if group:  # the first warms up
                    result.seconds.append(seconds)
                    result.cpu.append(cpu)
                    result.cpu_wait.append(waited)
                    result.statements.append(statements)
            return result
        finally:
            await engine.dispose()


async def _sweep(engine: AsyncEngine, deps: Deps) -> tuple[int, float, float, float, int]:
    """One sweep: items done, seconds, CPU seconds, seconds the loop waited for a CPU,
    statements."""
    with _counting(engine) as statements:
        began, cpu, (_, waited) = time.perf_counter(), time.process_time(), main_thread_seconds()
        done = await runner.run_due(deps)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return done, seconds, cpu, main_thread_seconds()[1] - waited, statements[0]


def _sqlite_in(folder: str) -> str:
    return f"sqlite+aiosqlite:///{Path(folder) / 'due.db'}"


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
