"""The database at start: its schema brought up to date (on PostgreSQL too, once for all
replicas), tried again while the database cannot be reached, and the platforms' endpoints
held back until then."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db, outbox

log = structlog.get_logger("mentorbot")


async def open_database(url: str) -> AsyncEngine:
    """An engine on a database whose schema is up to date (see prepare_database)."""
    engine = db.create_engine(url)
    try:
        await prepare_database(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def prepare_database(engine: AsyncEngine) -> None:
    """Bring the schema up to date, SQLite and PostgreSQL alike (on PostgreSQL under an
    advisory lock: replicas starting together migrate once). On SQLite, the one process,
    claims a killed run left on outbox rows are released."""
    if await db.upgrade(engine):
        log.info("database_schema_upgraded", revision=db.head_revision())
    if db.is_sqlite(engine.url):
        async with db.transaction(db.session_factory(engine)) as session:
            await outbox.release_all_claims(session)


# While the database is unreachable at start: try again after these many seconds, doubling.
DATABASE_RETRY_SECONDS = (1.0, 30.0)


async def prepare_until_ready(engine: AsyncEngine) -> bool:
    """prepare_database, again and again while it fails (the database still starting, a
    network not up yet): one warning line per try, /readyz 503 meanwhile. A schema newer
    than this code is not tried again (db.SchemaTooNew raised, after one error line)."""
    delay, longest = DATABASE_RETRY_SECONDS
    while True:
        try:
            await prepare_database(engine)
            return True
        except db.SchemaTooNew as newer:
            log.error(
                "database_schema_newer", revision=newer.revision, newest_known=db.head_revision()
            )
            raise
        except Exception as error:  # types only: a message may quote the URL
            log.warning("database_not_ready", error=innermost_error(error), retry_in=delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)


def innermost_error(error: BaseException) -> str:
    """The driver's own error's type (InvalidPasswordError, ConnectionRefusedError …),
    under SQLAlchemy's and its adapter's wrappers."""
    seen: BaseException = error
    while (inner := getattr(seen, "orig", None) or seen.__cause__) is not None:
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    return type(seen).__name__


async def first_of(work: Awaitable[bool], stopped: Awaitable[object]) -> bool:
    """`work`'s result, or False if `stopped` comes first (then `work` is cancelled)."""
    working, stopping = asyncio.ensure_future(work), asyncio.ensure_future(stopped)
    try:
        await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (working, stopping):
            task.cancel()
        await asyncio.gather(working, stopping, return_exceptions=True)
    return working.result() if working.done() and not working.cancelled() else False


MIGRATING = "the database schema is being brought up to date"
NOT_CURRENT = "the database schema is not the one this version needs"


async def schema_problem(engine: AsyncEngine, *, migrating: bool) -> str | None:
    """What /readyz says of the schema (None: current, and nothing left to do at start).
    A schema newer than this code is said plainly: no migration of this code will help."""
    try:
        revision = await db.current_revision(engine)
    except Exception:  # unreachable since the ping: not ready, as when it cannot be reached
        return MIGRATING if migrating else NOT_CURRENT
    if revision is not None and revision not in db.known_revisions():
        return str(db.SchemaTooNew(revision))
    if migrating:
        return MIGRATING
    return None if revision == db.head_revision() else NOT_CURRENT


def until_ready(is_ready: Callable[[], bool]) -> Any:
    """Until the schema is up to date, only /healthz and /readyz are served."""

    @web.middleware
    async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
        if is_ready() or request.path in ("/healthz", "/readyz"):
            return await handler(request)
        return web.json_response({"error": "starting: the database is not ready yet"}, status=503)

    return gate
