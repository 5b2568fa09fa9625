"""Slow and idle clients cannot take the server down: a request's headers and body must
each arrive within the read timeout, open connections are capped (at the cap the
longest-waiting idle connection makes room, so /healthz still answers), and an error
that repeats is logged once, then counted. Real sockets on loopback, tiny timeouts."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from bot.server import Phase, Server, ServerLimits

WAIT = 5.0  # bound on waiting for the server to act; the timeouts under test are 0.3 s
LIMITS = ServerLimits(max_connections=20, read_timeout=0.3, idle_timeout=60.0, repeat_window=600)


def _app() -> web.Application:
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"length": len(await request.read())})

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/echo", echo)
    return app


@asynccontextmanager
async def served(limits: ServerLimits = LIMITS) -> AsyncIterator[tuple[Server, int]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    server = Server(_app(), limits)
    await server.start(sock)
    try:
        yield server, sock.getsockname()[1]
    finally:
        await server.stop()
        sock.close()


async def _until(condition: Any) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the server did not get there in time"
        await asyncio.sleep(0.005)  # the server works in this same loop: let it run


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed this connection (waits for it, boundedly)."""
    try:
        return await asyncio.wait_for(reader.read(1024), WAIT) == b""
    except ConnectionResetError:
        return True


async def _slow_clients(port: int, count: int) -> list[tuple[Any, Any]]:
    """`count` connections that each send one byte of a request, and then nothing."""
    clients = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"G")
        await writer.drain()
        clients.append((reader, writer))
    return clients


def _repeats(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in entry.items() if k != "log_level"}
        for entry in logs
        if entry["event"].startswith("server_") or entry["event"] == "repeated"
    ]


async def test_slow_clients_are_capped_and_timed_out_while_healthz_answers() -> None:
    with capture_logs() as logs:
        async with served() as (server, port):
            guard = server.guard
            clients = await _slow_clients(port, 50)
            await _until(lambda: guard.accepted == 50)
            assert guard.most_open == 20 and guard.open == 20  # never more than the cap
            # The 30 that waited longest were closed to make room for the newer ones.
            assert all([await _closed(reader) for reader, _ in clients[:30]])
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/healthz") as response,
            ):
                # ... and with the cap full of slow clients, /healthz still gets in.
                assert (response.status, await response.json()) == (200, {"ok": True})
            assert guard.most_open == 20
            # Not one of them finished its request: each is closed after the read timeout.
            assert all([await _closed(reader) for reader, _ in clients[30:]])
            for _, writer in clients:
                writer.close()
            await _until(lambda: guard.open == 0)
    # One line when it first happens, one with the count when the window ends (here: stop).
    assert _repeats(logs) == [
        {"event": "server_connection_limit", "max_connections": 20},
        {"event": "server_request_head_timeout", "seconds": 0.3},
        # 30 slow ones, and one more for /healthz: the first was logged
        {
            "event": "repeated",
            "repeated_event": "server_connection_limit",
            "times": 30,
            "max_connections": 20,
        },
        # 19 of the newest 20 (one made room for /healthz)
        {
            "event": "repeated",
            "repeated_event": "server_request_head_timeout",
            "times": 18,
            "seconds": 0.3,
        },
    ]


async def test_a_body_that_does_not_arrive_in_time_is_408_and_closed() -> None:
    with capture_logs() as logs:
        async with served() as (server, port):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n0123456789"  # 10 of the 100 bytes, then nothing
            )
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), WAIT)  # to the end: closed
            writer.close()
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert answer.endswith(b'{"error": "the request body did not arrive in time"}')
            # The same request, whole, is answered: the limit is on slowness, not size.
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"http://127.0.0.1:{port}/echo", data=b"x" * 100) as response,
            ):
                assert (response.status, await response.json()) == (200, {"length": 100})
            assert server.guard.most_open <= 2
    assert _repeats(logs) == [{"event": "server_request_body_timeout", "seconds": 0.3}]


async def test_the_next_request_on_a_kept_alive_connection_must_come_in_time_too() -> None:
    """After an answer the connection may wait idle (60 s here), but once the next
    request starts, its headers have the read timeout (0.3 s) to arrive."""
    async with served() as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        await asyncio.wait_for(reader.readexactly(12), WAIT)  # {"ok": true}
        assert server.guard.open == 1  # kept alive
        writer.write(b"GET /hea")  # the next request, started and never finished
        await writer.drain()
        assert await _closed(reader)
        writer.close()


async def test_junk_from_many_connections_is_one_line_and_a_count(caplog) -> None:
    """aiohttp logs each bad request with a traceback: the first passes, without the
    traceback (the client is to blame), the others are counted."""
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        async with served() as (_, port):
            for _ in range(30):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n")
                await writer.drain()
                assert (await asyncio.wait_for(reader.read(), WAIT)).startswith(
                    b"HTTP/1.0 400 Bad Request"
                )
                writer.close()
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelname, r.getMessage().split(" from ")[0], r.exc_info) for r in records] == [
        ("ERROR", "Error handling request", None)
    ]
    assert records[0].getMessage().endswith(": LineTooLong")
    assert _repeats(logs) == [
        {
            "event": "repeated",
            "repeated_event": "aiohttp.server",
            "times": 29,
            "message": "Error handling request from %s",
            "error": "LineTooLong",
        }
    ]


async def test_out_of_file_descriptors_is_one_line_and_a_count() -> None:
    """What asyncio reports when accept() finds no file descriptor left, once per try:
    80,632 tracebacks in 30 s before. Now one line, then a count."""
    loop = asyncio.get_running_loop()
    with capture_logs() as logs:
        async with served():
            for _ in range(1000):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(24, "Too many open files"),
                    }
                )
    assert [{k: v for k, v in e.items() if k != "log_level"} for e in logs] == [
        {
            "event": "event_loop_error",
            "message": "socket.accept() out of system resource",
            "error": "OSError",
        },
        {
            "event": "repeated",
            "repeated_event": "event_loop_error",
            "times": 999,
            "message": "socket.accept() out of system resource",
            "error": "OSError",
        },
    ]
    assert loop.get_exception_handler() is None  # the bot's handler goes when it stops


@pytest.mark.parametrize("cap", [1, 3])
async def test_when_every_connection_is_busy_a_new_one_is_closed_at_once(cap) -> None:
    release = asyncio.Event()
    app = web.Application()

    async def slow(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True})

    app.router.add_get("/slow", slow)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    server = Server(app, ServerLimits(max_connections=cap, read_timeout=5, repeat_window=600))
    await server.start(sock)
    port = sock.getsockname()[1]
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            busy = [
                asyncio.create_task(http.get(f"http://127.0.0.1:{port}/slow")) for _ in range(cap)
            ]
            await _until(lambda: len(server.guard.busy) == cap)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await _closed(reader)  # refused: no request in progress was cut for it
            writer.close()
            assert len(server.guard.busy) == cap
            release.set()
            for response in await asyncio.gather(*busy):
                assert response.status == 200
                response.release()
    finally:
        await server.stop()
        sock.close()


async def test_a_kept_alive_connection_with_no_next_request_is_closed_when_idle_too_long():
    limits = ServerLimits(max_connections=20, read_timeout=60, idle_timeout=0.3, repeat_window=600)
    with capture_logs() as logs:
        async with served(limits) as (server, port):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).startswith(
                b"HTTP/1.1 200 OK\r\n"
            )
            await asyncio.wait_for(reader.readexactly(12), WAIT)
            assert await _closed(reader)  # idle for 0.3 s: closed, quietly
            writer.close()
            assert server.guard.open == 0
    assert _repeats(logs) == []  # an idle connection closed is routine, not an error


async def test_repeats_are_counted_in_one_line_each_window() -> None:
    from bot.repeats import Repeats

    repeats = Repeats(window=0.05)
    with capture_logs() as logs:
        flushing = asyncio.create_task(repeats.flush_every_window())
        for _ in range(5):
            repeats.note("server_request_head_timeout", seconds=10)
        await _until(lambda: any(e["event"] == "repeated" for e in logs))
        repeats.note("server_request_head_timeout", seconds=10)  # a new window: logged
        flushing.cancel()
        await asyncio.gather(flushing, return_exceptions=True)
    assert [{k: v for k, v in e.items() if k != "log_level"} for e in logs] == [
        {"event": "server_request_head_timeout", "seconds": 10},
        {
            "event": "repeated",
            "repeated_event": "server_request_head_timeout",
            "times": 4,
            "seconds": 10,
        },
        {"event": "server_request_head_timeout", "seconds": 10},
    ]


def test_the_limits_come_from_the_settings() -> None:
    from bot.app import limits_of
    from bot.settings import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, MENTORBOT_MAX_CONNECTIONS="20", MENTORBOT_READ_TIMEOUT="0.5"
    )
    assert limits_of(settings) == ServerLimits(max_connections=20, read_timeout=0.5)
    defaults = limits_of(Settings(_env_file=None))  # type: ignore[call-arg]
    assert (defaults.max_connections, defaults.read_timeout) == (2048, 10.0)


def _rlimits(soft: int, hard: int, settable: bool = True) -> tuple[Any, Any, list[Any]]:
    import resource

    state = {"soft": soft}
    calls: list[Any] = []

    def get(kind: int) -> tuple[int, int]:
        assert kind == resource.RLIMIT_NOFILE
        return state["soft"], hard

    def set_(kind: int, value: tuple[int, int]) -> None:
        calls.append(value)
        if not settable:
            raise ValueError("not allowed")
        state["soft"] = value[0]

    return get, set_, calls


def test_the_open_file_limit_is_raised_for_the_cap_when_allowed() -> None:
    from bot.server import within_open_file_limit

    get, set_, calls = _rlimits(soft=256, hard=4096)
    limits = ServerLimits(max_connections=512)
    assert within_open_file_limit(limits, get, set_) == limits
    assert calls == [(640, 4096)]  # the cap and the bot's own files (128)


def test_the_cap_is_lowered_to_the_open_file_limit_with_one_warning() -> None:
    """Over the limit, accept() fails (EMFILE) and not even /healthz gets in."""
    from bot.server import within_open_file_limit

    get, set_, _ = _rlimits(soft=200, hard=200)
    with capture_logs() as logs:
        fitted = within_open_file_limit(ServerLimits(max_connections=512), get, set_)
    assert fitted.max_connections == 72
    assert logs == [
        {
            "event": "server_connections_lowered",
            "max_connections": 72,
            "asked": 512,
            "open_file_limit": 200,
            "log_level": "warning",
        }
    ]
    get, set_, calls = _rlimits(soft=2048, hard=4096)
    assert (
        within_open_file_limit(ServerLimits(max_connections=512), get, set_).max_connections == 512
    )
    assert calls == []  # enough already: left alone


async def _trickling_clients(port: int, count: int) -> list[tuple[Any, Any]]:
    """`count` connections whose request's headers are all in, and whose body (100 bytes)
    comes a byte at a time: one byte each, so far."""
    clients = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0")
        await writer.drain()
        clients.append((reader, writer))
    return clients


async def test_clients_trickling_their_bodies_make_room_as_slow_clients_do() -> None:
    """Whole headers, then a body a byte at a time: slow, not busy. With the cap full of
    such clients, /healthz and a whole POST still get in: the client that has been reading
    its request longest makes room (a long read timeout here: the cap alone decides)."""
    limits = ServerLimits(max_connections=8, read_timeout=60, idle_timeout=60, repeat_window=600)
    with capture_logs() as logs:
        async with served(limits) as (server, port):
            guard = server.guard
            bodies = await _trickling_clients(port, 8)
            await _until(lambda: guard.open == 8 and all(_reading_bodies(guard)))
            for _, writer in bodies:  # one more byte each: still not whole
                writer.write(b"1")
                await writer.drain()
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/healthz") as health,
            ):
                assert (health.status, await health.json()) == (200, {"ok": True})
                async with http.post(f"http://127.0.0.1:{port}/echo", data=b"x" * 10) as echo:
                    assert (echo.status, await echo.json()) == (200, {"length": 10})
            assert await _closed(bodies[0][0])  # the one reading longest made room
            await _until(lambda: guard.open == 7)  # /healthz's client has gone
            assert guard.most_open == 8
            # Two more: one makes room, again the one reading its request longest.
            later = await _slow_clients(port, 2)
            assert await _closed(bodies[1][0])
            await _until(lambda: guard.open == 8)
            assert [not reader.at_eof() for reader, _ in bodies[2:]] == [True] * 6
            for _, writer in [*bodies, *later]:
                writer.close()
            await _until(lambda: guard.open == 0)
    assert _repeats(logs) == [
        {"event": "server_connection_limit", "max_connections": 8},
        {
            "event": "repeated",
            "repeated_event": "server_connection_limit",
            "times": 1,
            "max_connections": 8,
        },
    ]


def _reading_bodies(guard: Any) -> list[bool]:
    return [connection.phase is Phase.BODY for connection in guard.waiting]
