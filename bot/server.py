"""The one HTTP server, hardened against slow and idle clients: a request's headers and
then its body must each arrive within a time limit, and the number of open connections is
capped. At the cap, a new connection pushes out the connection that has waited longest
without a request being handled: idle between requests, or still sending a request's
headers or body (a client trickling its body a byte at a time is as slow as one that sends
nothing). So `/healthz` and Slack still get in; only when every connection has a whole
request being answered is the new one closed at once. Nothing piles up: file descriptors
stay bounded, and repeats are logged once with a count."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

import structlog
from aiohttp import web

from bot.repeats import Repeats

log = structlog.get_logger("mentorbot.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ServerLimits:
    max_connections: int = 512
    # From the connection (or the first byte of the next request) to its last header line,
    # and from there to the body's last byte. Slack gives a whole request 3 s.
    read_timeout: float = 10.0
    # A kept-alive connection with no request: longer than load balancers' idle timeouts
    # (AWS's is 60 s), or they would reuse a connection just closed here.
    idle_timeout: float = 75.0
    repeat_window: float = 60.0


# File descriptors the bot needs besides its clients' connections: the database pool,
# connections to Slack and Teams, the listening socket, logs.
OWN_FILES = 128


def within_open_file_limit(
    limits: ServerLimits,
    get: Callable[[int], tuple[int, int]] = resource.getrlimit,
    set_: Callable[[int, tuple[int, int]], None] = resource.setrlimit,
) -> ServerLimits:
    """The cap, fitted to the process's open-file limit: raised to what the cap needs when
    the hard limit allows (the soft default, often 1024, is only a default), else the cap
    is lowered, with one warning. Past the limit, accept() fails and nothing gets in."""
    soft, hard = get(resource.RLIMIT_NOFILE)
    needed = limits.max_connections + OWN_FILES
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return limits
    raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if raised > soft:
        with contextlib.suppress(ValueError, OSError):
            set_(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft >= needed:
        return limits
    fitted = max(1, soft - OWN_FILES)
    log.warning(
        "server_connections_lowered",
        max_connections=fitted,
        asked=limits.max_connections,
        open_file_limit=soft,
    )
    return replace(limits, max_connections=fitted)


class Phase(Enum):
    """Where a connection is in its request's life. All but HANDLING may be pushed out."""

    HEAD = "head"  # the connection just opened, or a request's headers are arriving
    BODY = "body"  # the headers are in; the body is arriving
    HANDLING = "handling"  # the whole request is in, and is being answered
    IDLE = "idle"  # kept alive between requests


class _Connection(asyncio.Protocol):
    """aiohttp's protocol for one connection, seen by the guard on the way in."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self.inner, self.guard = inner, guard
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.phase = Phase.HEAD

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.inner.connection_made(transport)
        self.guard.opened(self)

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.IDLE and self in self.guard.waiting:
            self.guard.head_started(self)  # the next request on a kept-alive connection
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.closed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class ConnectionGuard:
    def __init__(self, limits: ServerLimits, repeats: Repeats) -> None:
        self.limits, self.repeats = limits, repeats
        # Connections without a whole request being handled, in the order they started to
        # wait (opened, began their next request, or finished one): the first makes room.
        self.waiting: OrderedDict[_Connection, None] = OrderedDict()
        self.busy: set[_Connection] = set()
        self._by_transport: dict[Any, _Connection] = {}
        self.most_open = 0  # the most connections open at once, for tests and operators
        self.accepted = 0

    @property
    def open(self) -> int:
        return len(self.waiting) + len(self.busy)

    def protocol_factory(self, make: Callable[[], asyncio.Protocol]) -> Callable[[], _Connection]:
        return lambda: _Connection(make(), self)

    def opened(self, connection: _Connection) -> None:
        self.accepted += 1
        self._by_transport[connection.transport] = connection
        self.waiting[connection] = None
        self._time_out(connection, self.limits.read_timeout)
        if self.open > self.limits.max_connections:
            # The longest-waiting one: a slow or idle client, never a request being
            # answered. The new connection waits too: it is the one closed when all are busy.
            victim = next(iter(self.waiting))
            self.repeats.note(
                "server_connection_limit", max_connections=self.limits.max_connections
            )
            self.closed(victim)
            victim.close()
        self.most_open = max(self.most_open, self.open)

    def head_started(self, connection: _Connection) -> None:
        connection.phase = Phase.HEAD
        self.waiting.move_to_end(connection)  # its wait for this request starts now
        self._time_out(connection, self.limits.read_timeout)

    def body_started(self, transport: Any) -> _Connection | None:
        """The headers are in: the body has the read timeout (the middleware's) to come.
        The connection keeps its place among the waiting: its request is not whole yet."""
        connection = self._by_transport.get(transport)
        if connection is not None and connection in self.waiting:
            connection.phase = Phase.BODY
            self._cancel_timer(connection)
        return connection

    def request_read(self, connection: _Connection) -> None:
        if connection in self.waiting:
            del self.waiting[connection]
            self.busy.add(connection)
            connection.phase = Phase.HANDLING

    def request_finished(self, connection: _Connection) -> None:
        if connection in self.busy or connection in self.waiting:  # not if pushed out
            self.busy.discard(connection)
            self.waiting.pop(connection, None)
            self.waiting[connection] = None  # now the most recently active waiting one
            connection.phase = Phase.IDLE
            self._time_out(connection, self.limits.idle_timeout)

    def closed(self, connection: _Connection) -> None:
        self.waiting.pop(connection, None)
        self.busy.discard(connection)
        self._by_transport.pop(connection.transport, None)
        self._cancel_timer(connection)

    def _time_out(self, connection: _Connection, seconds: float) -> None:
        self._cancel_timer(connection)
        loop = asyncio.get_running_loop()
        connection.timer = loop.call_later(seconds, self._timed_out, connection)

    def _timed_out(self, connection: _Connection) -> None:
        connection.timer = None
        if connection in self.waiting:
            if connection.phase is Phase.HEAD:
                self.repeats.note("server_request_head_timeout", seconds=self.limits.read_timeout)
            self.closed(connection)
            connection.close()

    @staticmethod
    def _cancel_timer(connection: _Connection) -> None:
        if connection.timer is not None:
            connection.timer.cancel()
            connection.timer = None

    def middleware(self) -> Any:
        """Reads the body within the time limit (aiohttp keeps it: the handler's own read
        returns it), and marks the connection busy while its whole request is handled."""
        timeout = self.limits.read_timeout

        @web.middleware
        async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
            connection = self.body_started(request.transport)
            try:
                if request.body_exists:
                    try:
                        async with asyncio.timeout(timeout):
                            await request.read()
                    except TimeoutError:
                        self.repeats.note("server_request_body_timeout", seconds=timeout)
                        return await _answered_and_closed(request, 408, BODY_TOO_SLOW)
                    except ConnectionError:  # pushed out at the cap, or the client left
                        return web.Response(status=400)  # to no one: aiohttp drops it
                if connection is not None:
                    self.request_read(connection)
                return await handler(request)
            finally:
                if connection is not None:
                    self.request_finished(connection)

        return guarded


BODY_TOO_SLOW = {"error": "the request body did not arrive in time"}


async def _answered_and_closed(
    request: web.Request, status: int, body: dict[str, str]
) -> web.StreamResponse:
    """Answer, then close at once: aiohttp would otherwise linger, reading the rest of a
    body that is not coming."""
    response = web.json_response(body, status=status)
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # the answer is in the transport's buffer: sent first
    return response


class Server:
    """The aiohttp app served on a listening socket behind the guard."""

    def __init__(
        self,
        web_app: web.Application,
        limits: ServerLimits | None = None,
        repeats: Repeats | None = None,
    ) -> None:
        """`repeats`: the process's, shared with the platform edges (a flood of refused
        requests is counted as slow clients are); by default one of the server's own."""
        self.limits = limits or ServerLimits()
        self.repeats = repeats or Repeats(self.limits.repeat_window)
        self.guard = ConnectionGuard(self.limits, self.repeats)
        web_app.middlewares.insert(0, self.guard.middleware())
        # keepalive_timeout: the guard closes idle connections itself, and earlier.
        # lingering_time: how long aiohttp reads on after answering a request whose body
        # it did not read (too large: 413); a slow client must not hold it longer.
        self.runner = web.AppRunner(
            web_app,
            handle_signals=False,
            shutdown_timeout=20,
            keepalive_timeout=3630,
            lingering_time=self.limits.read_timeout,
        )
        self._server: asyncio.AbstractServer | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._collapse: Any = None

    async def start(self, sock: socket.socket) -> None:
        await self.runner.setup()
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self.repeats.loop_exception_handler)
        self._collapse = self.repeats.install()
        self._flushing = asyncio.create_task(self.repeats.flush_every_window())
        protocol = self.guard.protocol_factory(self.runner.server)  # type: ignore[arg-type]
        self._server = await loop.create_server(protocol, sock=sock, backlog=128)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (aiohttp's shutdown), then close."""
        if self._server is not None:
            self._server.close()
        await self.runner.cleanup()
        if self._flushing is not None:
            self._flushing.cancel()
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._collapse is not None:
            Repeats.uninstall(self._collapse)
        asyncio.get_running_loop().set_exception_handler(None)
