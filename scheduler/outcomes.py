"""How each claimed outbox row ended, and writing that down: only while this dispatcher's
lease on the row still holds, so a stale dispatcher never overwrites another's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.escalation.delivery import copy_undelivered
from handlers.ports import Address, SentRef
from storage import outbox
from storage.models import Identity, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Outcome:
    status: str
    at: datetime
    ref: SentRef | None = None
    platform: str | None = None
    recipient: Address | None = None
    retry_at: datetime | None = None
    error: str | None = None
    attempted: bool = True  # False: the row was put back untried (a pause, a wait)
    in_doubt: bool = False  # pending, and may have reached the person: look before resending

    def values(self) -> dict[str, Any]:
        """The row's columns after this outcome."""
        values: dict[str, Any] = {"status": self.status}
        if self.attempted:  # an untried row keeps the error of its last real attempt
            values["last_error"] = self.error
        if self.status == OutboxStatus.SENT:
            values.update(sent_at=self.at, sent_ref=self.ref, platform=self.platform)
        if self.retry_at is not None:
            values["next_attempt_at"] = self.retry_at
        return values


async def record(
    session: AsyncSession, row: OutboxMessage, lease: datetime, outcome: Outcome
) -> bool:
    """Write `outcome` if `lease` is still the row's claim; False if another dispatcher took
    the row after the lease ran out (its result stands). A manager's copy of a concern that
    failed has the escalation walk look at once for someone else to tell."""
    assert row.id is not None
    held = await outbox.finish(
        session,
        row.id,
        lease=lease,
        refund_attempt=not outcome.attempted,
        in_doubt=outcome.in_doubt,
        **outcome.values(),
    )
    if held and outcome.status == OutboxStatus.SENT:
        await _keep_new_address(session, outcome)
    if held and outcome.status == OutboxStatus.FAILED:
        await copy_undelivered(session, row, now=outcome.at)
    return held


async def _keep_new_address(session: AsyncSession, outcome: Outcome) -> None:
    """A messenger that had to open a conversation (Teams) returns how to reach the person
    from now on: keep it, so the next message continues that conversation."""
    new_address = (outcome.ref or {}).get("address")
    recipient = outcome.recipient
    if not new_address or recipient is None:
        return
    query = select(Identity).where(
        Identity.platform == recipient.platform, Identity.external_id == recipient.external_id
    )
    identity = (await session.exec(query)).first()
    if identity is not None:
        identity.address = new_address
        session.add(identity)
