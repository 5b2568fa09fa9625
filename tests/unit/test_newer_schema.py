"""A database whose schema a newer mentorbot migrated (this version is older: a rollback):
the bot says so plainly, once, at ERROR, and does not try to migrate it again and again;
/readyz names the revision; the database is left as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

import bot.app
import bot.database
from bot.__main__ import main
from bot.app import build_runtime, build_web_app
from bot.settings import Settings
from storage import db

FROM_THE_FUTURE = "0042_from_a_newer_release"
WAIT = 10.0  # bound on waiting for the bot (same process) to get there; never reached
NEWER = (
    "the database belongs to a newer version of mentorbot: its schema is at revision "
    f"{FROM_THE_FUTURE}, which this version does not know (it knows up to "
    f"{db.head_revision()}); run that newer version"
)


@pytest.fixture
async def newer(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The test database, its schema stamped with a revision this code does not know (put
    back afterwards: the PostgreSQL test database is kept between tests)."""
    await _stamp(engine, FROM_THE_FUTURE)
    try:
        yield engine
    finally:
        await _stamp(engine, db.head_revision())


async def _stamp(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the bot did not get there in time"
        await asyncio.sleep(0.005)  # the bot works in this same loop: let it run


@asynccontextmanager
async def started(engine: AsyncEngine) -> AsyncIterator[aiohttp.ClientSession]:
    """The bot's own start (bot.app._run_until_stopped) on 127.0.0.1, stopped by SIGTERM."""
    runtime = build_runtime(Settings(_env_file=None), engine, {})  # type: ignore[call-arg]
    runtime.listening = socket.create_server(("127.0.0.1", 0))
    runtime.listening.setblocking(False)
    port = runtime.listening.getsockname()[1]
    running = asyncio.create_task(bot.app._run_until_stopped(runtime, build_web_app(runtime), None))
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
        if not running.done():  # else its error is raised below, and no signal is sent
            os.kill(os.getpid(), signal.SIGTERM)  # the bot's own handler: stop, cleanly
        await asyncio.wait_for(running, WAIT)
    finally:
        running.cancel()
        runtime.listening.close()


async def _get(http: aiohttp.ClientSession, path: str) -> tuple[int, Any]:
    async with http.get(path) as response:
        return response.status, await response.json()


async def test_the_bot_says_plainly_whose_database_it_is_and_leaves_it(newer, monkeypatch):
    # Tried again at once, were it tried again: many warnings by the time /readyz answers.
    monkeypatch.setattr(bot.database, "DATABASE_RETRY_SECONDS", (0.0, 0.0))
    with capture_logs() as logs:
        async with started(newer) as http:
            await _until(lambda: any(e["event"] == "database_schema_newer" for e in logs))
            assert await _get(http, "/readyz") == (503, {"ok": False, "problem": NEWER})
            assert await _get(http, "/healthz") == (200, {"ok": True})
            assert await _get(http, "/readyz") == (503, {"ok": False, "problem": NEWER})
    assert [e for e in logs if e["log_level"] in ("warning", "error")] == [
        {
            "event": "database_schema_newer",
            "revision": FROM_THE_FUTURE,
            "newest_known": db.head_revision(),
            "log_level": "error",
        }
    ]
    assert "mentorbot_started" not in [e["event"] for e in logs]  # nothing runs on it
    assert await db.current_revision(newer) == FROM_THE_FUTURE  # left as it was


async def test_readyz_of_a_running_bot_names_a_newer_schema_too(newer) -> None:
    """Seen by a bot already serving (its schema changed under it before it was current)."""
    runtime = build_runtime(Settings(_env_file=None), newer, {})  # type: ignore[call-arg]
    async with (
        TestClient(TestServer(build_web_app(runtime))) as http,
        http.get("/readyz") as response,
    ):
        assert (response.status, await response.json()) == (503, {"ok": False, "problem": NEWER})


async def test_db_upgrade_says_it_in_one_line(newer, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.__main__.bot_logging.configure", lambda *_: None)  # stays global
    monkeypatch.setenv("DATABASE_URL", newer.url.render_as_string(hide_password=False))
    assert await asyncio.to_thread(main, ["db", "upgrade"]) == 2
    assert capsys.readouterr().err == f"mentorbot: {NEWER}\n"
    assert await db.current_revision(newer) == FROM_THE_FUTURE
