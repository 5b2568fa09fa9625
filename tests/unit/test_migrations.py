"""The Alembic migrations build, on a fresh SQLite file, exactly the schema the models
describe (PostgreSQL: tests/postgres/test_postgres_outbox.py)."""

from __future__ import annotations

from fakes.schema import current_revision, head_revision, schema_diff, table_names
from sqlmodel import SQLModel

from storage import db


async def test_upgrade_builds_the_models_schema_on_a_fresh_sqlite_file(tmp_path):
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert await table_names(engine) == set()

        await db.upgrade(engine)

        assert await table_names(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
        assert await current_revision(engine) == head_revision()
        assert await schema_diff(engine) == []

        await db.upgrade(engine)  # every start upgrades: the second time is a no-op
        assert await current_revision(engine) == head_revision()
        assert await schema_diff(engine) == []
    finally:
        await engine.dispose()
