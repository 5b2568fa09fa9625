"""The database connection dropping (a failover, a restart, the server ending the bot's
connections): a command whose connection was cut runs once more on a fresh connection
before anyone gets an apology, and what it changes is changed exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from structlog.testing import capture_logs

from bot.console.people import PLATFORM, ConsoleDirectory
from handlers import programs
from handlers.commands import ProgramCreate
from handlers.context import Caller, Context, Deps
from handlers.router import handle_text, run
from handlers.views import MessageView
from storage import db
from storage.models import Program

MAYA = Caller(platform=PLATFORM, external_id="maya", name="Maya")


@pytest.fixture
async def engine(empty_database) -> AsyncIterator[AsyncEngine]:
    """The bot's engine (pooled, with pool_pre_ping, as in production), schema migrated."""
    engine = db.create_engine(empty_database)
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def admin(empty_database) -> AsyncIterator[AsyncEngine]:
    """Another client of the server: the one that ends the bot's connections."""
    admin = create_async_engine(empty_database, poolclass=NullPool)
    yield admin
    await admin.dispose()


@pytest.fixture
def deps(engine, clock) -> Deps:
    return Deps(
        sessions=db.session_factory(engine),
        clock=clock,
        directories={PLATFORM: ConsoleDirectory()},
        open_platforms=frozenset({PLATFORM}),  # anyone may create programs here
    )


async def terminate(admin: AsyncEngine, pid: int | None = None) -> int:
    """pg_terminate_backend on `pid`, or on every other connection to this database."""
    where = "pid = :pid" if pid is not None else "pid <> pg_backend_pid()"
    async with admin.connect() as conn:
        ended = await conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                f" WHERE datname = current_database() AND {where}"
            ),
            {"pid": pid} if pid is not None else {},
        )
        return int(ended.scalar_one())


async def backend_pid(ctx: Context) -> int:
    connection = await ctx.session.connection()
    return int((await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


async def program_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(Program.name).order_by(Program.id))).scalars())


async def test_a_command_after_the_bots_connections_were_ended_succeeds(deps, engine, admin):
    await handle_text(deps, MAYA, 'program create "Spring"')
    assert await terminate(admin) >= 1  # the bot's pooled connection, idle between commands
    answer = await handle_text(deps, MAYA, 'program create "Autumn"')
    assert answer is not None and "Autumn" in answer.notification
    assert await program_names(engine) == ["Spring", "Autumn"]


async def test_a_command_cut_mid_transaction_runs_once_more_and_changes_things_once(
    deps, engine, admin
):
    tries: list[int] = []

    async def create_autumn(ctx: Context) -> MessageView:
        tries.append(await backend_pid(ctx))
        if len(tries) == 1:  # the connection ends after the transaction began some work
            assert await terminate(admin, tries[0]) == 1
        return await programs.create_program(ctx, ProgramCreate(name="Autumn"))

    with capture_logs() as logs:
        answer = await run(deps, MAYA, create_autumn)
    assert answer is not None and "Autumn" in answer.notification
    assert len(tries) == 2 and tries[0] != tries[1]  # the second on a fresh connection
    assert await program_names(engine) == ["Autumn"]  # once
    [lost] = [e for e in logs if e["event"] == "database_connection_lost"]
    # The driver's error type depends on when it read the server's goodbye: a type only.
    assert lost == lost | {"retrying": True, "log_level": "warning"}
    assert lost["error"] in ("DBAPIError", "InterfaceError", "InternalError", "OperationalError")


async def test_a_command_cut_twice_is_not_tried_a_third_time(deps, engine, admin):
    """The apology is the platform edge's (an error reaches it): after one retry."""
    tries: list[int] = []

    async def always_cut(ctx: Context) -> MessageView:
        tries.append(await backend_pid(ctx))
        await terminate(admin, tries[-1])
        return await programs.create_program(ctx, ProgramCreate(name="Autumn"))

    with pytest.raises(DBAPIError) as cut:
        await run(deps, MAYA, always_cut)
    assert cut.value.connection_invalidated
    assert len(tries) == 2
    assert await program_names(engine) == []


async def test_a_refusal_is_not_retried(deps, engine):
    """Only a cut connection runs the work again: a refusal is answered at once."""
    await handle_text(deps, MAYA, 'program create "Spring"')
    tries: list[int] = []

    async def create_spring_again(ctx: Context) -> MessageView:
        tries.append(1)
        return await programs.create_program(ctx, ProgramCreate(name="Spring"))

    answer = await run(deps, MAYA, create_spring_again)
    assert answer is not None and "already a program" in str(answer.to_json())
    assert tries == [1]


async def test_a_cut_sqlalchemy_did_not_recognise_is_retried_too(deps, engine, admin, monkeypatch):
    """asyncpg may report a cut before it notices the socket has gone: SQLAlchemy then asks
    it "is the connection closed?", hears no, and raises a generic error, unmarked. Here
    SQLAlchemy never recognises one: the driver's own error (storage.cuts) still tells."""
    monkeypatch.setattr(engine.dialect, "is_disconnect", lambda *_args: False)
    tries: list[int] = []
    errors: list[BaseException] = []

    async def create_autumn(ctx: Context) -> MessageView:
        tries.append(await backend_pid(ctx))
        if len(tries) == 1:
            assert await terminate(admin, tries[0]) == 1
            try:
                await (await ctx.session.connection()).execute(text("SELECT 1"))
            except DBAPIError as error:
                errors.append(error)
                raise
        return await programs.create_program(ctx, ProgramCreate(name="Autumn"))

    answer = await run(deps, MAYA, create_autumn)
    assert answer is not None and "Autumn" in answer.notification
    [unmarked] = errors
    assert not unmarked.connection_invalidated  # SQLAlchemy did not see the cut
    assert len(tries) == 2 and tries[0] != tries[1]
    assert await program_names(engine) == ["Autumn"]


async def test_a_database_error_that_is_no_cut_is_not_retried(deps, engine):
    """A statement the database refuses (here: bad SQL) fails at once: running it again
    would only fail again."""
    tries: list[int] = []

    async def bad_sql(ctx: Context) -> MessageView:
        tries.append(1)
        await (await ctx.session.connection()).execute(text("SELEC 1"))
        raise AssertionError("not reached")

    with pytest.raises(DBAPIError) as refused:
        await run(deps, MAYA, bad_sql)
    assert not refused.value.connection_invalidated
    assert tries == [1]
