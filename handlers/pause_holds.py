"""What a pause holds, and what `resume` releases. Routine messages only: concerns, and
anything about one, never wait (handlers/context.py).

- `pause`: routine messages already queued to go before the pause ends (waiting for the
  recipient's morning, say) wait for the first working slot after it instead.
- `resume`: routine messages waiting for the pause's end come in the next working slot, as
  if the pause had been set to end now; what waits for a later week (the weekly cap) keeps
  its time. Check-in rounds that fell due during the pause were deferred to its end: they
  fall due now (and are asked in the next working slot).
- Either way a check-in's reminder moves with its prompt: 3 working days after it goes out.
  Working slots are in the zone that applies to each message (the person's, else its
  program's), as when it was queued."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from handlers.checkins.prompts import CHECKIN, remind_after
from handlers.context import Context
from handlers.working_time import next_working_slot, zone_for
from storage import due, outbox
from storage.models import OutboxMessage, OutboxStatus, Program, Subject

Picks = Callable[[datetime, ZoneInfo], bool]  # (when a row goes, its zone) -> moved?


async def hold(ctx: Context, until: datetime) -> None:
    """`until`: when the pause ends."""

    def before_its_end(goes_at: datetime, zone: ZoneInfo) -> bool:
        return goes_at < next_working_slot(until, zone)

    await _shift(ctx, before_its_end, lambda zone: next_working_slot(until, zone))


async def release(ctx: Context, until: datetime) -> None:
    """`until`: when the pause would have ended."""
    assert ctx.me.id is not None

    def held_for_its_end(goes_at: datetime, zone: ZoneInfo) -> bool:
        return ctx.now < goes_at <= next_working_slot(until, zone)

    await _shift(ctx, held_for_its_end, lambda zone: next_working_slot(ctx.now, zone))
    await due.bring_forward(
        ctx.session, person_id=ctx.me.id, kind=CHECKIN, deferred_to=until, now=ctx.now
    )


async def _shift(ctx: Context, picks: Picks, slot_in: Callable[[ZoneInfo], datetime]) -> None:
    for program_id, rows in (await _routine_waiting(ctx)).items():
        program = await ctx.session.get(Program, program_id) if program_id else None
        zone = zone_for(ctx.me.timezone, program.timezone if program else None)
        moved = [row for row in rows if picks(row.next_attempt_at, zone)]
        if not moved:
            continue
        slot = slot_in(zone)
        await _move(ctx, [row.id for row in moved if row.id is not None], slot)
        prompts = [
            row.id
            for row in moved
            if row.id is not None and row.subject == Subject.CHECKIN and row.replaces_id is None
        ]
        await remind_after(ctx, prompts, slot, zone)


async def _routine_waiting(ctx: Context) -> dict[int | None, list[OutboxMessage]]:
    """The person's routine messages not sent yet, by program."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.recipient_id) == ctx.me.id,
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.priority) == outbox.ROUTINE,
    )
    by_program: dict[int | None, list[OutboxMessage]] = defaultdict(list)
    for row in (await ctx.session.exec(query.order_by(OutboxMessage.id))).all():
        by_program[row.program_id].append(row)
    return by_program


async def _move(ctx: Context, row_ids: list[int], slot: datetime) -> None:
    await ctx.session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(row_ids),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(next_attempt_at=slot)
        .execution_options(synchronize_session=False)
    )
