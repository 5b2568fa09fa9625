"""PostgreSQL, two replicas: the same Slack request (one trigger_id) reaching both at once,
as a retry through a load balancer or a replay would. Neither replica knows what the other
is running, yet the concern is raised once and both deliveries get its one answer."""

from __future__ import annotations

import asyncio

import pytest
from conftest import POSTGRES_URL
from fakes.delivery import seed
from sqlalchemy import text
from sqlmodel import select

from handlers import concerns
from handlers.commands import RaiseConcern
from handlers.context import Caller, Context, Deps
from handlers.deadline import Deadline
from handlers.router import handle_text, run
from handlers.views import MessageView
from storage import db
from storage.db import session_factory
from storage.models import Concern, OutboxMessage, ProcessedEvent

KEY = "slack:trigger:1.2.abc"
REPLY_TO = {"platform": "slack", "response_url": "https://hooks.slack.invalid/1"}
OMAR = Caller("slack", "UOMAR", "T0001")


@pytest.mark.parametrize(
    "second_waits",
    [
        pytest.param(False, id="second-done-first"),
        # Omar's first contact is being recorded by the first replica: the second waits on
        # that row's lock until the first commits, then finds the request done.
        pytest.param(True, id="second-waits-for-first"),
    ],
)
async def test_one_request_on_two_replicas_at_once_is_done_once(
    pg_engine, clock, second_waits
) -> None:
    world = await seed(session_factory(pg_engine), clock.now())
    other_engine = db.create_engine(POSTGRES_URL or "")
    first = Deps(sessions=session_factory(pg_engine), clock=clock)
    second = Deps(sessions=session_factory(other_engine), clock=clock)
    if not second_waits:
        assert await handle_text(first, OMAR, "help")  # Omar's contact, recorded before
    holding, release = asyncio.Event(), asyncio.Event()

    async def held_concern(ctx: Context) -> MessageView:
        """The first replica's concern, held open after its effects, before its commit."""
        answer = await concerns.raise_concern(
            ctx, RaiseConcern("missed-meeting", words="Sam did not come")
        )
        holding.set()
        await release.wait()
        return answer

    try:
        running = asyncio.create_task(
            run(first, OMAR, held_concern, event_key=KEY, deadline=Deadline(REPLY_TO))
        )
        await asyncio.wait_for(holding.wait(), timeout=5)
        again = asyncio.create_task(
            handle_text(
                second,
                OMAR,
                "concern missed-meeting Sam did not come",
                event_key=KEY,
                deadline=Deadline(REPLY_TO),
            )
        )
        if second_waits:
            await _until_waiting_on_a_lock(pg_engine)
        else:
            await asyncio.wait_for(asyncio.shield(again), timeout=5)  # done, not waiting
        release.set()
        answers = await asyncio.wait_for(asyncio.gather(running, again), timeout=5)
    finally:
        release.set()
        await other_engine.dispose()

    assert answers[0] is not None and answers[0] == answers[1]  # the one answer, for both
    assert answers[0].notification == "Your concern was recorded."
    async with session_factory(pg_engine)() as session:
        assert len((await session.exec(select(Concern))).all()) == 1
        told = (await session.exec(select(OutboxMessage))).all()
        assert [(m.subject, m.recipient_id) for m in told] == [("concern", world.manager_id)]
        assert [e.event_key for e in (await session.exec(select(ProcessedEvent))).all()] == [KEY]


async def _until_waiting_on_a_lock(engine) -> None:
    async with asyncio.timeout(5):
        while True:
            async with engine.connect() as conn:
                waiting = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it; needs PostgreSQL on 127.0.0.1:5432)")
