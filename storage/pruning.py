"""What is kept only for a while. A request's record (its once-key and first answer) is
needed while the platform may deliver it again: Slack retries an event for about an hour
and a signed request is accepted for 5 minutes. A day covers both, and stops the table
holding every request ever made, with its answers, people's words among them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedEvent

KEEP_REQUESTS = timedelta(days=1)


async def prune_requests(session: AsyncSession, *, now: datetime) -> int:
    """Forget requests recorded more than KEEP_REQUESTS ago; how many."""
    result = await session.exec(  # type: ignore[call-overload]
        delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < now - KEEP_REQUESTS)
    )
    return int(result.rowcount or 0)
