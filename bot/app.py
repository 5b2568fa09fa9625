"""The composition root: database, messengers, dispatcher, schedule and one aiohttp server."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import structlog
from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.database import (
    first_of,
    open_database,
    prepare_until_ready,
    schema_problem,
    until_ready,
)
from bot.repeats import Repeats
from bot.server import Server, ServerLimits, within_open_file_limit
from bot.settings import Settings, StartupProblem

if TYPE_CHECKING:
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from bot.slack.startup import SocketMode
from handlers.context import Deps
from handlers.ports import Clock, Messenger, SystemClock
from scheduler.dispatcher import Dispatcher
from scheduler.runner import Schedule
from storage import db

__all__ = ["Runtime", "build_runtime", "build_web_app", "listen", "open_database", "serve"]
log = structlog.get_logger("mentorbot")
STOP_SECONDS = 20.0  # what a request still running when asked to stop may take to finish


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    deps: Deps
    dispatcher: Dispatcher
    messengers: dict[str, Messenger] = field(default_factory=dict)
    # The port, bound by `listen` before anything else starts; None: bound when serving.
    listening: socket.socket | None = None
    # False while the server starts: the schema is being brought up to date.
    database_ready: bool = True
    # Awaited when stopping, once no more requests come: work still running past its ack.
    finishing: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Errors from outside that may come in floods (slow clients, refused requests):
    # the first of a kind in a window is logged, the rest counted (the server flushes it).
    repeats: Repeats = field(default_factory=Repeats)


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

    schema_current = False  # once seen current it stays so: readyz is one `SELECT 1`

    async def readyz(_: web.Request) -> web.Response:
        nonlocal schema_current
        problem = None
        if not await db.ping(runtime.engine):
            problem = "the database cannot be reached"
        elif not schema_current:
            migrating = not runtime.database_ready
            problem = await schema_problem(runtime.engine, migrating=migrating)
            schema_current = problem is None
        alarms = delivery_alarms(runtime)  # the app itself cannot send on a platform
        if problem or alarms:
            body = {"ok": False, **({"problem": problem} if problem else {}), **alarms}
            return web.json_response(body, status=503)
        return web.json_response({"ok": True})

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
    # Connected, and its schema brought up to date, once the server answers /healthz.
    engine = db.create_engine(settings.database_url)
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
            runtime.finishing.append(partial(edge.answering.finish, STOP_SECONDS))
            if edge.authorize is not None and identity is not None:
                edge.authorize.identity = identity  # the first request need not ask again
            if settings.slack_socket_mode:
                socket_mode = await start_socket_mode(
                    bolt, settings, slack_reachable=slack_reachable
                )
            else:
                secret = settings.slack_signing_secret
                web_app.router.add_post(
                    "/slack/events",
                    http_handler(
                        bolt,
                        secret.get_secret_value() if secret else None,
                        edge.answering,
                        runtime.repeats,
                    ),
                )
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
    runtime.database_ready = False
    web_app.middlewares.append(until_ready(lambda: runtime.database_ready))
    server = Server(web_app, within_open_file_limit(limits_of(runtime.settings)), runtime.repeats)
    try:
        # Without `listen` first (a test's serve()): a port taken is a StartupProblem here.
        sock = runtime.listening or listen(runtime.settings.port)
        await server.start(sock)
        # /healthz answers from here on; /readyz and the platforms wait for the schema.
        ready = await first_of(prepare_until_ready(runtime.engine), stop.wait())
    except db.SchemaTooNew:
        # Not this version's database: nothing here may touch it. /healthz answers, and
        # /readyz says why it is not ready, until the bot is stopped.
        ready = False
        await stop.wait()
    except BaseException:
        await _close(server, socket_handler, runtime)
        raise
    if not ready:  # stopped while the database was being prepared, or not this version's
        await _close(server, socket_handler, runtime)
        return
    runtime.database_ready = True
    schedule = Schedule(runtime.dispatcher, runtime.deps)
    schedule.start()
    runtime.dispatcher.on_undelivered_copy = schedule.sweep_due_now
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
    await server.stop()  # stops accepting, waits for in-flight requests
    for finish in runtime.finishing:
        await finish()
    schedule.shutdown()
    await runtime.dispatcher.stop()
    await dispatching
    await runtime.engine.dispose()
    log.info("mentorbot_stopped")


def limits_of(settings: Settings) -> ServerLimits:
    return ServerLimits(
        max_connections=settings.max_connections, read_timeout=settings.read_timeout
    )


async def _close(server: Server, socket_handler: SocketMode | None, runtime: Runtime) -> None:
    if socket_handler is not None:
        await socket_handler.close_async()
    await server.stop()
    await runtime.engine.dispose()
