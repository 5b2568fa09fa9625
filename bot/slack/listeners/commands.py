"""`/mentoring …`: answered privately (ephemeral) within Slack's 3 seconds, in the ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import parse, render
from handlers.context import Deps
from handlers.router import handle_text

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


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/mentoring", middleware=[refuse_malformed])
    async def mentoring(ack: AsyncAck, command: dict[str, Any]) -> None:
        caller = parse.command_caller(command)
        assert caller is not None  # refuse_malformed answered anything else
        answer = await handle_text(deps, caller, parse.command_text(command.get("text") or ""))
        assert answer is not None  # slash commands are never retried, so never deduplicated
        await ack(response_type="ephemeral", **render.message(answer))
