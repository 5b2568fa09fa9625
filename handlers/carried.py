"""Requests acknowledged before their work was done, kept in the database until it is.

An edge that acknowledges a request first and works after (Slack's 3 seconds ran out, or
the bot was too busy to start it) has told the platform "done": nobody will send it again.
So before that acknowledgement it keeps what the request needs to run again (who, what was
typed or pressed, where to answer), and deletes it once the work is done. A process killed
in between leaves the row behind; when its lease runs out a sweep (any replica's) runs it
again, under the same once-key, so work that did commit is not done twice.

Kept rows hold people's words until done: minutes, not the life of the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import router
from handlers.context import Caller, Deps
from handlers.deadline import Deadline
from handlers.views import MessageView
from storage.models import CarriedRequest, OutboxMessage, ProcessedEvent

log = structlog.get_logger("mentorbot.carried")
# Work carried on past its acknowledgement finishes in seconds; a row still there after
# this long belongs to a process that died (or to work that failed): it is run again.
LEASE = timedelta(seconds=60)
MOST_ATTEMPTS = 3  # a request that fails every time is given up, not retried for ever
SWEEP_BATCH = 50


class Kind(StrEnum):
    TEXT = "text"  # a command typed, answered to its reply_to
    CLICK = "click"  # a button pressed, answered to its reply_to
    DIRECT = "direct"  # a message typed to the bot, answered in that conversation


@dataclass(frozen=True)
class Inbound:
    """A request as the core runs it, whatever platform it came from."""

    kind: Kind
    key: str  # the platform's id of this delivery: a retry or a replay has the same
    caller: Caller
    text: str = ""
    action: str = ""
    value: str = ""
    reply_to: dict[str, Any] | None = None

    def deadline(self) -> Deadline | None:
        """A fresh Deadline: a command may still answer inline; a click's answer never does."""
        if self.kind is Kind.DIRECT:
            return None
        return Deadline(self.reply_to, late=self.kind is Kind.CLICK)


async def run(deps: Deps, inbound: Inbound, deadline: Deadline | None) -> MessageView | None:
    """The request's work: what the edge runs first, and a sweep runs again."""
    caller, key = inbound.caller, inbound.key
    match inbound.kind:
        case Kind.TEXT:
            return await router.handle_text(
                deps, caller, inbound.text, event_key=key, deadline=deadline
            )
        case Kind.CLICK:
            return await router.handle_action(
                deps, caller, inbound.action, inbound.value, event_key=key, deadline=deadline
            )
        case Kind.DIRECT:
            await router.handle_direct_message(deps, caller, inbound.text, event_key=key)
            return None


async def keep(deps: Deps, inbounds: list[Inbound], *, lease: timedelta = LEASE) -> None:
    """Keep the requests until `forget`, in one transaction (a burst's requests are kept
    together); a row already kept for a key is left alone."""
    now = deps.clock.now()
    rows = [_row(inbound, now, lease) for inbound in inbounds]
    async with deps.sessions() as session, session.begin():
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(CarriedRequest).values(rows)
        await session.exec(statement.on_conflict_do_nothing(index_elements=["key"]))  # type: ignore[call-overload]


def _row(inbound: Inbound, now: datetime, lease: timedelta) -> dict[str, Any]:
    return {
        "key": inbound.key,
        "kind": inbound.kind.value,
        "caller": asdict(inbound.caller),
        "payload": {"text": inbound.text, "action": inbound.action, "value": inbound.value},
        "reply_to": inbound.reply_to,
        "received_at": now,
        "lease_until": now + lease,
        "attempts": 0,
    }


async def forget(deps: Deps, key: str) -> None:
    async with deps.sessions() as session, session.begin():
        await session.exec(delete(CarriedRequest).where(col(CarriedRequest.key) == key))  # type: ignore[call-overload]


async def run_left_behind(deps: Deps, *, limit: int = SWEEP_BATCH) -> int:
    """Run again the kept requests whose lease ran out; how many were taken."""
    taken = await _claim(deps, limit)
    for row in taken:
        await _run_again(deps, row)
    return len(taken)


async def _claim(deps: Deps, limit: int) -> list[CarriedRequest]:
    """Rows whose lease ran out, each taken by one sweep: the conditional update lets only
    one of two replicas move a row's lease (the other's update then matches nothing)."""
    now = deps.clock.now()
    async with deps.sessions() as session, session.begin():
        query = (
            select(CarriedRequest)
            .where(col(CarriedRequest.lease_until) <= now)
            .order_by(col(CarriedRequest.received_at))
            .limit(limit)
        )
        rows = list((await session.exec(query)).all())
        taken = []
        for row in rows:
            moved = await session.exec(  # type: ignore[call-overload]
                update(CarriedRequest)
                .where(col(CarriedRequest.key) == row.key, col(CarriedRequest.lease_until) <= now)
                .values(lease_until=now + LEASE, attempts=row.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount:
                taken.append(row)
        for row in taken:
            session.expunge(row)
        return taken


async def _run_again(deps: Deps, row: CarriedRequest) -> None:
    if row.attempts + 1 > MOST_ATTEMPTS:
        log.error("carried_request_given_up", key=row.key, kind=row.kind, attempts=row.attempts)
        await forget(deps, row.key)
        return
    inbound = _inbound(row)
    if not await _done(deps, inbound.key):
        try:
            await run(deps, inbound, _late(inbound))
        except Exception as error:  # the lease runs out again and the next sweep retries
            log.error("carried_request_failed", key=row.key, error=type(error).__name__)
            return
        log.info("carried_request_run_again", key=row.key, kind=row.kind)
    await forget(deps, row.key)


def _late(inbound: Inbound) -> Deadline | None:
    """Run again, nobody waits on the acknowledgement: the answer goes to reply_to."""
    if inbound.kind is Kind.DIRECT:
        return None
    return Deadline(inbound.reply_to, late=True)


async def _done(deps: Deps, key: str) -> bool:
    """The work committed before the process died: the request was recorded as handled,
    or its answer was queued (in the same transaction as its effects)."""
    async with deps.sessions() as session:
        if await session.get(ProcessedEvent, key) is not None:
            return True
        return await _answer_queued(session, key)


async def _answer_queued(session: AsyncSession, key: str) -> bool:
    query = select(OutboxMessage.id).where(col(OutboxMessage.dedupe_key) == f"answer:{key}")
    return (await session.exec(query)).first() is not None


def _inbound(row: CarriedRequest) -> Inbound:
    fields = dict(row.caller)
    fields["aliases"] = tuple(fields.get("aliases") or ())
    payload = row.payload
    return Inbound(
        kind=Kind(row.kind),
        key=row.key,
        caller=Caller(**fields),
        text=str(payload.get("text", "")),
        action=str(payload.get("action", "")),
        value=str(payload.get("value", "")),
        reply_to=row.reply_to,
    )
