"""Alembic migrations, run by the bot itself on start (and by `mentorbot db upgrade`).
On PostgreSQL, replicas starting together take turns under an advisory lock: the first
migrates, the others wait, then find nothing left to do."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.urls import is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock's key for "migrating mentorbot's schema" (any fixed bigint that no
# other lock of the bot uses): b"mentorbt" read as a signed 64-bit integer.
MIGRATION_LOCK = int.from_bytes(b"mentorbt", "big", signed=True)


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:  # only the `alembic` command line connects by URL
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(migration.revision for migration in script.walk_revisions())


class SchemaTooNew(Exception):
    """The database's schema is at a revision this code has no migration for: a newer
    mentorbot migrated it (this one is older, e.g. after a rollback). Trying again cannot
    help, and this code must not touch that schema."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(
            f"the database belongs to a newer version of mentorbot: its schema is at "
            f"revision {revision}, which this version does not know (it knows up to "
            f"{head_revision()}); run that newer version"
        )


async def upgrade(engine: AsyncEngine) -> bool:
    """Bring the schema to the newest migration; True if anything had to change. On
    PostgreSQL this holds a session-level advisory lock, on a connection of its own, for
    as long as it runs: another replica's upgrade waits for it."""
    if is_sqlite(engine.url):
        return await _upgrade(engine)
    # Outside the engine's pool: closing the connection releases the lock, whatever
    # happened, and no pooled connection is left holding it.
    locking = create_async_engine(engine.url, poolclass=NullPool)
    try:
        async with locking.connect() as lock:
            await lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                return await _upgrade(engine)
            finally:
                await lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    finally:
        await locking.dispose()


async def _upgrade(engine: AsyncEngine) -> bool:
    from alembic import command

    def run(connection: Any) -> bool:
        before = MigrationContext.configure(connection).get_current_revision()
        if before is not None and before not in known_revisions():
            raise SchemaTooNew(before)
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return before != head_revision()

    async with engine.begin() as conn:
        return await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's schema revision (None: no schema yet)."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def schema_is_current(engine: AsyncEngine) -> bool:
    """Whether the database's schema is the newest migration (False if it has none)."""
    return await current_revision(engine) == head_revision()
