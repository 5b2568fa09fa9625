"""Button clicks. The message itself is updated in place through the outbox; the clicker's
private word (or the reason the click did nothing) goes through the outbox too, to the
click's response_url, so that Slack being down delays it instead of losing it."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import parse
from bot.slack.answering import Answering
from bot.slack.listeners import views
from bot.slack.workspace import HOME
from handlers.carried import Inbound, Kind
from handlers.context import Deps
from handlers.form_router import opens_form

# Every block action, known or not: a button on an old message (from an earlier version of
# the bot) must still be acked and answered, or Bolt answers 404 and Slack shows an error.
# The core decides what an action id means.
ANY_BLOCK_ACTION = {"type": "block_actions", "action_id": re.compile(r"")}


def register(app: AsyncApp, deps: Deps, answering: Answering) -> None:
    @app.action(ANY_BLOCK_ACTION)
    async def button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
        respond: AsyncRespond | None,
        client: AsyncWebClient,
    ) -> None:
        await ack()  # a click's acknowledgement carries no message: the answer follows
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return  # not a click as Slack sends one: nobody to answer, nothing to do
        team = body.get("team") if isinstance(body.get("team"), dict) else {}
        caller = parse.caller(
            user["id"], user.get("team_id") or team.get("id"), home=context.get(HOME, False)
        )
        action_id, value = str(action.get("action_id", "")), str(action.get("value", ""))
        key = parse.request_key(body, request.raw_body)
        if opens_form(action_id):  # the modal must open within 3 s of the click
            click = (action_id, value, body.get("trigger_id"))
            await views.open_form(deps, client, caller, click, (key, parse.reply_to(body)))
            return
        inbound = Inbound(
            Kind.CLICK,
            key,
            caller,
            action=action_id,
            value=value,
            reply_to=parse.reply_to(body),
        )
        await answering.answer(
            deps,
            inbound,
            inbound.deadline(),
            listener=f"{__name__}.button",
            context=context,
            respond=respond,
        )
