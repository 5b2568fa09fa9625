"""The outbox: messages decided in a transaction, sent later by the dispatcher.

Enqueueing is idempotent on the dedupe key. Claiming uses FOR UPDATE SKIP LOCKED on
PostgreSQL so several dispatchers never take the same row; SQLite has one process. A row
claimed whose outcome was never recorded stays marked as such (`in_doubt`) until a
dispatcher has looked for it on the platform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus, Subject

URGENT, ROUTINE = 0, 1  # priorities: lower is claimed first
SUPERSEDED = "superseded"  # an update overtaken by a newer one for the same message
CANCELLED = "cancelled"  # never sent: what it said no longer held (see cancel_unsent)
# Rows that reach, or will reach, their recipient: what counts against a weekly cap.
DELIVERING = (OutboxStatus.PENDING, OutboxStatus.SENT)
# `claimed_until` of a free row whose last send has no known outcome: a claim long over,
# which no dispatcher's lease can equal (see `finish`), and not NULL, so the next claimant
# knows to look on the platform before sending the row again.
UNKNOWN_OUTCOME = datetime(1970, 1, 1, tzinfo=UTC)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    recipient_id: int,
    view: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
    subject: Subject = Subject.OTHER,
    program_id: int | None = None,
    pair_id: int | None = None,
    concern_id: int | None = None,
    replaces_id: int | None = None,
    reply_to: dict[str, Any] | None = None,
    priority: int = ROUTINE,
) -> bool:
    """Add one message for one person, to be sent from `not_before` (default: now).
    Returns False if that key was already queued."""
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
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def queued_at(session: AsyncSession, key: str) -> tuple[int, datetime]:
    """The id of the row queued under `key`, and when it is to be sent (its recipient's
    working hours, the end of their pause, room under the weekly cap)."""
    query = select(OutboxMessage.id, OutboxMessage.next_attempt_at).where(
        OutboxMessage.dedupe_key == key
    )
    row_id, due_at = (await session.exec(query)).one()  # type: ignore[call-overload]
    return int(row_id), due_at


async def enqueue_urgent(
    session: AsyncSession, messages: list[dict[str, Any]], *, now: datetime
) -> int:
    """Add many urgent messages in one statement, to be sent now, each once per key
    (`dedupe_key`, `recipient_id`, `view`, `subject` and the program, pair and concern it is
    about); how many were new."""
    if not messages:
        return 0
    columns = ("program_id", "pair_id", "concern_id", "replaces_id", "reply_to")
    rows = [
        {
            **dict.fromkeys(columns),
            **message,
            "priority": URGENT,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for message in messages
    ]
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount)


class Claimed(NamedTuple):
    row: OutboxMessage
    # Its last claim ended with no outcome recorded (the process died, or the send got no
    # answer): it may have reached the person, so look before sending it again.
    in_doubt: bool


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Take up to `limit` due rows for this dispatcher until `now + lease`: urgent ones
    first, then in due order.

    Each row's new `claimed_until` is its claimant's fencing token (see `finish`): a row is
    claimable only once the previous lease has ended, so no two claims share one. The rows
    are picked first, to learn which were left claimed (in doubt), then claimed by a
    statement that checks again that each is free: on PostgreSQL the pick locks them (FOR
    UPDATE SKIP LOCKED) and the check always holds; on SQLite, where a SELECT starts no
    write transaction, a row another dispatcher claimed in between is not taken twice."""
    free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now)
    due = (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        free,
    )
    pick = (
        select(OutboxMessage.id, OutboxMessage.claimed_until)
        .where(*due)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    found = await session.exec(pick)  # type: ignore[call-overload]
    picked: dict[int, datetime | None] = dict(found.all())  # id → the claim it was left with
    if not picked:
        return []
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(picked)), *due)  # type: ignore[union-attr]
        .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list((await session.exec(claim)).scalars())  # type: ignore[call-overload]
    rows.sort(key=lambda row: (row.priority, row.next_attempt_at, row.id))
    return [Claimed(row, picked[row.id] is not None) for row in rows]


async def finish(
    session: AsyncSession,
    row_id: int,
    *,
    lease: datetime,
    refund_attempt: bool = False,
    in_doubt: bool = False,
    **values: Any,
) -> bool:
    """Record how a claimed row ended, if the claim `lease` is still the row's: False when
    the lease ran out and another dispatcher took the row, whose result must stand.
    `refund_attempt` undoes the claim's count when the row was not actually tried;
    `in_doubt` keeps, for the next claimant, that the row may have been sent already."""
    if refund_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claimed_until == lease,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(claimed_until=UNKNOWN_OUTCOME if in_doubt else None, **values)
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
    """On a single-process database every claim at start-up belongs to a dead process: free
    them now rather than after their lease, but remember that their sends' outcomes are
    unknown (the dead process may have sent them)."""
    await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.claimed_until.is_not(None),  # type: ignore[union-attr]
        )
        .values(claimed_until=UNKNOWN_OUTCOME)
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


async def cancel_unsent(session: AsyncSession, keys: list[str]) -> int:
    """Cancel the rows of `keys` that are waiting and not held by a dispatcher: a reminder
    of something done meanwhile, waiting for its recipient's working hours or for room
    under the weekly cap. A row being sent right now (or whose last send has no known
    outcome) goes its way. How many were cancelled."""
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.in_(keys),  # type: ignore[attr-defined]
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.claimed_until.is_(None),  # type: ignore[union-attr]
        )
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def rewrite_unsent(session: AsyncSession, row_id: int | None, view: dict[str, Any]) -> bool:
    """Give a message not yet on its way (no dispatcher holds it, none tried it) new
    content, so it goes out as it stands. False when it was sent, or may be on its way
    with the old content: then an update of the sent message has to follow it."""
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.claimed_until.is_(None),  # type: ignore[union-attr]
        )
        .values(view=view)  # and the session's copy of the row, as it now stands
    )
    return bool(result.rowcount)


async def drop_unsent(session: AsyncSession, row_id: int | None) -> bool:
    """Never send a message that has not started on its way (no dispatcher holds it, none
    tried it): it is superseded. False when it was sent, or may be on its way."""
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.claimed_until.is_(None),  # type: ignore[union-attr]
        )
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
