"""`pause 2w` and `resume`: a person's routine prompts wait while they are away.
Concerns, and anything about one, never wait (handlers/context.py decides per message)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from handlers.context import Context
from handlers.settings_commands import Pause
from handlers.timefmt import when
from handlers.views import CommandHint, MessageView, section
from handlers.working_time import next_working_slot, zone_for
from storage import outbox
from storage.models import OutboxMessage, OutboxStatus


async def pause(ctx: Context, command: Pause) -> MessageView:
    ctx.me.paused_until = ctx.now + timedelta(days=command.days)
    ctx.session.add(ctx.me)
    ctx.audit("person.pause", f"person:{ctx.me.id}")
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
    return MessageView(
        notification="Your prompts are back on.",
        blocks=[section("Welcome back: your pause has ended, and routine messages resume.")],
    )


async def _release(ctx: Context, until: object) -> None:
    """Routine messages held for the pause's end come in the next working slot instead.
    Only those due in the pause's last working slot or earlier: what waits for a later
    week (the weekly cap) keeps its time."""
    zone = zone_for(ctx.me.timezone)
    assert ctx.me.id is not None
    held_until = next_working_slot(until, zone)  # type: ignore[arg-type]
    await ctx.session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.recipient_id) == ctx.me.id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.priority) == outbox.ROUTINE,
            col(OutboxMessage.next_attempt_at) > ctx.now,
            col(OutboxMessage.next_attempt_at) <= held_until,
        )
        .values(next_attempt_at=next_working_slot(ctx.now, zone))
        .execution_options(synchronize_session=False)
    )
