"""The Teams app under test: botbuilder's CloudAdapter over real HTTP, the fake Bot Connector
behind every activity's serviceUrl."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.teams_harness import TeamsHarness, set_up_demo, teams_app


@pytest.fixture
async def teams(engine, clock) -> AsyncIterator[TeamsHarness]:
    async with teams_app(engine, clock) as harness:
        yield harness


@pytest.fixture
async def demo(teams: TeamsHarness) -> TeamsHarness:
    """Program "Demo": managers Ada (admin) and Max (never wrote to the bot), backup Bea;
    Omar mentors Sam. The two greetings are delivered."""
    await set_up_demo(teams)
    assert await teams.deliver() == 2
    return teams
