"""PostgreSQL at scale: several dispatchers (each its own engine, as separate replicas would
be) drain one outbox together, and FOR UPDATE SKIP LOCKED gives each row to exactly one of
them. Also: the migrations build the models' schema on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import timedelta

from fakes.delivery import add_person, all_rows
from fakes.schema import current_revision, head_revision, schema_diff, table_names
from sqlmodel import SQLModel

from handlers.ports import Address, SentRef
from handlers.views import MessageView, simple
from scheduler.dispatcher import Dispatcher
from storage import db, outbox
from storage.db import session_factory, transaction
from storage.models import OutboxStatus

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
ROWS = 200
REPLICAS = 3


class RecordingMessenger:
    """Sends nothing: records which replica sent which message."""

    platform = "slack"

    def __init__(self, replica: int, sent: list[tuple[int, str]], barrier: asyncio.Barrier) -> None:
        self.replica, self.sent, self.barrier = replica, sent, barrier
        self.first = True

    async def post(self, to: Address, view: MessageView, *, outbox_id=None) -> SentRef:
        if self.first:  # every replica holds a claimed batch before anyone sends
            self.first = False
            await self.barrier.wait()
        await asyncio.sleep(0)  # let the other replicas' claims interleave with the sends
        self.sent.append((self.replica, view.notification))
        return {"channel": f"D{to.external_id}", "ts": str(len(self.sent))}

    async def update(self, ref: SentRef, view: MessageView) -> SentRef:
        raise AssertionError("no updates here")

    async def find_sent(self, to: Address, outbox_id: int, since) -> SentRef | None:
        raise AssertionError("no row is ever in doubt here")


async def fill_outbox(engine, clock, rows: int) -> list[str]:
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        maya = await add_person(session, "Maya", "maya@example.com", clock.now(), slack="UMAYA")
        keys = [f"message:{n:03d}" for n in range(rows)]
        for key in keys:
            await outbox.enqueue(
                session, key=key, recipient_id=maya, view=simple(key).to_json(), now=clock.now()
            )
    return keys


async def test_concurrent_dispatchers_send_every_row_exactly_once(pg_engine, clock):
    keys = await fill_outbox(pg_engine, clock, ROWS)
    sent: list[tuple[int, str]] = []
    barrier = asyncio.Barrier(REPLICAS)
    engines = [db.create_engine(POSTGRES_URL) for _ in range(REPLICAS)]
    dispatchers = [
        Dispatcher(
            session_factory(engine),
            clock,
            {"slack": RecordingMessenger(replica, sent, barrier)},
            batch=10,
        )
        for replica, engine in enumerate(engines)
    ]

    async def drain(dispatcher: Dispatcher) -> int:
        rounds = 0
        while await dispatcher.run_once():
            rounds += 1
        return rounds

    try:
        rounds = await asyncio.wait_for(asyncio.gather(*(drain(d) for d in dispatchers)), 60)
    finally:
        for engine in engines:
            await engine.dispose()

    per_message = Counter(message for _, message in sent)
    assert [m for m, n in per_message.items() if n > 1] == []  # none twice
    assert sorted(per_message) == keys  # all sent
    assert len(sent) == ROWS
    per_replica = Counter(replica for replica, _ in sent)
    assert sorted(per_replica) == list(range(REPLICAS)), per_replica  # all of them took part
    assert all(r >= 1 for r in rounds)
    rows = await all_rows(session_factory(pg_engine))
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert {r.attempts for r in rows} == {1}
    assert {r.claimed_until for r in rows} == {None}


async def test_a_claim_in_progress_is_skipped_not_waited_for_or_taken_twice(pg_engine, clock):
    """Two claims in open transactions at once: the second skips the rows the first locked."""
    await fill_outbox(pg_engine, clock, 8)
    other = db.create_engine(POSTGRES_URL)
    lease = timedelta(minutes=2)
    try:
        async with transaction(session_factory(pg_engine)) as first:
            mine = await outbox.claim_due(first, now=clock.now(), lease=lease, limit=5)
            async with transaction(session_factory(other)) as second:
                theirs = await asyncio.wait_for(
                    outbox.claim_due(second, now=clock.now(), lease=lease, limit=50), 5
                )
            mine_keys = [m.row.dedupe_key for m in mine]
            theirs_keys = [m.row.dedupe_key for m in theirs]
    finally:
        await other.dispose()

    assert mine_keys == [f"message:{n:03d}" for n in range(5)]
    assert theirs_keys == [f"message:{n:03d}" for n in range(5, 8)]
    rows = await all_rows(session_factory(pg_engine))
    assert [r.attempts for r in rows] == [1] * 8


async def test_upgrade_builds_the_models_schema_on_a_fresh_postgres_database(pg_engine):
    async with pg_engine.begin() as conn:  # pg_engine comes with tables: start from nothing
        await conn.run_sync(SQLModel.metadata.drop_all)
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    assert await table_names(pg_engine) == set()

    await db.upgrade(pg_engine)

    assert await table_names(pg_engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert await current_revision(pg_engine) == head_revision()
    assert await schema_diff(pg_engine) == []
    await db.upgrade(pg_engine)  # `mentorbot db upgrade` run twice is harmless
    assert await schema_diff(pg_engine) == []


class SlowMessenger:
    """A platform that takes 61 s (of the injected clock) per message; `during(n)` runs
    while the n-th message is on its way."""

    platform = "slack"

    def __init__(self, replica: int, sent: list[tuple[int, str]], clock, during=None) -> None:
        self.replica, self.sent, self.clock, self.during = replica, sent, clock, during
        self.posts = 0

    async def post(self, to: Address, view: MessageView, *, outbox_id=None) -> SentRef:
        self.posts += 1
        self.clock.advance(61)
        if self.during is not None:
            await self.during(self.posts)
        self.sent.append((self.replica, view.notification))
        return {"channel": f"D{to.external_id}", "ts": f"{self.replica}.{len(self.sent)}"}

    async def update(self, ref: SentRef, view: MessageView) -> SentRef:
        raise AssertionError("no updates here")

    async def find_sent(self, to: Address, outbox_id: int, since) -> SentRef | None:
        raise AssertionError("no row is ever in doubt here")


async def test_a_slow_platform_never_lets_one_replica_send_what_another_claimed(pg_engine, clock):
    """Replica 0 sends one message at a time, 61 s each; replica 1 runs while replica 0's
    third message is on its way. A claim used to take a whole batch, whose later rows
    outlived the 2-minute lease and were sent by both replicas."""
    keys = await fill_outbox(pg_engine, clock, 6)
    sent: list[tuple[int, str]] = []
    engines = [db.create_engine(POSTGRES_URL) for _ in range(2)]
    second = Dispatcher(
        session_factory(engines[1]), clock, {"slack": SlowMessenger(1, sent, clock)}
    )

    async def second_replica_runs(post: int) -> None:
        if post == 3:
            await second.run_once()

    first = Dispatcher(
        session_factory(engines[0]),
        clock,
        {"slack": SlowMessenger(0, sent, clock, during=second_replica_runs)},
        concurrency=1,
    )
    try:
        while await first.run_once() or await second.run_once():
            pass
    finally:
        for engine in engines:
            await engine.dispose()

    per_message = Counter(message for _, message in sent)
    assert [m for m, n in per_message.items() if n > 1] == []  # none twice
    assert sorted(per_message) == keys  # all sent
    assert {replica for replica, _ in sent} == {0, 1}
    rows = await all_rows(session_factory(pg_engine))
    assert {(r.status, r.claimed_until) for r in rows} == {(OutboxStatus.SENT, None)}
    # Each row's recorded send is the one that happened.
    assert sorted(r.sent_ref["ts"].split(".")[0] for r in rows) == sorted(
        str(replica) for replica, _ in sent
    )
