"""Two managers clicking at once: one change wins, the other is told who made it. The
first click is held between reading the concern and changing it while the second runs
to the end, which is the order that broke when the change did not check the state."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from bot.console.session import DEMO_SETUP
from handlers import concerns
from handlers.concerns import actions
from handlers.context import Caller
from handlers.router import handle_action
from storage.models import AuditEntry, Concern, Person


@pytest.fixture
def held_first_read(monkeypatch):
    """The first click to read its concern waits there until `release` is set."""
    read = actions._concern_for_manager
    release, reads = asyncio.Event(), []

    async def held(ctx, concern_id):
        concern = await read(ctx, concern_id)
        reads.append(concern_id)
        if len(reads) == 1:
            await release.wait()
        return concern

    monkeypatch.setattr(actions, "_concern_for_manager", held)
    return release, reads


async def _race(console, held_first_read, first: tuple[str, str], second: tuple[str, str]):
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena")])
    await console.say("sam", 'concern other "words"')
    deps, (release, reads) = console.session.deps, held_first_read

    async def click(who: str, action: str):
        return await handle_action(deps, Caller("console", who), action, "1")

    async def after_the_first_read(who: str, action: str):
        while not reads:
            await asyncio.sleep(0)  # yields to the first click: no time passes
        try:
            return await click(who, action)
        finally:
            release.set()

    answers = await asyncio.gather(click(*first), after_the_first_read(*second))
    query = (
        select(AuditEntry.action, Person.display_name)
        .join(Person, Person.id == AuditEntry.actor_id)
        .where(col(AuditEntry.action).startswith("concern."))
        .order_by(AuditEntry.id)
    )
    async with deps.sessions() as session:
        concern = (await session.exec(select(Concern))).one()
        audits = [tuple(row) for row in (await session.exec(query)).all()]
    return [a.blocks[0].content[0].text for a in answers], concern, audits


async def test_a_late_acknowledge_does_not_reopen_a_resolved_concern(
    console, held_first_read
) -> None:
    answers, concern, audits = await _race(
        console, held_first_read, ("maya", concerns.ACKNOWLEDGE), ("lena", concerns.RESOLVE)
    )
    assert answers == [
        "This concern was already resolved by Lena Fischer.",
        "You marked the concern resolved.",
    ]
    assert (concern.status, concern.acknowledged_by_id) == ("resolved", None)
    assert audits == [("concern.raise.other", "Sam Carter"), ("concern.resolve", "Lena Fischer")]


async def test_of_two_acknowledges_at_once_one_wins(console, held_first_read) -> None:
    answers, concern, audits = await _race(
        console, held_first_read, ("maya", concerns.ACKNOWLEDGE), ("lena", concerns.ACKNOWLEDGE)
    )
    assert answers == [
        "This concern was already acknowledged by Lena Fischer.",
        "You acknowledged the concern. The other managers can see that you have it.",
    ]
    assert concern.status == "acknowledged"
    assert audits == [
        ("concern.raise.other", "Sam Carter"),
        ("concern.acknowledge", "Lena Fischer"),
    ]
