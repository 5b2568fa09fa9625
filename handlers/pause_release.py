"""`resume`: what a pause held comes in the person's next working hours, as if the pause
had been set to end now.

- Routine messages waiting for the pause's end move to the next working slot, in the zone
  that applies to each (the person's, else its program's, as when it was queued). What
  waits for a later week (the weekly cap) keeps its time.
- A check-in's reminder moves with its prompt: 3 working days after it now goes out.
- Check-in rounds that fell due during the pause were deferred to its end: they fall due
  now (and are asked in the next working slot)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from handlers.checkins.prompts import CHECKIN, remind_after
from handlers.context import Context
from handlers.working_time import next_working_slot, zone_for
from storage import due, outbox
from storage.models import OutboxMessage, OutboxStatus, Program, Subject


async def release(ctx: Context, until: datetime) -> None:
    """`until`: when the pause would have ended."""
    assert ctx.me.id is not None
    for program_id, rows in (await _waiting(ctx)).items():
        program = await ctx.session.get(Program, program_id) if program_id else None
        zone = zone_for(ctx.me.timezone, program.timezone if program else None)
        held_until, slot = next_working_slot(until, zone), next_working_slot(ctx.now, zone)
        held = [row for row in rows if row.next_attempt_at <= held_until]
        if not held:
            continue
        await _move(ctx, [row.id for row in held], slot)  # type: ignore[misc]
        prompts = [r.id for r in held if r.subject == Subject.CHECKIN and r.replaces_id is None]
        await remind_after(ctx, prompts, slot, zone)  # type: ignore[arg-type]
    await due.bring_forward(
        ctx.session, person_id=ctx.me.id, kind=CHECKIN, deferred_to=until, now=ctx.now
    )


async def _waiting(ctx: Context) -> dict[int | None, list[OutboxMessage]]:
    """The person's routine messages waiting for a later moment, by program."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.recipient_id) == ctx.me.id,
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.priority) == outbox.ROUTINE,
        col(OutboxMessage.next_attempt_at) > ctx.now,
    )
    by_program: dict[int | None, list[OutboxMessage]] = defaultdict(list)
    for row in (await ctx.session.exec(query.order_by(OutboxMessage.id))).all():
        by_program[row.program_id].append(row)
    return by_program


async def _move(ctx: Context, row_ids: list[int], slot: datetime) -> None:
    await ctx.session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(row_ids), col(OutboxMessage.status) == OutboxStatus.PENDING
        )
        .values(next_attempt_at=slot)
        .execution_options(synchronize_session=False)
    )
