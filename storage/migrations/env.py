"""Alembic environment: runs on the connection handed in by storage.migrate.upgrade, or,
for `alembic` command-line use, on its own engine made from the URL with the bot's async
driver (no synchronous driver is installed)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from storage import models  # noqa: F401
from storage.urls import async_url

target_metadata = SQLModel.metadata


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_own_engine(url: str) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
else:
    asyncio.run(_run_on_own_engine(context.config.get_main_option("sqlalchemy.url") or ""))
