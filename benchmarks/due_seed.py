"""Pairs for the due-work benchmarks, written fast: each table filled by one INSERT …
SELECT over a generated series of ids (SQLAlchemy core, a recursive CTE that SQLite and
PostgreSQL both run), so 100,000 pairs take seconds and no row passes through Python.

One program (the default check-in cadence: 2 weeks after the start, 4 weeks, then every 4
weeks, in UTC, so 10:00 UTC on a Monday is working time for everyone). Two kinds of pair:

- idle: started 3 weeks ago. Round 1 was asked a week ago (a check-in row, its sent
  prompt in the outbox, its due items done), round 2 waits a week ahead. What a running
  program is full of: rows the due sweep must step over without reading them.
- due: started 2 weeks before `due_at`, round 1 falls due then (both members).

Pair m has the mentor 2m − 1 and the mentee 2m; a person's identity, membership, check-in
and sent prompt share the person's id. Every row is computed, none read back; PostgreSQL's
id sequences are moved past them at the end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    JSON,
    Boolean,
    ColumnElement,
    Integer,
    String,
    Table,
    case,
    cast,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from handlers.checkins.prompts import CHECKIN, REMINDER
from handlers.views import simple
from storage.models import (
    Checkin,
    DueItem,
    DueStatus,
    Identity,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Pair,
    Person,
    Program,
    Role,
    Subject,
    UTCDateTime,
)

PROGRAM_ID = 1
WEEK = timedelta(weeks=1)
PROMPT = simple("It is time for your check-in.").to_json()


async def seed_program(engine: AsyncEngine, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            Program.__table__.insert(),  # type: ignore[attr-defined]
            [{"id": PROGRAM_ID, "name": "Bench", "name_key": "bench", "created_at": now}],
        )


async def seed_pairs(
    engine: AsyncEngine, first: int, count: int, *, now: datetime, due_at: datetime | None
) -> None:
    """Pairs `first` … `first + count - 1`: idle ones when `due_at` is None, else pairs
    whose round 1 falls due at `due_at`. One transaction."""
    started = now - 3 * WEEK if due_at is None else due_at - 2 * WEEK
    pairs = _series("pairs", first, first + count - 1)
    people = _series("people", 2 * first - 1, 2 * (first + count - 1))
    async with engine.begin() as conn:
        await _skip_foreign_key_checks(conn)
        await _fill(conn, Person, people, _person(people.c.n, now))
        await _fill(conn, Identity, people, _identity(people.c.n, now))
        await _fill(conn, Membership, people, _membership(people.c.n, now))
        await _fill(conn, Pair, pairs, _pair(pairs.c.n, started))
        if due_at is None:
            asked = started + 2 * WEEK
            await _fill(conn, OutboxMessage, people, _sent_prompt(people.c.n, asked))
            await _fill(conn, Checkin, people, _checkin(people.c.n, asked))
            for values in _idle_items(people.c.n, now, started):
                await _fill(conn, DueItem, people, values)
        else:
            await _fill(conn, DueItem, people, _item(people.c.n, 1, CHECKIN, due_at, now))


async def finish_seeding(engine: AsyncEngine) -> None:
    """PostgreSQL: id sequences past the ids written, and fresh planner statistics (as
    autovacuum keeps them in a database that grew over months, not in one minute)."""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        return
    async with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is None:
                continue
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f'COALESCE(MAX("{column.name}"), 0) + 1, false) FROM "{table.name}"'
                )
            )
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("ANALYZE"))


async def _skip_foreign_key_checks(conn: AsyncConnection) -> None:
    """PostgreSQL checks each row's foreign keys by a trigger, which makes seeding 100,000
    pairs four times slower. The rows here are consistent by construction, so a superuser
    seeds without the triggers (for this transaction only); anyone else, with them."""
    if conn.dialect.name != "postgresql":
        return
    if await conn.scalar(text("SELECT current_setting('is_superuser')")) == "on":
        await conn.execute(text("SET LOCAL session_replication_role = replica"))


def _series(name: str, first: int, last: int) -> CTE:
    """The integers first … last, as the column `n` of a recursive CTE."""
    series = select(literal(first, Integer).label("n")).cte(name, recursive=True)
    return series.union_all(select(series.c.n + 1).where(series.c.n < last))


async def _fill(
    conn: AsyncConnection, model: type[SQLModel], series: CTE, values: dict[str, Any]
) -> None:
    """One row of `model` per number of `series`, its columns from `values`."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in values]
    row = [
        _value(value, column.type) for value, column in zip(values.values(), columns, strict=True)
    ]
    await conn.execute(insert(table).from_select(list(values), select(*row).select_from(series)))


def _value(value: Any, kind: Any) -> ColumnElement[Any]:
    return value if isinstance(value, ColumnElement) else literal(value, kind)


def _text(*parts: str | ColumnElement[int]) -> ColumnElement[str]:
    """Strings and numbers joined (SQL's ||)."""
    joined: ColumnElement[str] = literal("", String)
    for part in parts:
        joined = joined + (literal(part, String) if isinstance(part, str) else cast(part, String))
    return joined


def _pair_of(person: ColumnElement[int]) -> ColumnElement[int]:
    return (person + 1) // 2  # 2m − 1 and 2m are both in pair m


def _person(n: ColumnElement[int], now: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "display_name": _text("Person ", n),
        "email": _text("p", n, "@example.com"),
        "last_identity_id": n,
        "created_at": now - 4 * WEEK,
    }


def _identity(n: ColumnElement[int], now: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "person_id": n,
        "platform": "slack",
        "external_id": _text("UP", n),
        "workspace_id": "T0001",
        "last_seen_at": now - WEEK,
    }


def _membership(n: ColumnElement[int], now: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "program_id": PROGRAM_ID,
        "person_id": n,
        "role": case((n % 2 == 1, literal(Role.MENTOR.value)), else_=literal(Role.MENTEE.value)),
        "created_at": now - 4 * WEEK,
        "briefing_confirmed_at": now - 4 * WEEK,
    }


def _pair(m: ColumnElement[int], started: datetime) -> dict[str, Any]:
    return {
        "id": m,
        "program_id": PROGRAM_ID,
        "mentor_id": 2 * m - 1,
        "mentee_id": 2 * m,
        "state": "active",
        "created_at": started,
    }


def _sent_prompt(n: ColumnElement[int], asked: datetime) -> dict[str, Any]:
    """Round 1's prompt to person n, sent."""
    return {
        "id": n,
        "dedupe_key": _text("checkin:", n, ":prompt"),
        "subject": Subject.CHECKIN.value,
        "program_id": PROGRAM_ID,
        "pair_id": _pair_of(n),
        "recipient_id": n,
        "view": literal(PROMPT, JSON),
        "status": OutboxStatus.SENT.value,
        "priority": 1,
        "attempts": 1,
        "next_attempt_at": asked,
        "created_at": asked,
        "sent_at": asked,
        "platform": "slack",
        "sent_ref": literal({"channel": "DUP", "ts": "1.000100"}, JSON),
    }


def _checkin(n: ColumnElement[int], asked: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "program_id": PROGRAM_ID,
        "pair_id": _pair_of(n),
        "person_id": n,
        "round": 1,
        "asked_at": asked,
        "prompt_id": n,
        "answered_at": asked + timedelta(hours=2),
        "feeling": "good",
        "obstacle": "nothing",
        "share_words": literal(False, Boolean),
        "wants_contact": literal(False, Boolean),
    }


def _item(
    n: ColumnElement[int],
    round_: int | None,
    kind: str,
    due_at: datetime,
    now: datetime,
    done: bool = False,
) -> dict[str, Any]:
    """A due item about person n: a round of theirs (handlers.checkins.prompts.round_key)
    or, without a round, the reminder of their check-in (whose id is theirs)."""
    key = _text(kind, ":", n) if round_ is None else _text(kind, ":", _pair_of(n), f":{round_}:", n)
    return {
        "key": key,
        "kind": kind,
        "program_id": PROGRAM_ID,
        "pair_id": _pair_of(n),
        "person_id": n,
        "due_at": due_at,
        "status": (DueStatus.DONE if done else DueStatus.PENDING).value,
        "created_at": now - 4 * WEEK,
        "done_at": literal(due_at if done else None, UTCDateTime()),
    }


def _idle_items(
    n: ColumnElement[int], now: datetime, started: datetime
) -> Sequence[dict[str, Any]]:
    """Round 1 and its reminder done; round 2 pending, a week ahead."""
    asked = started + 2 * WEEK
    return (
        _item(n, 1, CHECKIN, asked, now, done=True),
        _item(n, None, REMINDER, asked + timedelta(days=3), now, done=True),
        _item(n, 2, CHECKIN, started + 4 * WEEK, now),
    )
