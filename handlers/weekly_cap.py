"""When a routine message may reach a person: after their pause, in their working hours,
and within the program's weekly cap. Decided once, when the message is queued: the
cap counts that person's routine messages already queued for the same week (Monday to
Sunday in their zone), and a message over the cap waits for the first working slot of
the next week that has room. So the cap holds without a later sweep re-timing rows,
and the messages of a week go out in the order they were decided.

Briefings and greetings are essential on enrolment and pairing: they are neither held
nor counted. Messages about a concern, and answers, are urgent and never wait."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.working_time import next_working_slot
from storage import outbox
from storage.models import OutboxMessage, Subject

DEFAULT_CAP = 4
UNCAPPED = frozenset({Subject.GREETING, Subject.BRIEFING})
MOST_WEEKS_AHEAD = 52  # a cap of 1 and a year of queued prompts: stop looking there


def week_of(at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The Monday-to-Sunday week holding `at` in `zone`, as [start, end) in UTC."""
    local = at.astimezone(zone).date()
    monday = local - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def first_slot(now: datetime, paused_until: datetime | None, zone: ZoneInfo) -> datetime:
    """The first working slot at or after now and after any pause."""
    start = max(now, paused_until) if paused_until else now
    return next_working_slot(start, zone)


async def capped_slot(
    session: AsyncSession,
    *,
    recipient_id: int,
    slot: datetime,
    zone: ZoneInfo,
    cap: int,
) -> datetime:
    """`slot`, or the first working slot of the first later week with room under `cap`."""
    for _ in range(MOST_WEEKS_AHEAD):
        start, end = week_of(slot, zone)
        if await queued_in(session, recipient_id, start, end) < cap:
            return slot
        slot = next_working_slot(end, zone)
    return slot


async def queued_in(
    session: AsyncSession, recipient_id: int, start: datetime, end: datetime
) -> int:
    """Routine, counted messages to that person due in [start, end) that reach them (sent
    or waiting: not failed, and not cancelled because they no longer held)."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.recipient_id) == recipient_id,
            col(OutboxMessage.priority) == outbox.ROUTINE,
            col(OutboxMessage.subject).not_in(list(UNCAPPED)),
            col(OutboxMessage.status).in_(outbox.DELIVERING),
            col(OutboxMessage.replaces_id).is_(None),
            col(OutboxMessage.next_attempt_at) >= start,
            col(OutboxMessage.next_attempt_at) < end,
        )
    )
    return int((await session.exec(query)).one())
