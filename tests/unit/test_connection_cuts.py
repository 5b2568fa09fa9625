"""A cut connection is told from a refusal by the driver's own error, whatever SQLAlchemy
made of it: the errors here are the real classes, wrapped as SQLAlchemy's asyncpg adapter
wraps them, with `connection_invalidated` false (SQLAlchemy had not seen the cut)."""

from __future__ import annotations

import sqlite3

import pytest
from asyncpg import exceptions as pg
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    PGDialect_asyncpg,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from handlers.context import Refusal
from storage.cuts import is_cut

DBAPI = PGDialect_asyncpg.import_dbapi()


def through_sqlalchemy(driver_error: Exception, *, invalidated: bool = False) -> DBAPIError:
    """`driver_error` as a unit of work sees it: translated by the asyncpg adapter (raised
    from the driver's error), then wrapped by SQLAlchemy, as on a statement."""
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(DBAPI, driver_error)
    except Exception as adapted:
        wrapped = DBAPIError.instance(
            "SELECT 1", None, adapted, DBAPI.Error, connection_invalidated=invalidated
        )
        wrapped.__cause__ = adapted
        return wrapped
    raise AssertionError("the adapter raises")


def caused(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


CUTS = {
    "terminated, as the server says it": pg.AdminShutdownError(
        "terminating connection due to administrator command"
    ),
    "closed mid-operation": pg.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    "closed mid-operation, by a reset": caused(
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionResetError(104, "Connection reset by peer"),
    ),
    "used after closing": pg.InterfaceError("connection is closed"),
    "protocol caught mid-state": pg.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    "server crash": pg.CrashShutdownError("terminating connection because of crash"),
    "server starting": pg.CannotConnectNowError("the database system is starting up"),
    "the socket reset": ConnectionResetError(104, "Connection reset by peer"),
    "the socket broken": BrokenPipeError(32, "Broken pipe"),
}
REFUSALS = {
    "unique": pg.UniqueViolationError('duplicate key value violates unique constraint "x"'),
    "foreign key": pg.ForeignKeyViolationError("violates foreign key constraint"),
    "syntax": pg.PostgresSyntaxError('syntax error at or near "SELEC"'),
    "no such table": pg.UndefinedTableError('relation "program" does not exist'),
    "NUL in text": pg.CharacterNotInRepertoireError("invalid byte sequence for encoding"),
    "statement timeout": pg.QueryCanceledError("canceling statement due to statement timeout"),
    "another interface error": pg.InterfaceError("cannot perform operation: another operation"),
}


@pytest.mark.parametrize("driver_error", CUTS.values(), ids=CUTS.keys())
def test_a_cut_is_a_cut_even_when_sqlalchemy_did_not_see_it(driver_error) -> None:
    error = through_sqlalchemy(driver_error)
    assert not error.connection_invalidated
    assert is_cut(error)
    assert is_cut(driver_error)  # raised unwrapped, as from the pool's own calls


@pytest.mark.parametrize("driver_error", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refusal_is_not_a_cut(driver_error) -> None:
    assert not is_cut(through_sqlalchemy(driver_error))
    assert not is_cut(driver_error)


def test_what_sqlalchemy_marks_as_a_cut_is_one() -> None:
    error = through_sqlalchemy(pg.PostgresError("anything"), invalidated=True)
    assert is_cut(error)


def test_neither_sqlite_errors_nor_the_bots_own_are_cuts() -> None:
    locked = OperationalError("COMMIT", None, sqlite3.OperationalError("database is locked"))
    duplicate = IntegrityError("INSERT", None, sqlite3.IntegrityError("UNIQUE constraint"))
    assert not is_cut(locked) and not is_cut(duplicate)
    assert not is_cut(Refusal("You are not in a pair with that person."))
    assert not is_cut(ValueError("not a number"))


def test_an_error_raised_while_handling_a_cut_is_not_a_cut() -> None:
    """Only what an error says it wraps counts, not what was being handled when it came."""
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            raise ValueError("a bug while handling it")  # noqa: B904
    except ValueError as error:
        assert error.__context__ is not None and not is_cut(error)
