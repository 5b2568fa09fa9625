"""Comparing a database's schema with the models, as `alembic revision --autogenerate` would."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage import db


async def schema_diff(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would put in a new migration: [] when the schema matches the models."""

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def current_revision(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()


def head_revision() -> str:
    return db.head_revision()
