"""Button clicks. The message itself is updated in place through the outbox; the clicker
gets a private word (or the reason the click did nothing)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack import parse, render
from handlers.context import Deps
from handlers.router import handle_action


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(re.compile(r"^concern\.(acknowledge|resolve)$"))
    async def concern_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        user = body["user"]
        caller = parse.caller(user["id"], user.get("team_id") or body.get("team", {}).get("id"))
        answer = await handle_action(deps, caller, action["action_id"], action.get("value", ""))
        await respond(response_type="ephemeral", replace_original=False, **render.message(answer))
