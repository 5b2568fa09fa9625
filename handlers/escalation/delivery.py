"""A manager's copy of a concern (or a reminder) that could not be delivered: the person is
gone or unreachable. The walk looks at once whether anyone at the concern's level can still
be reached (walk.py, `check_reach`), and tells the next level if not. The app itself being
unable to send fails nothing (an operator's alarm): the copies wait, and so does the walk."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.escalation.start import CHECK
from storage import due
from storage.models import OutboxMessage, Subject

COPIES = (Subject.CONCERN, Subject.ESCALATION)


async def copy_undelivered(session: AsyncSession, row: OutboxMessage, *, now: datetime) -> bool:
    """Called in the transaction that records `row` as failed; True if the walk will look."""
    if row.subject not in COPIES or row.concern_id is None:
        return False
    await due.schedule(
        session,
        key=f"{CHECK}:{row.concern_id}:{row.id}",
        kind=CHECK,
        due_at=now,
        now=now,
        program_id=row.program_id,
        pair_id=row.pair_id,
        concern_id=row.concern_id,
    )
    return True
