"""Floods against the Slack endpoint, served as `mentorbot` serves it (bot.server): clients
that trickle their requests cannot keep Slack or /healthz out, and a flood of refused
requests is one log line and a count, not a line each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fakes.slack_harness import ADMINS, EVERYONE, SlackHarness, ephemeral, header, slack_app
from structlog.testing import capture_logs

from bot.server import Phase, Server, ServerLimits

WAIT = 5.0  # bound on waiting for the server to act on what the sockets did
# A small cap; timeouts long enough never to fire here: the cap alone decides.
LIMITS = ServerLimits(max_connections=8, read_timeout=60, idle_timeout=60, repeat_window=600)
HELP = ephemeral("What mentorbot can do", [header("mentorbot"), EVERYONE, ADMINS])


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the server did not get there in time"
        await asyncio.sleep(0.005)  # the server works in this same loop: let it run


async def _trickling(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client whose request's headers are all in, and whose body (a 1,000-byte form)
    comes a byte at a time: one so far."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nc"
    )
    await writer.drain()
    return reader, writer


def _reading_bodies(server: Server) -> list[bool]:
    return [connection.phase is Phase.BODY for connection in server.guard.waiting]


def _logged(logs: list[dict[str, Any]], *events: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in entry.items() if k != "log_level"}
        for entry in logs
        if entry["event"] in events or entry.get("repeated_event") in events
    ]


async def test_clients_trickling_their_requests_cannot_keep_out_slack_or_healthz(
    engine, clock
) -> None:
    with capture_logs() as logs:
        async with slack_app(engine, clock, limits=LIMITS) as slack:
            assert slack.server is not None
            port, guard = int(slack.url.split(":")[2].split("/")[0]), slack.server.guard
            clients = [await _trickling(port) for _ in range(8)]
            await _until(lambda: guard.open == 8 and all(_reading_bodies(slack.server)))
            for _, writer in clients:  # a byte more each: still far from whole
                writer.write(b"o")
                await writer.drain()
            async with slack.http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert (health.status, await health.json()) == (200, {"ok": True})
            reply = await slack.command("UADA", "help")
            assert (reply.status, reply.json) == (200, HELP)
            # The one reading its request longest made room; the others still trickle.
            assert await asyncio.wait_for(clients[0][0].read(), WAIT) == b""
            assert guard.open == 8 and guard.most_open == 8
            for _, writer in clients:
                writer.close()
            await _until(lambda: guard.open == 1)  # the harness's own, kept alive
    assert _logged(logs, "server_connection_limit") == [
        {"event": "server_connection_limit", "max_connections": 8}
    ]


async def test_a_flood_of_refused_requests_is_one_line_and_a_count(slack: SlackHarness) -> None:
    with capture_logs() as logs:
        for _ in range(100):
            reply = await slack.command("UADA", "help", sign=False)
            assert (reply.status, reply.json) == (401, {"error": "invalid request"})
        assert _logged(logs, "slack_request_refused") == [
            {"event": "slack_request_refused", "status": 401, "reason": "unsigned"}
        ]
        slack.runtime.repeats.flush()  # the window ends
    assert _logged(logs, "slack_request_refused") == [
        {"event": "slack_request_refused", "status": 401, "reason": "unsigned"},
        {
            "event": "repeated",
            "repeated_event": "slack_request_refused",
            "times": 99,
            "status": 401,
            "reason": "unsigned",
        },
    ]
