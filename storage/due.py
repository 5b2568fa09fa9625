"""Due work: scheduled once by key, claimed when due by exactly one sweep.

A sweep claims due rows with FOR UPDATE SKIP LOCKED on PostgreSQL and does their work in
the same transaction, so a second replica's sweep skips what the first holds, and a sweep
that dies rolls back: its rows are due again for the next sweep, never lost, never done
twice. SQLite has one process, and its write lock serialises sweeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DueItem, DueStatus, Pair, Person, Program


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    program_id: int | None = None,
    pair_id: int | None = None,
    person_id: int | None = None,
    concern_id: int | None = None,
) -> bool:
    """Schedule `kind` at `due_at`, once per key. False: that key was scheduled before."""
    values = {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "program_id": program_id,
        "pair_id": pair_id,
        "person_id": person_id,
        "concern_id": concern_id,
    }
    return bool(await schedule_many(session, [values], now=now))


async def schedule_many(
    session: AsyncSession, items: list[dict[str, Any]], *, now: datetime
) -> int:
    """Schedule many items in one statement, each once per key (`key`, `kind`, `due_at`, and
    which program, pair, person or concern it is about); how many were new."""
    if not items:
        return 0
    columns = ("program_id", "pair_id", "person_id", "concern_id")
    rows = [
        {**dict.fromkeys(columns), **item, "status": DueStatus.PENDING, "created_at": now}
        for item in items
    ]
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(DueItem).values(rows).on_conflict_do_nothing(index_elements=["key"])
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[DueItem]:
    """Up to `limit` due items, oldest first, locked for this transaction."""
    query = (
        select(DueItem)
        .where(DueItem.status == DueStatus.PENDING, col(DueItem.due_at) <= now)
        .order_by(col(DueItem.due_at), col(DueItem.id))
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.exec(query)).all())


async def load_subjects(session: AsyncSession, items: list[DueItem]) -> list[object]:
    """The programs, pairs and people `items` are about (with both members of each pair),
    in three queries, for the caller to hold while it works through the items. The session
    keeps an object in its identity map only while something else refers to it: held, each
    is read once per batch, and `session.get` finds it there, instead of each item reading
    its pair, its person, their partner and the program (several times over) again."""
    pair_ids = {item.pair_id for item in items if item.pair_id is not None}
    pairs = await _all(session, Pair, pair_ids)
    person_ids = {item.person_id for item in items if item.person_id is not None}
    person_ids |= {member for pair in pairs for member in (pair.mentor_id, pair.mentee_id)}
    program_ids = {item.program_id for item in items if item.program_id is not None}
    program_ids |= {pair.program_id for pair in pairs}
    return [
        *pairs,
        *await _all(session, Person, person_ids),
        *await _all(session, Program, program_ids),
    ]


async def _all(session: AsyncSession, model: type[Pair | Person | Program], ids: set[int]) -> list:
    if not ids:
        return []
    query = select(model).where(col(model.id).in_(sorted(ids)))
    return list((await session.exec(query)).all())


async def finish(session: AsyncSession, items: list[DueItem], *, now: datetime) -> None:
    ids = [item.id for item in items]
    await session.exec(  # type: ignore[call-overload]
        update(DueItem)
        .where(col(DueItem.id).in_(ids), DueItem.status == DueStatus.PENDING)
        .values(status=DueStatus.DONE, done_at=now)
        .execution_options(synchronize_session=False)
    )


async def cancel(
    session: AsyncSession,
    *,
    pair_id: int | None = None,
    person_id: int | None = None,
    kinds: tuple[str, ...] = (),
    now: datetime,
) -> int:
    """Cancel pending items of a pair or a person (of `kinds`, or all); how many."""
    conditions = [DueItem.status == DueStatus.PENDING]
    if pair_id is not None:
        conditions.append(DueItem.pair_id == pair_id)
    if person_id is not None:
        conditions.append(DueItem.person_id == person_id)
    if kinds:
        conditions.append(col(DueItem.kind).in_(kinds))
    result = await session.exec(  # type: ignore[call-overload]
        update(DueItem)
        .where(*conditions)
        .values(status=DueStatus.CANCELLED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def move(session: AsyncSession, *, keys: list[str], due_at: datetime) -> int:
    """The pending items of `keys` fall due at `due_at` instead; how many."""
    result = await session.exec(  # type: ignore[call-overload]
        update(DueItem)
        .where(col(DueItem.key).in_(keys), DueItem.status == DueStatus.PENDING)
        .values(due_at=due_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def bring_forward(
    session: AsyncSession, *, person_id: int, kind: str, deferred_to: datetime, now: datetime
) -> int:
    """A person's pending items of `kind` deferred to `deferred_to` (the end of a pause)
    fall due now instead: that moment came early. How many."""
    result = await session.exec(  # type: ignore[call-overload]
        update(DueItem)
        .where(
            DueItem.person_id == person_id,
            DueItem.kind == kind,
            DueItem.status == DueStatus.PENDING,
            DueItem.due_at == deferred_to,
        )
        .values(due_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def cancel_concerns(session: AsyncSession, concern_ids: list[int], *, now: datetime) -> int:
    """Cancel the pending items of these concerns (their escalation walks); how many. Items a
    sweep holds right now are skipped, not waited for: that sweep finds each concern as it now
    stands (it locks them), so waiting could only deadlock with it."""
    if not concern_ids:
        return 0
    pending = select(DueItem.id).where(
        col(DueItem.concern_id).in_(concern_ids), DueItem.status == DueStatus.PENDING
    )
    if session.bind.dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    ids = list((await session.exec(pending)).all())
    if not ids:
        return 0
    result = await session.exec(  # type: ignore[call-overload]
        update(DueItem)
        .where(col(DueItem.id).in_(ids))
        .values(status=DueStatus.CANCELLED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)
