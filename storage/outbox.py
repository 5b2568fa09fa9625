"""The outbox: messages decided in a transaction, sent later by the dispatcher.

Enqueueing is idempotent on the dedupe key. Claiming uses FOR UPDATE SKIP LOCKED on
PostgreSQL so several dispatchers never take the same row; SQLite has one process."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus, Subject

URGENT, ROUTINE = 0, 1  # priorities: lower is claimed first
SUPERSEDED = "superseded"  # an update overtaken by a newer one for the same message


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    recipient_id: int,
    view: dict[str, Any],
    now: datetime,
    subject: Subject = Subject.OTHER,
    program_id: int | None = None,
    pair_id: int | None = None,
    concern_id: int | None = None,
    replaces_id: int | None = None,
    reply_to: dict[str, Any] | None = None,
    priority: int = ROUTINE,
) -> bool:
    """Add one message for one person. Returns False if that key was already queued."""
    values = {
        "priority": priority,
        "dedupe_key": key,
        "subject": subject,
        "recipient_id": recipient_id,
        "view": view,
        "program_id": program_id,
        "pair_id": pair_id,
        "concern_id": concern_id,
        "replaces_id": replaces_id,
        "reply_to": reply_to,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this dispatcher until `now + lease`: urgent ones
    first, then in due order.

    One statement picks and claims, so no other dispatcher can claim the same row between
    the two (SQLite too, where a SELECT does not start the write transaction). Each row's
    new `claimed_until` is its claimant's fencing token (see `finish`): a row is claimable
    only once the previous lease has ended, so no two claims share one."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))  # type: ignore[union-attr]
        .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list((await session.exec(claim)).scalars())  # type: ignore[call-overload]
    return sorted(rows, key=lambda row: (row.priority, row.next_attempt_at, row.id))


async def finish(
    session: AsyncSession,
    row_id: int,
    *,
    lease: datetime,
    refund_attempt: bool = False,
    **values: Any,
) -> bool:
    """Record how a claimed row ended, if the claim `lease` is still the row's: False when
    the lease ran out and another dispatcher took the row, whose result must stand.
    `refund_attempt` undoes the claim's count when the row was not actually tried."""
    if refund_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claimed_until == lease,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def next_due_at(session: AsyncSession) -> datetime | None:
    query = (
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
    )
    return (await session.exec(query)).scalar_one_or_none()  # type: ignore[call-overload]


async def release_all_claims(session: AsyncSession) -> None:
    """On a single-process database every claim at start-up belongs to a dead process."""
    await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .values(claimed_until=None)
    )


async def supersede_pending_updates(session: AsyncSession, replaces_id: int) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            and_(
                OutboxMessage.replaces_id == replaces_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        .values(status=SUPERSEDED)
    )
