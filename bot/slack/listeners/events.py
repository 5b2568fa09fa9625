"""Events the manifest subscribes to: `message.im` (commands typed in a DM to the bot)
and `app_home_opened`. Every subscribed event has a listener, or Slack would retry it.
Each is acknowledged within the budget (bot.slack.answering); work still running then
carries on, its answer going through the outbox (a DM) or Slack's API (App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import parse, render
from bot.slack.answering import Answering
from bot.slack.workspace import HOME
from handlers.carried import Inbound, Kind
from handlers.context import Deps
from handlers.router import home_view

# A message a person typed: plain, or with a file attached (a screenshot with a concern).
TYPED = (None, "file_share")


def register(app: AsyncApp, deps: Deps, answering: Answering) -> None:
    @app.event("message")
    async def direct_message(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if event.get("subtype") not in TYPED or not isinstance(event.get("user"), str):
            return  # edits, deletions, joins and the bot's own messages are not commands
        caller = parse.caller(event["user"], body.get("team_id"), home=context.get(HOME, False))
        # The answer goes through the outbox (to the person's DM): Slack being down
        # when it is posted delays it instead of losing it.
        inbound = Inbound(
            Kind.DIRECT,
            f"slack:{body.get('event_id')}",
            caller,
            text=parse.command_text(event.get("text", "")),
        )
        await answering.answer(
            deps, inbound, None, listener=f"{__name__}.direct_message", context=context
        )

    @app.event("app_home_opened")
    async def home_opened(
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        caller = parse.caller(event["user"], body.get("team_id"), home=context.get(HOME, False))

        async def publish() -> None:
            view = await home_view(deps, caller)
            await client.views_publish(user_id=event["user"], view=render.home(view))

        await answering.within_budget(
            publish(),
            None,
            listener=f"{__name__}.home_opened",
            request="event:app_home_opened",
            context=context,
        )
