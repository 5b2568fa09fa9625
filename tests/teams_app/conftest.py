"""The Teams app under test: botbuilder's CloudAdapter over real HTTP, the fake Bot Connector
behind every activity's serviceUrl."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.teams_harness import TeamsHarness, set_up_demo, teams_app

from storage.models import OutboxMessage


@pytest.fixture
async def teams(engine, clock) -> AsyncIterator[TeamsHarness]:
    async with teams_app(engine, clock) as harness:
        yield harness


@pytest.fixture
async def demo(teams: TeamsHarness) -> TeamsHarness:
    """Program "Demo": managers Ada (admin) and Max (never wrote to the bot), backup Bea;
    Omar mentors Sam. Everything is delivered: each answer, and the two greetings (in the
    dispatcher round after `pair`)."""
    await set_up_demo(teams)
    rows = await teams.rows(OutboxMessage)
    assert {r.status for r in rows} == {"sent"}
    assert len([r for r in rows if ":greeting:" in r.dedupe_key]) == 2
    return teams
