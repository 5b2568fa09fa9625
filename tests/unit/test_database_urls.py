"""DATABASE_URL in the forms people and hosting platforms hand out: the bot picks its own
async driver (aiosqlite, asyncpg). A URL it cannot use stops `mentorbot` with one line."""

from __future__ import annotations

import asyncio
import os

import pytest
from alembic import command
from fakes.schema import current_revision, head_revision, table_names
from sqlmodel import SQLModel

from bot.__main__ import CONSOLE_IGNORES_DATABASE, main
from bot.settings import Settings
from storage import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///mentorbot.db", "sqlite+aiosqlite:///mentorbot.db"),
        ("sqlite+aiosqlite:///mentorbot.db", "sqlite+aiosqlite:///mentorbot.db"),
        ("sqlite:////tmp/data.db", "sqlite+aiosqlite:////tmp/data.db"),  # an absolute path
        (
            "postgresql://bot:pa55@db:5432/mentorbot",
            "postgresql+asyncpg://bot:pa55@db:5432/mentorbot",
        ),
        ("postgres://bot:pa55@db/mentorbot", "postgresql+asyncpg://bot:pa55@db/mentorbot"),
        ("postgresql+asyncpg://bot@db/mentorbot", "postgresql+asyncpg://bot@db/mentorbot"),
        # libpq's sslmode, as managed databases write it, is asyncpg's ssl
        ("postgres://bot:p@db/m?sslmode=require", "postgresql+asyncpg://bot:p@db/m?ssl=require"),
        ("  postgres://bot@db/m  ", "postgresql+asyncpg://bot@db/m"),
    ],
)
def test_each_form_is_accepted_and_mapped_to_the_async_driver(given, used) -> None:
    settings = Settings(_env_file=None, DATABASE_URL=given)  # type: ignore[call-arg]
    assert settings.database_problem() is None
    assert settings.database_url == used
    engine = db.create_engine(given)  # what callers other than Settings pass is mapped too
    assert engine.url.render_as_string(hide_password=False) == used


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (
            "mysql://bot@db/m",
            "must be sqlite:///<file> or postgresql://user:pass@host/db, not a mysql:// URL",
        ),
        (
            "postgresql+psycopg2://bot:secret@db/m",
            "must be sqlite:///<file> or postgresql://user:pass@host/db, not a "
            "postgresql+psycopg2:// URL",
        ),
        (
            "not a url",
            "is not a database URL: use sqlite:///<file> or postgresql://user:pass@host/db",
        ),
    ],
)
def test_a_url_the_bot_cannot_use_is_named_without_its_password(given, problem) -> None:
    settings = Settings(_env_file=None, DATABASE_URL=given)  # type: ignore[call-arg]
    assert settings.database_problem() == f"DATABASE_URL {problem}"
    assert "secret" not in (settings.database_problem() or "")


def test_a_bad_url_stops_the_bot_with_one_line_and_exit_code_2(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMS_ALLOW_UNAUTHENTICATED", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://bot:secret@db/m")
    assert main([]) == 2
    assert capsys.readouterr().err == (
        "mentorbot: DATABASE_URL must be sqlite:///<file> or postgresql://user:pass@host/db, "
        "not a postgresql+psycopg2:// URL\n"
    )


async def test_a_plain_sqlite_url_works_end_to_end(tmp_path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert await db.upgrade(engine) is True  # built from nothing
        assert await db.upgrade(engine) is False  # nothing left to do
        assert await db.schema_is_current(engine)
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
async def test_the_plain_postgres_forms_connect(scheme) -> None:
    assert POSTGRES_URL is not None
    engine = db.create_engine(POSTGRES_URL.replace("postgresql+asyncpg://", scheme))
    try:
        assert await db.ping(engine)
    finally:
        await engine.dispose()


def test_alembic_command_line_needs_only_the_bots_drivers(tmp_path) -> None:
    """`alembic upgrade head` on a plain sqlite:/// URL (no connection handed in by the
    bot): env.py makes its own engine with aiosqlite."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    command.upgrade(db.alembic_config(url), "head")
    engine = db.create_engine(url)

    async def check() -> None:
        try:
            assert await table_names(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
            assert await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()

    asyncio.run(check())


def test_the_console_says_in_one_line_that_it_ignores_database_url(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.__main__.bot_logging.configure", lambda *_: None)  # stays global
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TEAMS_ALLOW_UNAUTHENTICATED", raising=False)
    ran: list[bool] = []

    async def console(_settings: Settings, *, tour: bool) -> None:
        ran.append(tour)

    monkeypatch.setattr("bot.console.run.run_console", console)
    monkeypatch.setenv("DATABASE_URL", "postgres://bot@db/mentorbot")
    assert main([]) == 0
    assert ran == [True]
    assert capsys.readouterr().err == CONSOLE_IGNORES_DATABASE + "\n"
    assert CONSOLE_IGNORES_DATABASE == (
        "mentorbot: the console uses a throwaway database; DATABASE_URL is not used"
    )
    monkeypatch.delenv("DATABASE_URL")
    assert main([]) == 0
    assert capsys.readouterr().err == ""  # not set: nothing to say
