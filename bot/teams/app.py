"""The botbuilder adapter and the `/api/messages` endpoint."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace

import structlog
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot.settings import Settings
from bot.teams import parse
from bot.teams.bot import MentorbotTeamsBot
from bot.teams.messenger import TeamsMessenger
from handlers.context import Deps

log = structlog.get_logger("mentorbot.teams")


@dataclass
class TeamsEdge:
    adapter: CloudAdapter
    messenger: TeamsMessenger
    settings: Settings


def build_edge(settings: Settings) -> TeamsEdge:
    if not settings.teams_app_id:
        log.warning(
            "teams_unauthenticated",
            detail="TEAMS_ALLOW_UNAUTHENTICATED is on: Teams activities are NOT "
            "authenticated. Never use this in production.",
        )
    password = settings.teams_app_password
    config = SimpleNamespace(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE="SingleTenant" if settings.teams_tenant_id else "MultiTenant",
        APP_TENANTID=settings.teams_tenant_id or "",
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    adapter.on_turn_error = _on_turn_error
    return TeamsEdge(adapter, TeamsMessenger(adapter, settings.teams_app_id), settings)


async def _on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    # The activity's text is a person's words: log only what kind of failure it was.
    log.error(
        "teams_turn_failed", error=type(error).__name__, activity_type=turn_context.activity.type
    )
    await turn_context.send_activity("Sorry, something went wrong. Please try again.")


def http_handler(edge: TeamsEdge, deps: Deps) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST /api/messages: junk is a 400 before botbuilder sees it; another tenant a 403."""
    bot = MentorbotTeamsBot(deps)

    async def handle(request: web.Request) -> web.Response:
        body = await _activity_body(request)
        if body is None:
            return web.json_response({"error": "not a JSON activity"}, status=400)
        tenant = parse.tenant_of_body(body)
        expected = edge.settings.teams_tenant_id
        if expected and tenant != expected:
            log.warning(
                "teams_foreign_tenant_refused", tenant=tenant, activity_type=body.get("type")
            )
            return web.json_response({"error": "tenant not allowed"}, status=403)
        response = await edge.adapter.process(request, bot)
        return response or web.Response(status=201)

    return handle


async def _activity_body(request: web.Request) -> dict | None:
    if request.content_type != "application/json":
        return None
    try:
        body = json.loads(await request.text())
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    return body
