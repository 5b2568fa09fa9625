"""The Slack app under test: real Bolt over real HTTP, the fake Web API behind it.

Creating a schema, and playing a scenario's setup commands, cost more than most of these
tests: each scenario (fakes.slack_harness.SCENARIOS) is played once per session, through
the same HTTP app, into a template SQLite file that each test then copies (on PostgreSQL:
whose rows each test loads into the emptied tables)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fakes.databases import Rows, clean_postgres, load_rows, read_rows
from fakes.slack_harness import SCENARIOS, SlackHarness, run_script, slack_app
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db

TEMPLATE_TIME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the `clock` fixture's start


class _FixedClock:
    def now(self) -> datetime:
        return TEMPLATE_TIME


def _engine(path: Path) -> AsyncEngine:
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    event.listen(engine.sync_engine, "connect", _no_fsync)
    return engine


def _no_fsync(dbapi_connection, _record) -> None:
    # These tests never crash mid-write: no need to wait on the disk.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


class Templates:
    """Scenario databases, each built on first use (in its own thread and event loop)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pool = ThreadPoolExecutor(1)
        self._rows: dict[str, Rows] = {}

    def get(self, name: str) -> tuple[Path, dict[str, list[tuple[str, str]]]]:
        """The scenario's database file, and the DMs sent while it was built."""
        path = self.root / f"{name}.db"
        if not path.exists():
            base = SCENARIOS[name][0]
            if base is not None:
                self.get(base)  # from this thread: the builder's one thread never waits
            self._pool.submit(asyncio.run, self._build(name, path)).result()
        refs = json.loads(path.with_suffix(".refs.json").read_text())
        return path, {user: [tuple(ref) for ref in sent] for user, sent in refs.items()}

    def rows(self, name: str) -> Rows:
        """The scenario's rows, read from its template once."""
        if name not in self._rows:
            path, _ = self.get(name)
            self._rows[name] = self._pool.submit(asyncio.run, _read(path)).result()
        return self._rows[name]

    async def _build(self, name: str, path: Path) -> None:
        base, script = SCENARIOS[name]
        building = path.with_suffix(".building")
        refs: dict[str, list[tuple[str, str]]] = {}
        if base is None:
            engine = _engine(building)
            await db.create_all(engine)
        else:
            base_path, refs = self.get(base)  # built already: only read here
            shutil.copy(base_path, building)
            engine = _engine(building)
        if script:
            async with slack_app(engine, _FixedClock()) as slack:
                await run_script(slack, script, deliver=True)
                for user, sent in slack.refs_by_user().items():
                    refs[user] = refs.get(user, []) + sent
        await engine.dispose()
        assert not Path(f"{building}-wal").exists()  # checkpointed: one file is the database
        path.with_suffix(".refs.json").write_text(json.dumps(refs))
        building.rename(path)

    def close(self) -> None:
        self._pool.shutdown()


async def _read(path: Path) -> Rows:
    engine = _engine(path)
    try:
        return await read_rows(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Templates:
    templates = Templates(tmp_path_factory.mktemp("slack-templates"))
    yield templates
    templates.close()


Open = Callable[[str], Awaitable[SlackHarness]]


async def _database_of(
    templates: Templates, name: str, directory: Path, database: str = "sqlite"
) -> AsyncEngine:
    """A fresh database holding the scenario: a copy of its file, or its rows on PostgreSQL."""
    if database == "postgres":
        engine = await clean_postgres()
        await load_rows(engine, templates.rows(name))
        return engine
    template, _ = templates.get(name)
    copy = directory / f"{name}.db"
    shutil.copy(template, copy)
    return _engine(copy)


@asynccontextmanager
async def _copy_of(
    templates: Templates, name: str, directory: Path, clock: Any, database: str = "sqlite"
) -> AsyncIterator[SlackHarness]:
    _, refs = templates.get(name)
    engine = await _database_of(templates, name, directory, database)
    try:
        async with slack_app(engine, clock) as harness:
            harness.earlier = refs
            yield harness
    finally:
        await engine.dispose()


@pytest.fixture
async def scenario(templates, tmp_path, clock, database) -> AsyncIterator[Open]:
    """`await scenario("demo")`: the Slack app on a fresh copy of that scenario's database,
    with a fresh fake Slack API (which has seen no calls yet)."""
    assert clock.now() == TEMPLATE_TIME
    async with AsyncExitStack() as stack:

        async def open_scenario(name: str) -> SlackHarness:
            return await stack.enter_async_context(
                _copy_of(templates, name, tmp_path, clock, database)
            )

        yield open_scenario


def _shared(name: str) -> Any:
    @pytest_asyncio.fixture(scope="module", loop_scope="module")
    async def shared(templates, tmp_path_factory) -> AsyncIterator[SlackHarness]:
        directory = tmp_path_factory.mktemp(f"shared-{name}")
        async with _copy_of(templates, name, directory, _FixedClock()) as harness:
            yield harness

    shared.__doc__ = f"""One `{name}` scenario for a module's tests that must change nothing
    (each asserts that it did not; on SQLite only: a shared PostgreSQL database would be
    emptied by the module's other tests). Those tests run in the module's event loop: mark them
    `pytest.mark.asyncio(loop_scope="module")`. Use it through `unchanged_{name}`."""
    return shared


def _unchanged(name: str) -> Any:
    @pytest.fixture
    def unchanged(request) -> SlackHarness:
        harness = request.getfixturevalue(f"shared_{name}")
        harness.fake.forget()  # this test sees only its own calls
        harness.runtime.repeats.flush()  # ... and logs its first refusal of a kind again
        return harness

    unchanged.__doc__ = f"The module's shared `{name}` scenario, its fake's records cleared."
    return unchanged


shared_empty, unchanged_empty = _shared("empty"), _unchanged("empty")
shared_demo, unchanged_demo = _shared("demo"), _unchanged("demo")
shared_raised, unchanged_raised = _shared("raised"), _unchanged("raised")


@pytest.fixture
async def engine(templates, tmp_path, database) -> AsyncIterator[AsyncEngine]:
    """An empty database (overrides the shared fixture: same schema, copied not created)."""
    engine = await _database_of(templates, "empty", tmp_path, database)
    yield engine
    await engine.dispose()


@pytest.fixture
async def slack(engine, clock) -> AsyncIterator[SlackHarness]:
    """No program yet: an empty database."""
    async with slack_app(engine, clock) as harness:
        yield harness


@pytest.fixture
async def demo(scenario) -> SlackHarness:
    """Program "Demo" (purpose "Help new graduates settle in"): managers Ada (the admin)
    and Max, backup manager Bea; Omar mentors Sam; both were greeted."""
    return await scenario("demo")
