"""Pairs for the due-work benchmarks, written fast: bulk inserts through SQLAlchemy core,
explicit ids, thousands of rows per statement, no command and no ORM object.

One program (the default check-in cadence: 2 weeks after the start, 4 weeks, then every 4
weeks, in UTC, so 10:00 UTC on a Monday is working time for everyone). Two kinds of pair:

- idle: started 3 weeks ago. Round 1 was asked a week ago (a check-in row, its sent
  prompt in the outbox, its due items done), round 2 waits a week ahead. What a running
  program is full of: rows the due sweep must step over without reading them.
- due: started 2 weeks before `due_at`, round 1 falls due then (both members).

Person ids are 2·pair − 1 (mentor) and 2·pair (mentee), so every row is computed, not
read back; PostgreSQL's id sequences are moved past them at the end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from handlers.checkins.prompts import CHECKIN, REMINDER, round_key
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
)

CHUNK = 5_000  # rows per statement
PROGRAM_ID = 1
WEEK = timedelta(weeks=1)
PROMPT = simple("It is time for your check-in.").to_json()


def slack_id(person_id: int) -> str:
    return f"UP{person_id:07d}"


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


async def seed_program(engine: AsyncEngine, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            _table(Program).insert(),
            [{"id": PROGRAM_ID, "name": "Bench", "name_key": "bench", "created_at": now}],
        )


async def seed_pairs(
    engine: AsyncEngine, first: int, count: int, *, now: datetime, due_at: datetime | None
) -> None:
    """Pairs `first` … `first + count - 1`: idle ones when `due_at` is None, else pairs
    whose round 1 falls due at `due_at`. One transaction per chunk of pairs."""
    for start in range(first, first + count, CHUNK // 2):
        pairs = range(start, min(start + CHUNK // 2, first + count))
        async with engine.begin() as conn:
            await _insert(conn, Person, _people(pairs, now))
            await _insert(conn, Identity, _identities(pairs, now))
            await _insert(conn, Membership, _memberships(pairs, now))
            started = now - 3 * WEEK if due_at is None else due_at - 2 * WEEK
            await _insert(conn, Pair, _pairs(pairs, started))
            if due_at is None:
                await _insert(conn, OutboxMessage, _sent_prompts(pairs, now - WEEK))
                await _insert(conn, Checkin, _checkins(pairs, now - WEEK))
                await _insert(conn, DueItem, _idle_items(pairs, now, started))
            else:
                await _insert(conn, DueItem, _round_one(pairs, now, due_at))


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


async def _insert(conn: AsyncConnection, model: type[SQLModel], rows: Iterator[dict]) -> None:
    batch = list(rows)
    if batch:
        await conn.execute(_table(model).insert(), batch)


def _members(pairs: range) -> Iterator[tuple[int, int, int]]:
    """(pair id, person id, partner id) of both members of each pair."""
    for pair in pairs:
        mentor, mentee = 2 * pair - 1, 2 * pair
        yield pair, mentor, mentee
        yield pair, mentee, mentor


def _people(pairs: range, now: datetime) -> Iterator[dict[str, Any]]:
    for _, person, _ in _members(pairs):
        yield {
            "id": person,
            "display_name": f"Person {person}",
            "email": f"p{person}@example.com",
            "last_identity_id": person,
            "created_at": now - 4 * WEEK,
        }


def _identities(pairs: range, now: datetime) -> Iterator[dict[str, Any]]:
    for _, person, _ in _members(pairs):
        yield {
            "id": person,
            "person_id": person,
            "platform": "slack",
            "external_id": slack_id(person),
            "workspace_id": "T0001",
            "address": None,
            "last_seen_at": now - WEEK,
        }


def _memberships(pairs: range, now: datetime) -> Iterator[dict[str, Any]]:
    for pair, person, _ in _members(pairs):
        yield {
            "id": person,
            "program_id": PROGRAM_ID,
            "person_id": person,
            "role": Role.MENTOR if person == 2 * pair - 1 else Role.MENTEE,
            "created_at": now - 4 * WEEK,
            "briefing_confirmed_at": now - 4 * WEEK,
        }


def _pairs(pairs: range, started: datetime) -> Iterator[dict[str, Any]]:
    for pair in pairs:
        yield {
            "id": pair,
            "program_id": PROGRAM_ID,
            "mentor_id": 2 * pair - 1,
            "mentee_id": 2 * pair,
            "state": "active",
            "created_at": started,
        }


def _sent_prompts(pairs: range, asked: datetime) -> Iterator[dict[str, Any]]:
    """Round 1's prompts, sent: outbox row id = person id, check-in id = person id."""
    for pair, person, _ in _members(pairs):
        yield {
            "id": person,
            "dedupe_key": f"checkin:{person}:prompt",
            "subject": Subject.CHECKIN,
            "program_id": PROGRAM_ID,
            "pair_id": pair,
            "recipient_id": person,
            "view": PROMPT,
            "status": OutboxStatus.SENT,
            "priority": 1,
            "attempts": 1,
            "next_attempt_at": asked,
            "created_at": asked,
            "sent_at": asked,
            "platform": "slack",
            "sent_ref": {"channel": f"D{slack_id(person)}", "ts": f"{person}.000100"},
        }


def _checkins(pairs: range, asked: datetime) -> Iterator[dict[str, Any]]:
    for pair, person, _ in _members(pairs):
        yield {
            "id": person,
            "program_id": PROGRAM_ID,
            "pair_id": pair,
            "person_id": person,
            "round": 1,
            "asked_at": asked,
            "prompt_id": person,
            "answered_at": asked + timedelta(hours=2),
            "feeling": "good",
            "obstacle": "nothing",
            "share_words": False,
            "wants_contact": False,
        }


def _item(key: str, kind: str, pair: int, person: int, due_at: datetime, now: datetime) -> dict:
    return {
        "key": key,
        "kind": kind,
        "program_id": PROGRAM_ID,
        "pair_id": pair,
        "person_id": person,
        "due_at": due_at,
        "status": DueStatus.PENDING,
        "created_at": now - 4 * WEEK,
        "done_at": None,
    }


def _idle_items(pairs: range, now: datetime, started: datetime) -> Iterator[dict[str, Any]]:
    """Round 1 and its reminder done; round 2 pending, a week ahead."""
    for pair, person, _ in _members(pairs):
        asked = started + 2 * WEEK
        done = {"status": DueStatus.DONE, "done_at": asked}
        yield _item(round_key(pair, 1, person), CHECKIN, pair, person, asked, now) | done
        reminder = f"{REMINDER}:{person}"
        yield _item(reminder, REMINDER, pair, person, asked + timedelta(days=3), now) | done
        yield _item(round_key(pair, 2, person), CHECKIN, pair, person, started + 4 * WEEK, now)


def _round_one(pairs: range, now: datetime, due_at: datetime) -> Iterator[dict[str, Any]]:
    for pair, person, _ in _members(pairs):
        yield _item(round_key(pair, 1, person), CHECKIN, pair, person, due_at, now)
