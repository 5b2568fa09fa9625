"""`pause 2w` and `resume`: a person's routine prompts wait while they are away.
Concerns, and anything about one, never wait (handlers/context.py decides per message)."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.pause_holds import hold, release
from handlers.settings_commands import Pause
from handlers.timefmt import when
from handlers.views import CommandHint, MessageView, section


async def pause(ctx: Context, command: Pause) -> MessageView:
    ctx.me.paused_until = ctx.now + timedelta(days=command.days)
    ctx.session.add(ctx.me)
    await hold(ctx, ctx.me.paused_until)
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
    await release(ctx, until)
    return MessageView(
        notification="Your prompts are back on.",
        blocks=[section("Welcome back: your pause has ended, and routine messages resume.")],
    )
