"""Engine and sessions. SQLite (the default) for one process; PostgreSQL at scale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from types import TracebackType

import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.cuts import is_cut
from storage.migrate import (
    SchemaTooNew,
    alembic_config,
    current_revision,
    head_revision,
    known_revisions,
    schema_is_current,
    upgrade,
)
from storage.urls import async_url
from storage.urls import is_sqlite as _is_sqlite

# Migrations live in storage.migrate; these names are where the rest of the bot finds them.
__all__ = [
    "SchemaTooNew",
    "alembic_config",
    "current_revision",
    "head_revision",
    "known_revisions",
    "schema_is_current",
    "upgrade",
]

log = structlog.get_logger("mentorbot.storage")


def is_sqlite(url: str | URL) -> bool:
    return _is_sqlite(url)


# hide_parameters: a database error's message otherwise quotes the statement's values
# (a concern's words among them), and error messages end up in logs.
def create_engine(url: str | URL) -> AsyncEngine:
    """`url` in any form DATABASE_URL accepts (`sqlite:///…`, `postgres://…`): the engine
    uses the bot's async driver."""
    url = async_url(url) if isinstance(url, str) else url
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the dispatcher read while a handler writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits,
    # which FULL would keep at the price of an fsync per commit (tens of ms each).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


SessionFactory = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session


def attempts(sessions: SessionFactory, tries: int = 2) -> Attempts:
    """See Attempts: `async for attempt in attempts(sessions): async with attempt as …`."""
    return Attempts(sessions, tries)


class Attempts:
    """A unit of work that survives a dropped database connection: run once more, on a
    fresh connection, when the connection was cut while the work ran (a database restart
    or failover, the server ending the connection: storage.cuts tells a cut from a
    refusal). pool_pre_ping finds connections that died while idle in the pool; this
    covers the rest.

        async for attempt in attempts(sessions):
            async with attempt as session:
                ...  # one transaction; run a second time only if the first was cut

    A connection that breaks during the commit itself is not retried: the commit may have
    happened, and running the work again could do it twice."""

    def __init__(self, sessions: SessionFactory, tries: int = 2) -> None:
        self.sessions, self.left, self.done = sessions, tries, False

    def __aiter__(self) -> Attempts:
        return self

    async def __anext__(self) -> _Attempt:
        if self.done or self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return _Attempt(self)


class _Attempt:
    def __init__(self, owner: Attempts) -> None:
        self.owner = owner

    async def __aenter__(self) -> AsyncSession:
        self.session = self.owner.sessions()
        await self.session.begin()
        return self.session

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _tb: TracebackType | None,
    ) -> bool:
        session, retries_left = self.session, self.owner.left > 0
        try:
            if error is None:
                self.owner.done = True
                await session.commit()  # a failure here is not retried (see Attempts)
                return False
            cut = is_cut(error)
            if cut:
                # Nothing to roll back; and a cut SQLAlchemy did not recognise would leave
                # the dead connection in the pool: it is dropped instead.
                with suppress(DBAPIError, OSError):
                    await session.invalidate()
            else:
                await session.rollback()
        finally:
            await session.close()
        if not (retries_left and cut):
            self.owner.done = True
            return False
        log.warning("database_connection_lost", retrying=True, error=type(error).__name__)
        return True  # the error is swallowed, and the work runs again


async def create_all(engine: AsyncEngine) -> None:
    """Tests' fast path; production uses `upgrade` (Alembic). The schema is stamped as the
    newest migration, as an upgrade leaves it (tests/unit/test_migrations.py proves the
    migrations build exactly these tables), so readiness sees it current."""
    from sqlalchemy import text

    from storage.migrate import head_revision

    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        )
        await conn.execute(text("DELETE FROM alembic_version"))
        await conn.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
            {"head": head_revision()},
        )


async def ping(engine: AsyncEngine) -> bool:
    from sqlalchemy import text

    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
