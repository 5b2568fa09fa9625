"""Shared fixtures: an injected clock, databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), and a console session that records its transcript."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes import databases
from fakes.databases import (  # POSTGRES_URL: some tests import it from here
    DATABASES,
    NO_POSTGRES,
    POSTGRES_URL,  # noqa: F401
    clean_postgres,
    postgres_url,
)
from fakes.forms import SURVEY, Survey
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_runtime
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, ConsoleDirectory
from bot.console.session import ConsoleSession
from bot.settings import Settings
from handlers.form_router import FORMS
from storage import db

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Without TEST_DATABASE_URL, the summary says once how many PostgreSQL variants were
    skipped and why, not once per test."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if reason.endswith(NO_POSTGRES):
            report.longrepr = (databases.__file__, None, reason)
    return report


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    """Which database the test runs on: whatever asks for `engine` (or a harness built on
    it) runs on SQLite and again on PostgreSQL. That is the storage, handler (transcripts,
    the races of two managers clicking at once), Slack app, Teams app and journey suites,
    and the outbox and dispatcher tests. PostgreSQL differs where it matters: real
    concurrent transactions and row locks (FOR UPDATE SKIP LOCKED), row order without an
    ORDER BY, strict types and lengths, NUL bytes, JSON and time zones coming back typed.

    Not doubled: tests that touch no database (parser, renderers, settings, the fakes),
    the Slack tests sharing one scenario per module (each checks only that a refusal
    changed nothing; a shared PostgreSQL database would be emptied by the module's other
    tests), the console's own order and tour (their own SQLite file, as the console has),
    and the migration tests (SQLite; tests/postgres migrates PostgreSQL).

    Doubling everything rather than choosing costs about 60 s on 2 cores (74 s -> 135 s
    for the whole suite, measured 2026-12-02), and only where TEST_DATABASE_URL is set (CI):
    choosing would save little, since nearly every test that needs a database is about
    what the database keeps. Without it the postgres variants are skipped, with the reason
    shown once in the summary."""
    if request.param == "postgres":
        postgres_url()
    return request.param


@pytest.fixture
async def engine(database: str, tmp_path) -> AsyncIterator[AsyncEngine]:
    if database == "postgres":
        engine = await clean_postgres()
    else:
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        await db.create_all(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def any_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same as `engine` (its former name, kept for tests written with it)."""
    return engine


@pytest.fixture
async def pg_engine() -> AsyncIterator[AsyncEngine]:
    """PostgreSQL only (skipped without it): for what SQLite cannot do, e.g. replicas."""
    engine = await clean_postgres()
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
