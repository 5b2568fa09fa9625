"""Slack's Socket Mode, faked: the fake Web API answers `apps.connections.open` with a
`ws://127.0.0.1:<port>/link/?ticket=…` URL served here by an aiohttp websocket, which
greets the client with `hello`, sends envelopes as Slack does and collects the acks.

    async with slack_socket_app(engine, clock) as slack:
        ack = await slack.socket.send("slash_commands", slack.command_form("UADA", "help"))
        assert ack["payload"]["response_type"] == "ephemeral"

The bot connects through its own startup code (`bot.slack.startup.start_socket_mode`: Bolt's
AsyncSocketModeHandler, slack_sdk's aiohttp SocketModeClient). Nothing is slept on: a test
awaits the ack of an envelope, or a call arriving at the fake Web API.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_runtime
from bot.settings import Settings
from bot.slack.app import build_client, build_edge
from bot.slack.startup import attach_slack, start_socket_mode
from fakes.slack_api import APP_ID
from fakes.slack_harness import ADMIN, BOT_TOKEN, PEOPLE, TZ, RecordingSlackApi, SlackHarness

APP_TOKEN = "xapp-1-A0001-test"
WAIT = 5.0  # seconds: only a safety net, so a broken test fails instead of hanging


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()
        self._arrived = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._connection)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = int(self._runner.addresses[0][1])
        self.url = f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id={APP_ID}"

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _connection(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                async with self._arrived:
                    self.acks[ack["envelope_id"]] = ack
                    self._arrived.notify_all()
        return socket

    async def send(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, **extra: Any
    ) -> dict[str, Any]:
        """Send an envelope of `kind` (slash_commands, events_api, interactive) and return
        the client's ack once it arrives."""
        envelope_id = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            **extra,
        }
        if kind == "events_api":
            envelope.setdefault("retry_reason", "")
            envelope["retry_attempt"] = retry_attempt
        assert self._socket is not None, "the bot has not connected"
        await self._socket.send_json(envelope)
        async with asyncio.timeout(WAIT), self._arrived:
            await self._arrived.wait_for(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]


class SocketFakeSlackApi(RecordingSlackApi):
    """The fake Web API, handing out the fake Socket Mode URL to the app token."""

    def __init__(self, socket: FakeSocketMode) -> None:
        super().__init__()
        self.socket = socket
        self._called = asyncio.Condition()

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket.url}
        return super()._answer(method, args)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        response = await super()._handle_api(request)
        async with self._called:
            self._called.notify_all()
        return response

    async def wait_for_calls(self, method: str, count: int) -> list[Any]:
        """The calls to `method`, once there are at least `count` of them."""
        async with asyncio.timeout(WAIT), self._called:
            await self._called.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)


class SocketHarness(SlackHarness):
    """SlackHarness's payload builders and outbox helpers; requests go over the socket."""

    socket: FakeSocketMode
    fake: SocketFakeSlackApi

    async def socket_command(self, user: str, text: str) -> dict[str, Any]:
        return await self.socket.send("slash_commands", self.command_form(user, text))


@asynccontextmanager
async def slack_socket_app(engine: AsyncEngine, clock: Any) -> AsyncIterator[SocketHarness]:
    """The Slack edge in Socket Mode, connected to the fake endpoint, built as in
    production: each envelope's ack waits for its listener, up to the answer budget."""
    socket = FakeSocketMode()
    await socket.start()
    try:
        async with SocketFakeSlackApi(socket) as fake:
            for user_id, (name, email) in PEOPLE.items():
                fake.add_user(user_id, name, email, tz=TZ)
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_APP_TOKEN=APP_TOKEN,
                SLACK_API_URL=fake.url,
                MENTORBOT_ADMINS=ADMIN,
            )
            edge = build_edge(settings, build_client(settings))
            runtime = build_runtime(
                settings,
                engine,
                {"slack": edge.messenger},
                clock=clock,
                directories={"slack": edge.directory},
                open_platforms=frozenset(),
            )
            bolt = attach_slack(edge, settings, runtime.deps)
            handler = await start_socket_mode(bolt, settings)
            try:
                async with asyncio.timeout(WAIT):
                    await socket.connected.wait()
                harness = SocketHarness(fake, runtime, edge, "", None)  # type: ignore[arg-type]
                harness.socket = socket
                yield harness
            finally:
                await handler.close_async()
    finally:
        await socket.stop()
