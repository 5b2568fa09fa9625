"""The composition root: database, messengers, dispatcher, schedule and one aiohttp server."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp
from handlers.context import Deps
from handlers.ports import Clock, Messenger, SystemClock
from scheduler.dispatcher import Dispatcher
from scheduler.runner import Schedule
from storage import db, outbox

log = structlog.get_logger("mentorbot")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    deps: Deps
    dispatcher: Dispatcher
    messengers: dict[str, Messenger] = field(default_factory=dict)


async def open_database(url: str) -> AsyncEngine:
    """SQLite upgrades itself; PostgreSQL is upgraded by `mentorbot db upgrade`."""
    engine = db.create_engine(url)
    if db.is_sqlite(url):
        await db.upgrade(engine)
        async with db.transaction(db.session_factory(engine)) as session:
            await outbox.release_all_claims(session)
    return engine


def build_runtime(
    settings: Settings,
    engine: AsyncEngine,
    messengers: dict[str, Messenger],
    clock: Clock | None = None,
    *,
    sends_at_once: int = 8,
    **deps_options: object,
) -> Runtime:
    """`sends_at_once=1` sends in queue order: the console numbers buttons as it prints."""
    clock = clock or SystemClock()
    sessions = db.session_factory(engine)
    dispatcher = Dispatcher(sessions, clock, messengers, concurrency=sends_at_once)
    deps = Deps(
        sessions=sessions,
        clock=clock,
        admins=settings.admins,
        wake_dispatcher=dispatcher.wake,
        **deps_options,
    )  # type: ignore[arg-type]
    return Runtime(settings, engine, deps, dispatcher, messengers)


def build_web_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        ready = await db.ping(runtime.engine)
        return web.json_response({"ok": ready}, status=200 if ready else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT: then stop taking requests, finish in-flight work, exit."""
    async with ClientSession() as http:  # one pool of connections to Slack for every call
        await _serve(settings, http)


async def _serve(settings: Settings, http: ClientSession) -> None:
    from bot.slack.app import attach, build_client, build_edge, http_handler
    from bot.teams.app import build_edge as build_teams_edge
    from bot.teams.app import http_handler as teams_http_handler

    engine = await open_database(settings.database_url)
    messengers: dict[str, Messenger] = {}
    edge = teams = None
    if settings.slack_configured:
        edge = build_edge(settings, build_client(settings, http))
        messengers["slack"] = edge.messenger
    if settings.teams_configured:
        teams = build_teams_edge(settings)
        messengers["teams"] = teams.messenger
    runtime = build_runtime(
        settings,
        engine,
        messengers,
        directories={"slack": edge.directory} if edge else {},
        open_platforms=frozenset(),
    )
    web_app = build_web_app(runtime)
    socket_handler = None
    if edge is not None:
        bolt = attach(edge, settings, runtime.deps)
        if settings.slack_socket_mode:
            socket_handler = await _start_socket_mode(bolt, settings)
        else:
            web_app.router.add_post("/slack/events", http_handler(bolt))
    if teams is not None:
        web_app.router.add_post("/api/messages", teams_http_handler(teams, runtime.deps))
    await _run_until_stopped(runtime, web_app, socket_handler)


async def _start_socket_mode(bolt: AsyncApp, settings: Settings) -> AsyncSocketModeHandler:
    assert settings.slack_app_token is not None
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    await handler.connect_async()
    log.info("slack_socket_mode_connected")
    return handler


async def _run_until_stopped(
    runtime: Runtime, web_app: web.Application, socket_handler: object | None
) -> None:
    runner = web.AppRunner(web_app, handle_signals=False, shutdown_timeout=20)
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=runtime.settings.port)
    await site.start()
    schedule = Schedule(runtime.dispatcher)
    schedule.start()
    dispatching = asyncio.create_task(runtime.dispatcher.run_forever())
    log.info(
        "mentorbot_started",
        port=runtime.settings.port,
        platforms=sorted(runtime.messengers) or ["none"],
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("mentorbot_stopping")
    if socket_handler is not None:
        await socket_handler.close_async()  # type: ignore[attr-defined]
    await runner.cleanup()  # stops accepting, waits for in-flight requests
    schedule.shutdown()
    await runtime.dispatcher.stop()
    await dispatching
    await runtime.engine.dispose()
    log.info("mentorbot_stopped")
