"""The databases tests run on: a SQLite file per test always, and PostgreSQL when
TEST_DATABASE_URL is set (CI sets it).

PostgreSQL's schema is built once per session (dropped first, so a model changed since the
last run is picked up) and emptied before each test, its id sequences restarted: a few
milliseconds instead of half a second for drop and create, and ids start at 1 again, so a
test that expects concern #1 gets concern #1 on both databases."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest
from asyncpg.exceptions import UndefinedTableError
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = "TEST_DATABASE_URL is not set (CI sets it; needs PostgreSQL on 127.0.0.1:5432)"
DATABASES = ("sqlite", "postgres")

Rows = dict[str, list[dict[str, Any]]]

_schema_built = False


def postgres_url() -> str:
    """TEST_DATABASE_URL; the test is skipped, with the reason shown, when it is not set."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return POSTGRES_URL


async def clean_postgres() -> AsyncEngine:
    """An engine on the PostgreSQL test database: the models' tables, all empty, ids at 1."""
    global _schema_built
    engine = db.create_engine(postgres_url())
    event.listen(engine.sync_engine, "connect", _no_flush_on_commit)
    try:
        if _schema_built:
            await _empty(engine)
        else:
            await wipe_postgres(engine)
            await db.create_all(engine)
    except UndefinedTableError:  # a test dropped tables (the migration tests start from nothing)
        await wipe_postgres(engine)
        await db.create_all(engine)
    _schema_built = True
    return engine


def _no_flush_on_commit(dbapi_connection: Any, _record: Any) -> None:
    # These tests never crash the server mid-write: a commit need not wait for the disk.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET synchronous_commit = off")
    cursor.close()


async def wipe_postgres(engine: AsyncEngine) -> None:
    """Nothing left: no table, no type, no alembic_version (tables of older runs too).
    The next clean_postgres builds the models' schema again."""
    global _schema_built
    _schema_built = False
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        await conn.exec_driver_sql("CREATE SCHEMA public")


async def _empty(engine: AsyncEngine) -> None:
    # DELETE and a sequence reset take milliseconds on a test's few rows; TRUNCATE takes
    # ten times as long. One round trip: a script runs only on the driver's connection.
    statements = ["SET LOCAL lock_timeout = '10s'"]  # a connection left open: fail, not hang
    statements += [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    statements += [
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), 1, false)"
        for table, column in _id_columns()
    ]
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute(";\n".join(["BEGIN", *statements, "COMMIT"]))


def _id_columns() -> list[tuple[str, str]]:
    """(table, column) of every id that PostgreSQL counts with a sequence."""
    return [
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.primary_key.columns
        if column is table.autoincrement_column
    ]


async def read_rows(engine: AsyncEngine) -> Rows:
    """Every row of every table, as column -> value (to copy into another database)."""
    rows: Rows = {}
    async with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [
                {key: _aware(value) for key, value in row.items()} for row in result.mappings()
            ]
    return rows


async def load_rows(engine: AsyncEngine, rows: Rows) -> None:
    """Insert `rows` (from read_rows) into empty PostgreSQL tables, and move each id
    sequence past the highest id, as if the rows had been inserted one by one."""
    async with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if rows.get(table.name):
                await conn.execute(table.insert(), rows[table.name])
        for table, column in _id_columns():
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f'COALESCE(MAX("{column}"), 0) + 1, false) FROM "{table}"'
                )
            )


def _aware(value: Any) -> Any:
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL would read them as local.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
