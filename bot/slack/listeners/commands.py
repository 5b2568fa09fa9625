"""`/mentoring …`: answered privately (ephemeral) in the acknowledgement when the answer is
ready within the budget, else acknowledged empty and answered a moment later through the
command's response_url (bot.slack.answering); done once however often it is delivered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack import parse, render
from bot.slack.answering import Answering
from bot.slack.workspace import HOME
from handlers.carried import Inbound, Kind
from handlers.context import Deps

log = structlog.get_logger("mentorbot.slack")
# Slack always sends these; a command without them cannot be answered for anyone.
MALFORMED = {"error": "not a slash command as Slack sends it: no user_id, or a field not text"}


async def refuse_malformed(
    command: dict[str, Any], next_: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """Before the listener: a command that does not say who typed it is a 400, not a
    KeyError in the listener (a 500 and a traceback, with nothing Slack could show)."""
    if parse.command_caller(command) is None:
        # Which fields are there, never their values: `text` holds a person's words.
        log.warning("slack_command_malformed", fields=sorted(map(str, command)))
        return BoltResponse(status=400, body=MALFORMED)
    await next_()
    return None


def register(app: AsyncApp, deps: Deps, answering: Answering) -> None:
    @app.command("/mentoring", middleware=[refuse_malformed])
    async def mentoring(
        ack: AsyncAck,
        command: dict[str, Any],
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
        respond: AsyncRespond | None,
    ) -> None:
        caller = parse.command_caller(command, home=context.get(HOME, False))
        assert caller is not None  # refuse_malformed answered anything else
        inbound = Inbound(
            Kind.TEXT,
            parse.request_key(command, request.raw_body),
            caller,
            text=parse.command_text(command.get("text") or ""),
            reply_to=parse.reply_to(command),
        )
        answer = await answering.answer(
            deps,
            inbound,
            inbound.deadline(),
            listener=f"{__name__}.mentoring",
            context=context,
            respond=respond,
        )
        if answer is None:  # late: it follows through the response_url; or a replay
            await ack()
        else:
            await ack(response_type="ephemeral", **render.message(answer))
