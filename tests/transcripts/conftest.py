"""Transcript helpers: DMs printed in the order they were queued, and a check that a
refused command changed nothing in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

CONTACT_COLUMNS = ("last_seen_at", "last_identity_id")


class Rows:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def snapshot(self, ignoring: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, but the columns named in `ignoring`."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        async with self.engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                columns = [c for c in table.columns if c.name not in ignoring]
                query = select(*columns).order_by(*table.primary_key.columns)
                tables[table.name] = [tuple(row) for row in (await conn.execute(query)).all()]
        return tables

    async def count(self, model: type[SQLModel]) -> int:
        async with self.engine.connect() as conn:
            query = select(func.count()).select_from(model.__table__)  # type: ignore[attr-defined]
            return int((await conn.execute(query)).scalar_one())

    @asynccontextmanager
    async def unchanged(self, *, contact_may_change: bool = False) -> AsyncIterator[None]:
        """Nothing in the database may change inside this block; with `contact_may_change`,
        but when and how the caller was last in touch (an answered click notes that)."""
        ignoring = CONTACT_COLUMNS if contact_may_change else ()
        before = await self.snapshot(ignoring)
        yield
        after = await self.snapshot(ignoring)
        changed = {
            name: {"before": rows, "after": after[name]}
            for name, rows in before.items()
            if after[name] != rows
        }
        assert not changed, f"a refusal changed the database: {changed}"


@pytest.fixture
def rows(engine: AsyncEngine) -> Rows:
    return Rows(engine)
