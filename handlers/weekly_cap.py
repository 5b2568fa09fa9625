"""When a routine message may reach a person: after their pause, in their working hours,
and within the program's weekly cap, the most important first.

Decided when the message is queued, in the transaction that queues it, so the cap holds
without a later sweep re-timing rows. The cap counts that person's routine messages
queued for the same week (Monday to Sunday in their zone, sent or not); a message that
finds its week full:

1. takes the place of the least important message queued for that week that is less
   important than itself and not yet on its way, which moves to the first working slot of
   the next week with room (placed there by the same rule, so it may in turn move a still
   less important one on);
2. else waits for the first working slot of the next week with room (or with such a less
   important message to take the place of).

Importance, most important first (IMPORTANCE): a check-in prompt (a round on the
program's cadence, or one a manager sent), then a check-in reminder (the prompt it
recalls is already in their DMs), then anything else. Messages of equal importance keep
the order they were decided in: a newcomer never moves one of its own rank.

"Not yet on its way" is a row that is pending, due later than now, never tried and never
claimed. The dispatcher claims only rows already due, and it owns every row it has
tried or claimed (its lease, its retries, a send whose outcome is unknown), so none of
those is ever moved. The move is one conditional UPDATE that checks all of this again, so
a row claimed meanwhile by another replica is left alone and the next candidate is
taken instead.

Briefings and greetings are essential on enrolment and pairing: they are neither held
nor counted. Messages about a concern, and answers, are urgent and never wait."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.working_time import next_working_slot
from storage import outbox
from storage.models import OutboxMessage, OutboxStatus, Subject

DEFAULT_CAP = 4
UNCAPPED = frozenset({Subject.GREETING, Subject.BRIEFING})
# Routine subjects the cap counts, the most important first; any other ranks after them.
IMPORTANCE = (Subject.CHECKIN, Subject.CHECKIN_REMINDER)
_RANKS: dict[str, int] = {subject: i for i, subject in enumerate(IMPORTANCE)}
MOST_WEEKS_AHEAD = 52  # a cap of 1 and a year of queued prompts: stop looking there


def rank(subject: str) -> int:
    """Lower is more important."""
    return _RANKS.get(subject, len(IMPORTANCE))


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


@dataclass(frozen=True)
class Placing:
    """A routine message being given its time: to whom, what it is, and under which cap."""

    recipient_id: int
    subject: str
    zone: ZoneInfo
    cap: int
    now: datetime
    moving_id: int | None = None  # a queued row being moved on: not counted against itself


async def capped_slot(
    session: AsyncSession,
    *,
    recipient_id: int,
    subject: str,
    slot: datetime,
    zone: ZoneInfo,
    cap: int,
    now: datetime,
) -> datetime:
    """`slot`, or the first working slot of the first later week with room under `cap`,
    where room may be made by moving a less important message on (see above)."""
    placing = Placing(recipient_id, subject, zone, cap, now)
    return await _place(session, placing, slot)


async def _place(session: AsyncSession, placing: Placing, slot: datetime) -> datetime:
    for _ in range(MOST_WEEKS_AHEAD):
        start, end = week_of(slot, placing.zone)
        counted = await queued_in(session, placing.recipient_id, start, end, placing.moving_id)
        if counted < placing.cap or await _make_room(session, placing, start, end):
            return slot
        slot = next_working_slot(end, placing.zone)
    return slot


async def _make_room(
    session: AsyncSession, placing: Placing, start: datetime, end: datetime
) -> bool:
    """Move the least important movable message of [start, end), if it is less important
    than the one being placed, to the next week with room. False if there is none."""
    next_week = next_working_slot(end, placing.zone)
    for row_id, subject in await _less_important(session, placing, start, end):
        if await move_on(session, replace(placing, subject=subject), row_id, next_week):
            return True
    return False


async def move_on(
    session: AsyncSession,
    placing: Placing,
    row_id: int,
    slot: datetime,
    *,
    only_if: ColumnElement[bool] | None = None,
) -> bool:
    """Move a queued message (of `placing.subject`) to `slot`, or to the first later week
    with room, placed by the rule above as if queued now. False, and nothing moved, if it
    is on its way (or `only_if` no longer holds)."""
    # Moved to `slot` first: the guarded UPDATE both checks that the row is still not on
    # its way and keeps it ours (its row lock, or SQLite's one writer) while its final
    # place is found.
    if not await _move(session, row_id, slot, placing.now, only_if):
        return False  # claimed meanwhile (by a dispatcher whose clock runs ahead)
    if placing.subject in UNCAPPED:
        return True
    final = await _place(session, replace(placing, moving_id=row_id), slot)
    if final != slot:
        await _move(session, row_id, final, placing.now)
    return True


async def _less_important(
    session: AsyncSession, placing: Placing, start: datetime, end: datetime
) -> list[tuple[int, str]]:
    """The movable rows of the week less important than the one placed: the least
    important first, and of those the one due last (it would have gone last anyway)."""
    query = select(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.next_attempt_at).where(
        *_counted(placing.recipient_id, start, end, placing.moving_id),
        *not_on_its_way(placing.now),
    )
    rows = [
        (row_id, subject, due)
        for row_id, subject, due in (await session.exec(query)).all()
        if rank(subject) > rank(placing.subject)
    ]
    rows.sort(key=lambda r: (rank(r[1]), r[2], r[0]), reverse=True)
    return [(row_id, subject) for row_id, subject, _ in rows]


async def _move(
    session: AsyncSession,
    row_id: int,
    to: datetime,
    now: datetime,
    only_if: ColumnElement[bool] | None = None,
) -> bool:
    also = [] if only_if is None else [only_if]
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, *not_on_its_way(now), *also)
        .values(next_attempt_at=to)
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount == 1)


def not_on_its_way(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Pending, not due yet, never tried, never claimed: the dispatcher has not seen it."""
    return (
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.next_attempt_at) > now,
        col(OutboxMessage.attempts) == 0,
        col(OutboxMessage.claimed_until).is_(None),
    )


def _counted(
    recipient_id: int, start: datetime, end: datetime, excluding: int | None = None
) -> list[ColumnElement[bool]]:
    """Routine, counted messages to that person due in [start, end) that reach them (sent
    or waiting: not failed, and not cancelled because they no longer held); not the row
    `excluding` (a row being moved is not counted against itself)."""
    conditions = [
        col(OutboxMessage.recipient_id) == recipient_id,
        col(OutboxMessage.priority) == outbox.ROUTINE,
        col(OutboxMessage.subject).not_in(list(UNCAPPED)),
        col(OutboxMessage.status).in_(outbox.DELIVERING),
        col(OutboxMessage.replaces_id).is_(None),
        col(OutboxMessage.next_attempt_at) >= start,
        col(OutboxMessage.next_attempt_at) < end,
    ]
    if excluding is not None:
        conditions.append(col(OutboxMessage.id) != excluding)
    return conditions


async def queued_in(
    session: AsyncSession,
    recipient_id: int,
    start: datetime,
    end: datetime,
    excluding: int | None = None,
) -> int:
    """How many counted messages that person has in [start, end), but `excluding`."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(*_counted(recipient_id, start, end, excluding))
    )
    return int((await session.exec(query)).one())
