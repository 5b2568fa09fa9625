"""The composition root: database, messengers, dispatcher, schedule and one aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import structlog
from aiohttp import ClientSession, web
from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from bot.slack.app import SlackEdge
from handlers.context import Deps
from handlers.ports import Clock, Messenger, SystemClock
from scheduler.dispatcher import Dispatcher
from scheduler.runner import Schedule
from storage import db, outbox

log = structlog.get_logger("mentorbot")

# Slack's answers that mean the token itself is wrong: starting anyway would only fail on
# every request (bot token) or retry the websocket forever (app token).
SLACK_REFUSALS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "token_revoked",
        "token_expired",
        "account_inactive",
    }
)
# At start nobody is waiting on an answer: Slack gets longer than inside a request.
STARTUP_CHECK_SECONDS = 10.0
# While Slack cannot be reached at start, Socket Mode tries again after these many seconds,
# doubling up to the last (slack_sdk alone would retry every 10 s with a traceback each).
SOCKET_RETRY_SECONDS = (1.0, 60.0)
# Read by Bolt's AsyncApp as fallbacks for arguments the bot passes from Settings, or
# leaves out on purpose (a token-less client, no OAuth flow).
BOLT_ENVIRONMENT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


class StartupProblem(Exception):
    """A setting that cannot work, found at start: `mentorbot` prints it as one line (the
    setting's name first) and exits with 2, instead of a traceback or a retry loop."""


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
    from bot.teams.app import build_edge as build_teams_edge
    from bot.teams.app import http_handler as teams_http_handler

    edge = teams = None
    identity: AsyncSlackResponse | None = None
    slack_reachable = True
    if settings.slack_configured:
        edge = build_edge(settings, build_client(settings, http))
        # Before the database: a refused token stops the bot having touched nothing.
        identity, slack_reachable = await _check_bot_token(edge.client)
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
                socket_mode = await _start_socket_mode(
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


def attach_slack(edge: SlackEdge, settings: Settings, deps: Deps) -> AsyncApp:
    """bot.slack.app.attach, with Bolt's environment fallbacks hidden: the bot's settings
    come from Settings (the environment or .env) and nowhere else. Given SLACK_BOT_TOKEN in
    the environment, Bolt would take it as a token next to the token-less client it is
    handed and warn "As you gave `client` as well, `token` will be unused" on every start;
    given SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, it would switch on an OAuth flow."""
    from bot.slack.app import attach

    with _hidden_from_bolt(BOLT_ENVIRONMENT):
        return attach(edge, settings, deps)


@contextlib.contextmanager
def _hidden_from_bolt(names: tuple[str, ...]) -> Iterator[None]:
    # Only while Bolt's constructor runs, at start, before any other task exists.
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _slack_error(error: SlackApiError) -> str:
    data = getattr(error.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"http {getattr(error.response, 'status_code', '?')}")


def _unreachable_reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return _slack_error(error)
    return type(error).__name__  # an aiohttp error's text may carry the URL; the kind is enough


async def _check_bot_token(
    client: AsyncWebClient,
) -> tuple[AsyncSlackResponse | None, bool]:
    """(who the bot is, whether Slack answered). A token Slack refuses is a StartupProblem;
    Slack not answering is one warning, and the bot starts: the outbox holds messages
    until Slack is back."""
    try:
        async with asyncio.timeout(STARTUP_CHECK_SECONDS):
            return await client.auth_test(), True
    except SlackApiError as error:
        code = _slack_error(error)
        if code in SLACK_REFUSALS:
            raise StartupProblem(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): set the app's Bot User OAuth "
                "Token (xoxb-…) from OAuth & Permissions"
            ) from None
        reason = code
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = _unreachable_reason(error)
    log.warning(
        "slack_unreachable_at_start",
        reason=reason,
        detail="starting anyway; messages wait in the outbox until Slack answers",
    )
    return None, False


class SocketMode:
    """Bolt's Socket Mode handler, and the task that connects it once Slack answers when it
    could not be reached at start. `close_async` as the handler's: stops both."""

    def __init__(self, handler: AsyncSocketModeHandler) -> None:
        self.handler = handler
        self.connecting: asyncio.Task[None] | None = None

    async def close_async(self) -> None:
        if self.connecting is not None:
            self.connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.connecting
        await self.handler.close_async()


async def _start_socket_mode(
    bolt: AsyncApp, settings: Settings, *, slack_reachable: bool = True
) -> SocketMode:
    """Connects now; or, when Slack cannot be reached, in the background (one warning, no
    traceback per attempt). An app token Slack refuses is a StartupProblem."""
    assert settings.slack_app_token is not None
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    socket_mode = SocketMode(
        AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    )
    if slack_reachable:  # else auth.test just failed to reach Slack and said so
        try:
            url = await _socket_mode_url(socket_mode.handler)
        except StartupProblem:
            await socket_mode.close_async()  # its own aiohttp session, made by the handler
            raise
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "slack_unreachable_at_start",
                reason=_unreachable_reason(error),
                detail="Socket Mode connects once Slack answers",
            )
        else:
            await _connect(socket_mode.handler, url)
            return socket_mode
    socket_mode.connecting = asyncio.create_task(_connect_when_reachable(socket_mode.handler))
    return socket_mode


async def _socket_mode_url(handler: AsyncSocketModeHandler) -> str:
    """apps.connections.open with the app token: the websocket's URL. Asked here, not by
    slack_sdk, which on any error logs a traceback and retries every 10 s for ever."""
    try:
        async with asyncio.timeout(STARTUP_CHECK_SECONDS):
            opened = await handler.client.web_client.apps_connections_open(
                app_token=handler.app_token
            )
    except SlackApiError as error:
        code = _slack_error(error)
        if code in SLACK_REFUSALS:
            raise StartupProblem(
                f"SLACK_APP_TOKEN was refused by Slack ({code}): set an app-level token "
                "(xapp-…) with the connections:write scope, from Basic Information"
            ) from None
        raise
    return str(opened["url"])


async def _connect(handler: AsyncSocketModeHandler, url: str) -> None:
    handler.client.wss_uri = url  # the URL just issued: slack_sdk need not ask again
    await handler.connect_async()
    log.info("slack_socket_mode_connected")


async def _connect_when_reachable(handler: AsyncSocketModeHandler) -> None:
    delay, longest = SOCKET_RETRY_SECONDS
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)
        try:
            url = await _socket_mode_url(handler)
        except StartupProblem as problem:
            # Too late to stop the bot cleanly mid-run: said loudly, and no more attempts.
            log.error("slack_socket_mode_refused", detail=str(problem))
            return
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            continue  # still unreachable: said once at start
        await _connect(handler, url)
        return


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
