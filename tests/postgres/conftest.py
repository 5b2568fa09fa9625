"""A new, empty PostgreSQL database per test that needs one (the bot's start on a fresh
database, replicas racing to migrate it), made with CREATE DATABASE on the server of
TEST_DATABASE_URL and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = "TEST_DATABASE_URL is not set (CI sets it; needs PostgreSQL on 127.0.0.1:5432)"


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    """The URL (postgresql+asyncpg://…) of a database with no tables at all."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    server = make_url(POSTGRES_URL)
    name = f"{server.database}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
