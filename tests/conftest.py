"""Shared fixtures: an injected clock, databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), and a console session that records its transcript."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes.forms import SURVEY, Survey
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.app import build_runtime
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, ConsoleDirectory
from bot.console.session import ConsoleSession
from bot.settings import Settings
from handlers.form_router import FORMS
from storage import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = "TEST_DATABASE_URL is not set (CI sets it; needs PostgreSQL on 127.0.0.1:5432)"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await db.create_all(engine)
    yield engine
    await engine.dispose()


async def fresh_postgres() -> AsyncEngine:
    assert POSTGRES_URL
    engine = db.create_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
        await conn.execute(_sql("DROP TABLE IF EXISTS alembic_version"))
    await db.create_all(engine)
    return engine


def _sql(statement: str):
    from sqlalchemy import text

    return text(statement)


@pytest.fixture
async def pg_engine() -> AsyncIterator[AsyncEngine]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    engine = await fresh_postgres()
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def any_engine(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    """The same test on SQLite and (when available) PostgreSQL."""
    if request.param == "sqlite":
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'any.db'}")
        await db.create_all(engine)
    else:
        if not POSTGRES_URL:
            pytest.skip(NO_POSTGRES)
        engine = await fresh_postgres()
    yield engine
    await engine.dispose()


class Transcript:
    """A console session whose output is collected, for tests that read like a chat."""

    def __init__(self, session: ConsoleSession, lines: list[str]) -> None:
        self.session, self.lines = session, lines

    async def say(self, who: str, line: str) -> str:
        """`who` types `line`; returns everything printed as a result."""
        start = len(self.lines)
        if who != self.session.me:
            self.session.me = who
        await self.session.send(line)
        return "\n".join(self.lines[start:])

    async def setup(self, script: list[tuple[str, str]]) -> None:
        for who, line in script:
            await self.say(who, line)


@pytest.fixture
async def console(engine: AsyncEngine, clock: FakeClock) -> Transcript:
    lines: list[str] = []
    messenger = ConsoleMessenger(write=lines.append)
    runtime = build_runtime(
        Settings(_env_file=None),  # type: ignore[call-arg]
        engine,
        {PLATFORM: messenger},
        clock=clock,
        directories={PLATFORM: ConsoleDirectory()},
        open_platforms=frozenset({PLATFORM}),
        routine_waits=False,  # the console delivers at once, at any hour
        sends_at_once=1,  # as bot/console/run.py builds it
    )
    session = ConsoleSession(runtime.deps, messenger, runtime.dispatcher, write=lines.append)
    return Transcript(session, lines)


@pytest.fixture
def survey(monkeypatch) -> Survey:
    """The test-only form (tests/fakes/forms.py) registered for this test, under SURVEY."""
    registered = Survey()
    monkeypatch.setitem(FORMS, SURVEY, registered.use())
    return registered
