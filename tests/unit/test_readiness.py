"""/readyz: 503 while the schema is not the newest migration or the database cannot be
reached, 200 once it is current (remembered: then /readyz costs one `SELECT 1`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from fakes.delivery import closed_port

from bot.app import build_runtime, build_web_app
from bot.settings import Settings
from storage import db

NOT_CURRENT = {"ok": False, "problem": "the database schema is not the one this version needs"}


@asynccontextmanager
async def readyz(engine) -> AsyncIterator[aiohttp.ClientSession]:
    runtime = build_runtime(Settings(_env_file=None), engine, {})  # type: ignore[call-arg]
    runner = web.AppRunner(build_web_app(runtime), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        await runner.cleanup()


async def _ready(http: aiohttp.ClientSession) -> tuple[int, object]:
    async with http.get("/readyz") as response:
        return response.status, await response.json()


async def test_readyz_is_503_until_the_schema_is_current_and_stays_200_after(tmp_path):
    engine = db.create_engine(f"sqlite:///{tmp_path / 'ready.db'}")
    try:
        async with readyz(engine) as http:
            assert await _ready(http) == (503, NOT_CURRENT)  # no schema at all
            await db.upgrade(engine)
            assert await _ready(http) == (200, {"ok": True})
            async with engine.begin() as conn:
                await conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
            # Seen current once: not asked again (a downgrade under a running bot is not
            # something readyz watches for; it stays one cheap query).
            assert await _ready(http) == (200, {"ok": True})
    finally:
        await engine.dispose()


async def test_an_older_schema_is_not_ready(tmp_path):
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await db.upgrade(engine)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        async with readyz(engine) as http:
            assert await _ready(http) == (503, NOT_CURRENT)
    finally:
        await engine.dispose()


async def test_readyz_is_503_when_the_database_cannot_be_reached() -> None:
    engine = db.create_engine(f"postgresql://bot@127.0.0.1:{closed_port()}/mentorbot")
    try:
        async with readyz(engine) as http:
            assert await _ready(http) == (
                503,
                {"ok": False, "problem": "the database cannot be reached"},
            )
            async with http.get("/healthz") as response:
                assert (response.status, await response.json()) == (200, {"ok": True})
    finally:
        await engine.dispose()
