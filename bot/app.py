"""The composition root: database, messengers, dispatcher, schedule and one aiohttp server."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings, StartupProblem

if TYPE_CHECKING:
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from bot.slack.startup import SocketMode
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
    # The port, bound by `listen` before anything else starts; None: bound when serving.
    listening: socket.socket | None = None


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
        delivery_alarms=dispatcher.platforms.alarms,
        **deps_options,
    )  # type: ignore[arg-type]
    return Runtime(settings, engine, deps, dispatcher, messengers)


def build_web_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        ready = await db.ping(runtime.engine)
        alarms = delivery_alarms(runtime)
        ok = ready and not alarms
        return web.json_response({"ok": ok, **alarms}, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


def delivery_alarms(runtime: Runtime) -> dict[str, str]:
    """For /readyz: each platform this process cannot send to at all (a revoked token,
    refused credentials), with why in words. Cleared by the next message delivered there."""
    return runtime.dispatcher.platforms.alarms()


def listen(port: int) -> socket.socket:
    """The server's socket, bound and listening before anything else starts: a port in use
    is one line naming PORT, before the database or Slack is touched. Connections that
    arrive before the app serves wait in the backlog."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As aiohttp does: a restart need not wait for the last run's connections to time out.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("0.0.0.0", port))
        sock.listen(128)  # only listening holds the port against another process
    except OSError as error:
        sock.close()
        raise StartupProblem(_port_problem(port, error)) from None
    sock.setblocking(False)
    return sock


def _port_problem(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"PORT {port} is already in use: stop what listens on it, or set PORT to a free port"
    if error.errno == errno.EACCES:
        return f"PORT {port} needs privileges this process does not have: use a port above 1023"
    return f"PORT {port} cannot be listened on: {error.strerror or type(error).__name__}"


async def serve(settings: Settings, listening: socket.socket | None = None) -> None:
    """Run until SIGTERM/SIGINT: then stop taking requests, finish in-flight work, exit.
    Raises StartupProblem for a setting found not to work (a token Slack refuses)."""
    async with ClientSession() as http:  # one pool of connections to Slack for every call
        await _serve(settings, http, listening)


async def _serve(
    settings: Settings, http: ClientSession, listening: socket.socket | None = None
) -> None:
    from bot.slack.app import build_client, build_edge, http_handler
    from bot.slack.startup import attach_slack, check_bot_token, start_socket_mode
    from bot.teams.app import build_edge as build_teams_edge
    from bot.teams.app import http_handler as teams_http_handler

    edge = teams = None
    identity: AsyncSlackResponse | None = None
    slack_reachable = True
    if settings.slack_configured:
        edge = build_edge(settings, build_client(settings, http))
        # Before the database: a refused token stops the bot having touched nothing.
        identity, slack_reachable = await check_bot_token(edge.client)
    engine = await open_database(settings.database_url)
    messengers: dict[str, Messenger] = {}
    if edge is not None:
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
    runtime.listening = listening
    web_app = build_web_app(runtime)
    socket_mode: SocketMode | None = None
    try:
        if edge is not None:
            bolt = attach_slack(edge, settings, runtime.deps)
            if edge.authorize is not None and identity is not None:
                edge.authorize.identity = identity  # the first request need not ask again
            if settings.slack_socket_mode:
                socket_mode = await start_socket_mode(
                    bolt, settings, slack_reachable=slack_reachable
                )
            else:
                web_app.router.add_post("/slack/events", http_handler(bolt))
        if teams is not None:
            web_app.router.add_post("/api/messages", teams_http_handler(teams, runtime.deps))
    except BaseException:
        await engine.dispose()
        raise
    await _run_until_stopped(runtime, web_app, socket_mode)


async def _run_until_stopped(
    runtime: Runtime, web_app: web.Application, socket_handler: SocketMode | None
) -> None:
    # Before anything says it started: a SIGTERM sent as soon as `mentorbot_started` is read
    # must stop the bot cleanly, not kill it with the default handler.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(web_app, handle_signals=False, shutdown_timeout=20)
    await runner.setup()
    site: web.BaseSite
    if runtime.listening is not None:
        site = web.SockSite(runner, runtime.listening)
    else:
        site = web.TCPSite(runner, host="0.0.0.0", port=runtime.settings.port)
    try:
        await site.start()
    except OSError as error:  # without `listen` first: the port was taken meanwhile
        await runner.cleanup()
        if socket_handler is not None:
            await socket_handler.close_async()
        await runtime.engine.dispose()
        raise StartupProblem(_port_problem(runtime.settings.port, error)) from None
    schedule = Schedule(runtime.dispatcher)
    schedule.start()
    dispatching = asyncio.create_task(runtime.dispatcher.run_forever())
    log.info(
        "mentorbot_started",
        port=runtime.settings.port,
        platforms=sorted(runtime.messengers) or ["none"],
    )
    await stop.wait()
    log.info("mentorbot_stopping")
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()  # stops accepting, waits for in-flight requests
    schedule.shutdown()
    await runtime.dispatcher.stop()
    await dispatching
    await runtime.engine.dispose()
    log.info("mentorbot_stopped")
