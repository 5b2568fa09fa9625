"""Which database errors mean the connection was cut (the server ended it, a restart or
failover, the network) rather than the database refusing the work (a constraint, bad
SQL). Only a cut is worth running the work again, on a fresh connection.

SQLAlchemy marks the cuts it recognises (`connection_invalidated`), but it decides by
asking the driver whether the connection is closed when the error surfaces, and asyncpg
may report the cut before it notices the socket has gone: then the same event arrives as a
generic DBAPIError, or as asyncpg's InternalClientError (its protocol caught mid-state),
unmarked. So the driver's own error, under SQLAlchemy's and its adapter's wrappers
(`orig`, `__cause__`), is looked at too."""

from __future__ import annotations

from asyncpg import exceptions as pg
from sqlalchemy.exc import DBAPIError

CUT = (
    pg.PostgresConnectionError,  # SQLSTATE class 08: ConnectionDoesNotExistError and kin
    pg.AdminShutdownError,  # 57P01: pg_terminate_backend, a fast shutdown
    pg.CrashShutdownError,  # 57P02: another backend crashed, all are ended
    pg.CannotConnectNowError,  # 57P03: the server starting up or shutting down
    pg.InternalClientError,  # the driver's protocol state broken by the cut
    ConnectionError,  # the socket: reset, broken pipe, aborted, refused
)
CLOSED = "connection is closed"  # asyncpg's InterfaceError when used after the cut


def is_cut(error: BaseException) -> bool:
    """Whether `error` (anything a unit of work raised) means the connection was cut."""
    return any(_says_cut(link) for link in _chain(error))


def _says_cut(error: BaseException) -> bool:
    if isinstance(error, DBAPIError):
        return error.connection_invalidated
    if isinstance(error, pg.InterfaceError):
        return CLOSED in str(error)
    return isinstance(error, CUT)


def _chain(error: BaseException) -> list[BaseException]:
    """`error`, the driver's error it wraps, and what caused that, outermost first. Only
    what each says it wraps (`orig`, `raise … from`): an error merely raised while
    handling another (`__context__`) is not that error."""
    chain: list[BaseException] = []
    link: object = error
    while isinstance(link, BaseException) and link not in chain:
        chain.append(link)
        inner = getattr(link, "orig", None)
        link = inner if isinstance(inner, BaseException) else link.__cause__
    return chain
