"""Both edges on one runtime, as `mentorbot` serves them: the real Bolt app at /slack/events
talking to the fake Slack Web API, and botbuilder at /api/messages talking to the fake Bot
Connector; one outbox, one dispatcher with both messengers::

    async with mixed_app(engine, clock) as (slack, teams):
        await teams.say("max", "help")                      # Max is on Teams
        await slack.command("UADA", "managers add max@example.com")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_runtime, build_web_app
from bot.settings import Settings
from bot.slack.app import build_client
from bot.slack.app import build_edge as build_slack_edge
from bot.slack.app import http_handler as slack_http_handler
from bot.slack.startup import attach_slack
from bot.teams.app import build_edge as build_teams_edge
from bot.teams.app import http_handler as teams_http_handler
from bot.teams.auth import BotFrameworkKeys
from fakes.bot_connector import FakeBotConnector
from fakes.slack_harness import BOT_TOKEN, SIGNING_SECRET, TZ, RecordingSlackApi, SlackHarness
from fakes.teams_harness import TENANT, TeamsHarness, TeamsPerson, add_people, serve

SLACK_PEOPLE = {
    "UADA": ("Ada", "ada@example.com"),
    "UOMAR": ("Omar", "omar@example.com"),
    "ULENA": ("Lena", "lena@example.com"),  # Lena is on Teams too
}


def _teams_person(key: str, name: str) -> TeamsPerson:
    return TeamsPerson(key, f"29:1{key}", name, f"aad-{key}", f"{key}@example.com")


TEAMS_PEOPLE = {
    "max": _teams_person("max", "Max Planck"),
    "sam": _teams_person("sam", "Sam Cooke"),
    "lena": _teams_person("lena", "Lena Meyer"),
}


@dataclass
class MixedPlatforms:
    """Slack's Web API and Teams' Bot Connector, faked, with the people each knows: what
    outlives a bot process (a restarted or second bot talks to the same ones)."""

    slack_api: RecordingSlackApi
    connector: FakeBotConnector
    teams_people: dict[str, TeamsPerson]


@asynccontextmanager
async def mixed_platforms(
    *,
    slack_people: dict[str, tuple[str, str]] | None = None,
    teams_people: dict[str, TeamsPerson] | None = None,
    slack_zones: dict[str, str] | None = None,
) -> AsyncIterator[MixedPlatforms]:
    """`slack_zones`: user id -> the `tz` users.info gives (default Europe/London)."""
    slack_people = SLACK_PEOPLE if slack_people is None else slack_people
    teams_people = TEAMS_PEOPLE if teams_people is None else teams_people
    async with RecordingSlackApi() as slack_api, FakeBotConnector() as connector:
        for user_id, (name, email) in slack_people.items():
            slack_api.add_user(user_id, name, email, tz=(slack_zones or {}).get(user_id, TZ))
        add_people(connector, teams_people, TENANT)
        yield MixedPlatforms(slack_api, connector, teams_people)


@asynccontextmanager
async def mixed_bot(
    platforms: MixedPlatforms,
    engine: AsyncEngine,
    clock: Any,
    *,
    admins: str = "UADA",
    teams_keys: BotFrameworkKeys | None = None,
    **settings_changes: Any,
) -> AsyncIterator[tuple[SlackHarness, TeamsHarness]]:
    """One bot process on `platforms`: both edges on one runtime, served on a free port.
    Leaving it stops the server (the engine is the caller's)."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": platforms.slack_api.url,
        "TEAMS_ALLOW_UNAUTHENTICATED": True,
        # One organisation: its Teams e-mail addresses are believed.
        "TEAMS_TENANT_ID": TENANT,
        "MENTORBOT_ADMINS": admins,
    }
    settings = Settings(_env_file=None, **(values | settings_changes))  # type: ignore[call-arg]
    slack_edge = build_slack_edge(settings, build_client(settings))
    teams_edge = build_teams_edge(settings, teams_keys)
    runtime = build_runtime(
        settings,
        engine,
        {"slack": slack_edge.messenger, "teams": teams_edge.messenger},
        clock=clock,
        directories={"slack": slack_edge.directory},
        open_platforms=frozenset(),
    )
    bolt = attach_slack(slack_edge, settings, runtime.deps)
    web_app = build_web_app(runtime)
    web_app.router.add_post(
        "/slack/events",
        slack_http_handler(bolt, SIGNING_SECRET, slack_edge.answering, runtime.repeats),
    )
    web_app.router.add_post("/api/messages", teams_http_handler(teams_edge, runtime.deps))
    runner, port = await serve(web_app)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            slack = SlackHarness(
                platforms.slack_api, runtime, slack_edge, f"{base}/slack/events", http
            )
            teams = TeamsHarness(
                platforms.connector,
                runtime,
                teams_edge,
                f"{base}/api/messages",
                http,
                platforms.teams_people,
                TENANT,
            )
            yield slack, teams
    finally:
        await runner.cleanup()
        await teams_edge.keys.close()


@asynccontextmanager
async def mixed_app(
    engine: AsyncEngine,
    clock: Any,
    *,
    admins: str = "UADA",
    slack_people: dict[str, tuple[str, str]] | None = None,
    teams_people: dict[str, TeamsPerson] | None = None,
    teams_keys: BotFrameworkKeys | None = None,
    **settings_changes: Any,
) -> AsyncIterator[tuple[SlackHarness, TeamsHarness]]:
    """`settings_changes`: settings by name, over the ones below (e.g. TEAMS_APP_ID with
    TEAMS_ALLOW_UNAUTHENTICATED=False); `teams_keys`: as for `teams_app`."""
    async with (
        mixed_platforms(slack_people=slack_people, teams_people=teams_people) as platforms,
        mixed_bot(
            platforms, engine, clock, admins=admins, teams_keys=teams_keys, **settings_changes
        ) as (slack, teams),
    ):
        yield slack, teams
