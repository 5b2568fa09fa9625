"""`/mentoring …`: answered privately (ephemeral) within Slack's 3 seconds, in the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import parse, render
from handlers.context import Deps
from handlers.router import handle_text


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/mentoring")
    async def mentoring(ack: AsyncAck, command: dict[str, Any]) -> None:
        caller = parse.caller(command["user_id"], command.get("team_id"))
        answer = await handle_text(deps, caller, parse.command_text(command.get("text", "")))
        assert answer is not None  # slash commands are never retried, so never deduplicated
        await ack(response_type="ephemeral", **render.message(answer))
