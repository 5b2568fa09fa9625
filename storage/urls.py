"""DATABASE_URL as people and hosting platforms hand it out, turned into the URL of the
async driver the bot is built with: `sqlite:///file.db` and `postgres://…` work as they
are, and nobody has to know that the bot speaks aiosqlite and asyncpg."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# The scheme given -> the async driver the bot uses for it (pyproject.toml installs both).
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",  # Heroku, Render, Fly and others hand out this form
    "postgresql+asyncpg": "postgresql+asyncpg",
}
SUPPORTED = "sqlite:///<file> or postgresql://user:pass@host/db"


class UnsupportedDatabase(ValueError):
    """The URL is no database URL, or names a database the bot does not support. The
    message never quotes the URL: it may hold a password."""


def async_url(url: str) -> URL:
    """The URL with the bot's async driver; raises UnsupportedDatabase."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise UnsupportedDatabase(f"is not a database URL: use {SUPPORTED}") from None
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabase(f"must be {SUPPORTED}, not a {parsed.drivername}:// URL")
    if driver == "sqlite+aiosqlite" and parsed.database in (None, "", ":memory:"):
        # In memory, every restart would lose every program, pair and unsent message.
        raise UnsupportedDatabase(
            f"names no SQLite file (in memory, nothing is kept): use {SUPPORTED}"
        )
    parsed = parsed.set(drivername=driver)
    if driver == "postgresql+asyncpg" and "sslmode" in parsed.query:
        # libpq's `?sslmode=require`, common in hosted URLs, is asyncpg's `ssl` (same values).
        query = dict(parsed.query)
        query.setdefault("ssl", query.pop("sslmode"))
        parsed = parsed.set(query=query)
    return parsed


def is_sqlite(url: str | URL) -> bool:
    name = url.drivername if isinstance(url, URL) else str(url)
    return name.startswith("sqlite")


def as_text(url: URL) -> str:
    """The URL as a string an engine can be made from again (with its password)."""
    return url.render_as_string(hide_password=False)
