"""PostgreSQL that sets itself up: on a fresh database the bot builds the schema at start
(under an advisory lock, so replicas starting together migrate once while the others
wait), /readyz is 503 until the schema is current, and `alembic`'s own command line
needs no driver the bot does not install."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from alembic import command
from fakes.delivery import closed_port
from fakes.schema import current_revision, head_revision, schema_diff, table_names
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel
from structlog.testing import capture_logs

import bot as bot_package
from bot.app import open_database
from bot.database import prepare_until_ready
from storage import db
from storage.migrate import MIGRATION_LOCK

ALL_TABLES = set(SQLModel.metadata.tables) | {"alembic_version"}
SOURCE_ROOT = Path(bot_package.__file__).resolve().parent.parent
WAIT = 30.0  # bound on every wait for another process or connection; never reached


@contextlib.asynccontextmanager
async def migration_lock_held(url: str) -> AsyncIterator[AsyncConnection]:
    """Holds the bot's migration lock on that database until the block ends: whoever
    starts meanwhile waits for it, as a replica waits for the one migrating."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            await conn.commit()
            yield conn
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        await engine.dispose()


async def waiting_for_the_lock(conn: AsyncConnection, count: int) -> None:
    """Until `count` other connections wait for the migration lock."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    deadline = time.monotonic() + WAIT
    while (await conn.execute(query)).scalar_one() != count:
        await conn.commit()  # a fresh snapshot of pg_locks each time
        assert time.monotonic() < deadline, f"{count} did not come to wait for the lock"
        await asyncio.sleep(0.01)  # another process's progress: nothing to await


async def test_a_fresh_database_gets_its_schema_at_start_and_readyz_turns_200(
    empty_database, tmp_path
) -> None:
    # The form hosting platforms hand out: the bot picks asyncpg itself.
    given = empty_database.replace("postgresql+asyncpg://", "postgresql://")
    engine = db.create_engine(empty_database)
    port, url = closed_port(), ""
    log = tmp_path / "bot.log"
    process: asyncio.subprocess.Process | None = None
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with migration_lock_held(empty_database) as lock:
                with log.open("wb") as out:
                    process = await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "bot",
                        env=_environment(given, port),
                        cwd=tmp_path,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                url = f"http://127.0.0.1:{port}"
                await _until(http, f"{url}/healthz", 200, process, log)
                await waiting_for_the_lock(lock, 1)
                # Alive, not ready: its schema waits for the lock, and so do the platforms.
                assert await _get(http, f"{url}/readyz") == (
                    503,
                    {"ok": False, "problem": "the database schema is being brought up to date"},
                )
                async with http.post(f"{url}/api/messages", json={"type": "message"}) as answer:
                    assert (answer.status, await answer.json()) == (
                        503,
                        {"error": "starting: the database is not ready yet"},
                    )
                assert await table_names(engine) == set()
            await _until(http, f"{url}/readyz", 200, process, log)  # the lock let go
            assert await _get(http, f"{url}/readyz") == (200, {"ok": True})
        assert await table_names(engine) == ALL_TABLES
        assert await current_revision(engine) == head_revision()
        assert await schema_diff(engine) == []
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WAIT) == 0
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await engine.dispose()
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events.count("database_schema_upgraded") == 1
    assert events.index("database_schema_upgraded") < events.index("mentorbot_started")


async def test_two_replicas_starting_at_once_both_start_and_migrate_once(empty_database):
    async with migration_lock_held(empty_database) as lock:
        with capture_logs() as logs:
            replicas = [asyncio.create_task(open_database(empty_database)) for _ in range(2)]
            await waiting_for_the_lock(lock, 2)
            assert not any(replica.done() for replica in replicas)
            # ... the lock is let go here, as a first replica's migration ends
    with capture_logs() as logs_after:
        engines = await asyncio.wait_for(asyncio.gather(*replicas), WAIT)
    try:
        upgraded = [e for e in logs + logs_after if e["event"] == "database_schema_upgraded"]
        assert upgraded == [
            {"event": "database_schema_upgraded", "revision": head_revision(), "log_level": "info"}
        ]
        for engine in engines:
            assert await db.schema_is_current(engine)
        assert await table_names(engines[0]) == ALL_TABLES
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_replica_started_later_finds_nothing_to_do(empty_database):
    first = await open_database(empty_database)
    with capture_logs() as logs:
        second = await open_database(empty_database)
    await first.dispose()
    await second.dispose()
    assert [e for e in logs if e["event"] == "database_schema_upgraded"] == []


async def test_alembic_command_line_upgrades_with_the_bots_own_driver(empty_database):
    """`alembic upgrade head` run on a plain postgresql:// URL (not through the bot's
    connection): env.py makes its own engine with asyncpg, psycopg is not installed."""
    given = empty_database.replace("postgresql+asyncpg://", "postgresql://")
    # In a thread: env.py runs its own event loop, as on the command line.
    await asyncio.to_thread(command.upgrade, db.alembic_config(given), "head")
    engine = db.create_engine(empty_database)
    try:
        assert await table_names(engine) == ALL_TABLES
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def _environment(database_url: str, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "MENTORBOT_", "DATABASE_URL", "PORT"))
    }
    return env | {
        "TEAMS_ALLOW_UNAUTHENTICATED": "true",  # a platform, without any network
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "MENTORBOT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")])),
    }


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with http.get(url) as response:
        return response.status, await response.json()


async def _until(
    http: aiohttp.ClientSession,
    url: str,
    status: int,
    process: asyncio.subprocess.Process,
    log: Path,
) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process.returncode is not None:
            pytest.fail(f"the bot exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(url) as response:
                if response.status == status:
                    return
        await asyncio.sleep(0.05)  # polling another process: there is nothing to await
    pytest.fail(f"{url} did not answer {status} within {WAIT}s:\n{log.read_text()[-3000:]}")


async def test_a_database_not_there_yet_is_tried_again_until_it_is(empty_database, monkeypatch):
    """A replica may start before its database: one warning per try, then it is set up."""
    monkeypatch.setattr("bot.database.DATABASE_RETRY_SECONDS", (0.0, 0.0))  # no waiting here
    later = empty_database + "_later"
    engine = db.create_engine(later)
    admin = create_async_engine(empty_database, isolation_level="AUTOCOMMIT")
    name = later.rsplit("/", 1)[1]
    try:
        with capture_logs() as logs:
            starting = asyncio.create_task(prepare_until_ready(engine))
            deadline = time.monotonic() + WAIT
            while sum(e["event"] == "database_not_ready" for e in logs) < 2:
                assert time.monotonic() < deadline and not starting.done()
                await asyncio.sleep(0.01)  # the tries against the server: nothing to await
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            assert await asyncio.wait_for(starting, WAIT) is True
        tries = [e for e in logs if e["event"] == "database_not_ready"]
        assert tries[0] == {
            "event": "database_not_ready",
            "error": "InvalidCatalogNameError",
            "retry_in": 0.0,
            "log_level": "warning",
        }
        assert await db.schema_is_current(engine)
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
