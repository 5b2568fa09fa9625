"""A concern's history as its walk made it: who was sent it when, who was reminded, who could
not be reached. Read from the concern's outbox rows (their typed subject and concern), the
record of what was actually decided and delivered, in one query for any number of concerns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.mentions import UNKNOWN
from handlers.timefmt import when
from handlers.views import Mention, Section, bold, section
from storage.models import OutboxMessage, OutboxStatus, Subject

TOLD, REMINDED = Subject.CONCERN, Subject.ESCALATION


@dataclass(frozen=True)
class Copy:
    """One message a manager was sent about a concern: told of it, or reminded."""

    id: int
    concern_id: int
    recipient_id: int
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.status == OutboxStatus.FAILED

    @property
    def told(self) -> bool:
        return self.subject == TOLD


async def copies_of(session: AsyncSession, concern_ids: Iterable[int]) -> dict[int, list[Copy]]:
    """Each concern's copies, in the order they were decided."""
    ids = sorted(set(concern_ids))
    found: dict[int, list[Copy]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(
            OutboxMessage.id,
            OutboxMessage.concern_id,
            OutboxMessage.recipient_id,
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        )
        .where(
            col(OutboxMessage.concern_id).in_(ids),
            col(OutboxMessage.subject).in_((TOLD, REMINDED)),
        )
        .order_by(col(OutboxMessage.id))
    )
    for row in (await session.exec(query)).all():
        found[row[1]].append(Copy(*row))
    return found


def worth_showing(copies: list[Copy]) -> bool:
    """Once the walk has done more than tell the first people (a reminder, or someone who
    could not be reached), every copy shows how it went."""
    return any(not c.told or c.failed for c in copies)


def history_block(copies: list[Copy], people: dict[int, Mention], zone: str | None) -> Section:
    """`History` and one line per moment: who was sent it or reminded, who could not be
    reached (a copy that failed), in the reader's time zone."""
    lines: list = [bold("History")]
    for at, told, group in _moments(copies):
        reached = [c for c in group if not c.failed]
        if reached:
            lines += [f"\n• {when(at, zone)} · {'sent to' if told else 'reminder to'} "]
            lines += _names(reached, people)
        failed = [c for c in group if c.failed]
        if failed:
            lines += [f"\n• {when(at, zone)} · could not reach "]
            lines += _names(failed, people)
    return section(*lines)


def _moments(copies: list[Copy]) -> list[tuple[datetime, bool, list[Copy]]]:
    """Copies decided together (same time, same kind), in order."""
    moments: list[tuple[datetime, bool, list[Copy]]] = []
    for copy in copies:
        if moments and moments[-1][0] == copy.created_at and moments[-1][1] == copy.told:
            moments[-1][2].append(copy)
        else:
            moments.append((copy.created_at, copy.told, [copy]))
    return moments


def _names(copies: list[Copy], people: dict[int, Mention]) -> list[str | Mention]:
    mentions = [people.get(c.recipient_id, UNKNOWN) for c in copies]
    parts: list[str | Mention] = []
    for i, mention in enumerate(mentions):
        if i:
            parts.append(" and " if i == len(mentions) - 1 else ", ")
        parts.append(mention)
    return parts
