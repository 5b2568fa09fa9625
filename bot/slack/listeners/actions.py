"""Button clicks. The message itself is updated in place through the outbox; the clicker
gets a private word (or the reason the click did nothing)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack import parse, render
from handlers.context import Deps
from handlers.router import handle_action

# Every block action, known or not: a button on an old message (from an earlier version of
# the bot) must still be acked and answered, or Bolt answers 404 and Slack shows an error.
# The core decides what an action id means.
ANY_BLOCK_ACTION = {"type": "block_actions", "action_id": re.compile(r"")}


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ANY_BLOCK_ACTION)
    async def button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return  # not a click as Slack sends one: nobody to answer, nothing to do
        team = body.get("team") if isinstance(body.get("team"), dict) else {}
        caller = parse.caller(user["id"], user.get("team_id") or team.get("id"))
        answer = await handle_action(
            deps, caller, str(action.get("action_id", "")), str(action.get("value", ""))
        )
        await respond(response_type="ephemeral", replace_original=False, **render.message(answer))
