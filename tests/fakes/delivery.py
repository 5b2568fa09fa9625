"""Helpers for the "nothing is lost" tests: a small Slack program seeded straight into the
tables, outbox rows enqueued and read back, and a fake Slack that can be awaited.

    slack = WaitableSlackApi()      # a FakeSlackApi whose calls can be awaited
    await slack.wait_for(lambda: len(slack.posts_to("UMAYA")) == 1)
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlmodel import select

from fakes.slack_api import TEAM_ID, FakeSlackApi, RecordedCall, _read_args
from handlers.views import MessageView
from storage import outbox
from storage.db import SessionFactory, transaction
from storage.models import (
    Identity,
    Membership,
    OutboxMessage,
    Pair,
    PairState,
    Person,
    Program,
    Role,
)

PROGRAM = "Graduate Mentoring"
# name, Slack user id, e-mail, role in the program
MANAGER = ("Maya", "UMAYA", "maya@example.com", Role.MANAGER)
MENTOR = ("Omar", "UOMAR", "omar@example.com", Role.MENTOR)
MENTEE = ("Sam", "USAM", "sam@example.com", Role.MENTEE)


@dataclass(frozen=True)
class World:
    """Ids of the seeded program and its people."""

    program_id: int
    manager_id: int
    mentor_id: int
    mentee_id: int
    pair_id: int


async def seed(sessions: SessionFactory, now: datetime) -> World:
    """One program: a manager, a mentor and a mentee on Slack, the two paired."""
    async with transaction(sessions) as session:
        ids: list[int] = []
        for name, slack_id, email, _ in (MANAGER, MENTOR, MENTEE):
            ids.append(await add_person(session, name, email, now, slack=slack_id))
        manager_id, mentor_id, mentee_id = ids
        program = Program(
            name=PROGRAM, name_key=PROGRAM.casefold(), created_by_id=manager_id, created_at=now
        )
        session.add(program)
        await session.flush()
        assert program.id is not None
        for person_id, role in zip(ids, (MANAGER[3], MENTOR[3], MENTEE[3]), strict=True):
            session.add(
                Membership(program_id=program.id, person_id=person_id, role=role, created_at=now)
            )
        pair = Pair(
            program_id=program.id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            state=PairState.ACTIVE,
            created_at=now,
        )
        session.add(pair)
        await session.flush()
        assert pair.id is not None
        return World(program.id, manager_id, mentor_id, mentee_id, pair.id)


async def add_person(
    session: Any,
    name: str,
    email: str | None,
    now: datetime,
    *,
    slack: str | None = None,
    teams: str | None = None,
) -> int:
    """A person with an identity on each platform given (none at all if neither)."""
    person = Person(display_name=name, email=email, timezone="Europe/London", created_at=now)
    session.add(person)
    await session.flush()
    assert person.id is not None
    if slack:
        session.add(
            Identity(
                person_id=person.id,
                platform="slack",
                external_id=slack,
                workspace_id=TEAM_ID,
                last_seen_at=now,
            )
        )
    if teams:
        session.add(
            Identity(person_id=person.id, platform="teams", external_id=teams, last_seen_at=now)
        )
    await session.flush()
    return person.id


async def put(
    sessions: SessionFactory,
    key: str,
    recipient_id: int,
    view: MessageView,
    now: datetime,
    *,
    program_id: int | None = None,
    replaces_id: int | None = None,
    priority: int = outbox.ROUTINE,
    reply_to: dict[str, Any] | None = None,
) -> int:
    """Enqueue one message in its own transaction; the row's id."""
    async with transaction(sessions) as session:
        await outbox.enqueue(
            session,
            key=key,
            recipient_id=recipient_id,
            view=view.to_json(),
            now=now,
            program_id=program_id,
            replaces_id=replaces_id,
            priority=priority,
            reply_to=reply_to,
        )
    return (await row(sessions, key)).id  # type: ignore[return-value]


async def row(sessions: SessionFactory, key: str) -> OutboxMessage:
    async with sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.dedupe_key == key)
        return (await session.exec(query)).one()


async def all_rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def aware(at: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every one we store is UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Notifying(list[RecordedCall]):
    def __init__(self, notify: Callable[[], None]) -> None:
        super().__init__()
        self._notify = notify

    def append(self, call: RecordedCall) -> None:
        super().append(call)
        self._notify()


class WaitableSlackApi(FakeSlackApi):
    """A FakeSlackApi whose calls can be awaited, without sleeping: each request that
    arrives (in `received`) or is answered (in `calls`) wakes whoever waits in `wait_for`.

    Methods named in `dropping` are unreachable: each request is recorded in `received` only
    (with no arguments) and its connection is dropped without an answer, which a client sees
    as a connection error (aiohttp's ServerDisconnectedError)."""

    def __init__(self, clock: Any = None) -> None:
        super().__init__(clock)
        self._arrived = asyncio.Event()
        self.calls = _Notifying(self._arrived.set)
        self.received = _Notifying(self._arrived.set)
        self.dropping: set[str] = set()
        self._literal: dict[str, deque[tuple[int, str, str, dict[str, str]]]] = {}

    def answer_next(
        self,
        method: str,
        *,
        status: int,
        body: str,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next call to `method` with exactly this HTTP response, as a proxy or load
        balancer in front of Slack might (text/plain, HTML, broken JSON)."""
        queue = self._literal.setdefault(method, deque())
        queue.append((status, body, content_type, headers or {}))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        literal = self._literal.get(method)
        if literal:
            status, body, content_type, headers = literal.popleft()
            args, token = await _read_args(request)
            call = RecordedCall(method=method, args=args, token=token)
            self.received.append(call)
            self.calls.append(call)
            return web.Response(
                status=status, text=body, content_type=content_type, headers=headers
            )
        if method not in self.dropping:
            return await super()._handle_api(request)
        # Slack unreachable for this method: the connection drops without an answer.
        self.received.append(RecordedCall(method=method, args={}, token=None))
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=204)  # never reaches the client

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Return once `condition()` holds, checked after every call; fail after `timeout` s."""

        async def until() -> None:
            while not condition():
                self._arrived.clear()
                if condition():
                    return
                await self._arrived.wait()

        await asyncio.wait_for(until(), timeout)

    def posts_to(self, user_id: str) -> list[RecordedCall]:
        """chat.postMessage calls addressed to `user_id` (answered, failed or not)."""
        return [c for c in self.calls_to("chat.postMessage") if c.args.get("channel") == user_id]
