"""`pause 2w` and `resume`: a person's routine prompts wait while they are away.

What is decided during the pause waits for its end when it is queued (handlers/context.py
decides per message); what was queued before and would reach them during it is moved
past its end when they pause; `resume` brings what waits for the pause's end forward to
their next working hours. Either way the weekly cap holds, the most important first
(handlers/weekly_cap.py). Concerns, and anything about one, never wait."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from handlers import weekly_cap
from handlers.checkins.prompts import resume_held_rounds
from handlers.context import Context
from handlers.settings_commands import Pause
from handlers.timefmt import when
from handlers.views import CommandHint, MessageView, section
from handlers.working_time import next_working_slot, zone_for
from storage import outbox
from storage.models import OutboxMessage, Program


async def pause(ctx: Context, command: Pause) -> MessageView:
    ctx.me.paused_until = ctx.now + timedelta(days=command.days)
    ctx.session.add(ctx.me)
    ctx.audit("person.pause", f"person:{ctx.me.id}")
    await _hold(ctx, ctx.me.paused_until)
    until = when(ctx.me.paused_until, ctx.me.timezone)
    return MessageView(
        notification="Your prompts are paused.",
        blocks=[
            section(
                f"Paused until {until}: check-ins, reminders and other routine messages wait "
                "until then. You can still raise a concern at any time, and it reaches the "
                "program manager at once."
            ),
            section("To end the pause sooner: ", CommandHint(text="resume"), "."),
        ],
    )


async def resume(ctx: Context) -> MessageView:
    until = ctx.me.paused_until
    if until is None or until <= ctx.now:
        return MessageView(
            notification="You are not paused.", blocks=[section("You are not paused.")]
        )
    ctx.me.paused_until = None
    ctx.session.add(ctx.me)
    ctx.audit("person.resume", f"person:{ctx.me.id}")
    await _release(ctx, until)
    await resume_held_rounds(ctx, ctx.me, until)
    return MessageView(
        notification="Your prompts are back on.",
        blocks=[section("Welcome back: your pause has ended, and routine messages resume.")],
    )


async def _hold(ctx: Context, until: datetime) -> None:
    """What was queued before the pause and would reach them during it moves past its end,
    placed under the weekly cap as if queued now, the most important first. A message
    already on its way (due, claimed or tried) is the dispatcher's and goes as it is."""
    due_in_pause = col(OutboxMessage.next_attempt_at) < until
    for row in await _routine_queued(ctx, due_in_pause):
        placing = await _placing(ctx, row)
        slot = weekly_cap.first_slot(ctx.now, until, placing.zone)
        # Only if still due in the pause: a message placed before it may have moved on.
        await weekly_cap.move_on(ctx.session, placing, row.id, slot, only_if=due_in_pause)


async def _release(ctx: Context, until: datetime) -> None:
    """Routine messages held for the pause's end come in the next working slot instead,
    within the weekly cap, the most important first. Only those due in the pause's last
    working slot or earlier: what waits for a later week (the weekly cap) keeps its time."""
    for row in await _routine_queued(ctx, col(OutboxMessage.next_attempt_at) >= until):
        placing = await _placing(ctx, row)
        held_until = next_working_slot(until, placing.zone)
        if row.next_attempt_at > held_until:
            continue
        slot = next_working_slot(ctx.now, placing.zone)
        # Only if still held: a message released before it may have moved it on.
        held = col(OutboxMessage.next_attempt_at) <= held_until
        await weekly_cap.move_on(ctx.session, placing, row.id, slot, only_if=held)


async def _routine_queued(ctx: Context, when_due: ColumnElement[bool]) -> list[OutboxMessage]:
    """The caller's routine messages not yet on their way and due `when_due`, the most
    important first, then in the order they were decided."""
    query = select(OutboxMessage).where(
        col(OutboxMessage.recipient_id) == ctx.me.id,
        col(OutboxMessage.priority) == outbox.ROUTINE,
        *weekly_cap.not_on_its_way(ctx.now),
        when_due,
    )
    rows = list((await ctx.session.exec(query)).all())
    return sorted(rows, key=lambda r: (weekly_cap.rank(r.subject), r.next_attempt_at, r.id))


async def _placing(ctx: Context, row: OutboxMessage) -> weekly_cap.Placing:
    """As Work.say places a routine message: the person's zone, else the program's."""
    assert ctx.me.id is not None
    program = await ctx.session.get(Program, row.program_id) if row.program_id else None
    zone = zone_for(ctx.me.timezone, program.timezone if program else None)
    cap = program.weekly_cap if program else weekly_cap.DEFAULT_CAP
    return weekly_cap.Placing(ctx.me.id, row.subject, zone, cap, ctx.now)
