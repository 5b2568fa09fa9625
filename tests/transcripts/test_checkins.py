# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Check-ins in the console: asked on the cadence, answered privately through the form,
reminded once, updated in place; trouble raised as a concern at once; the partner never
hears a word of it."""

from __future__ import annotations

from datetime import timedelta
from textwrap import dedent

from bot.console.session import DEMO_SETUP
from handlers import due_work

DAY = 24 * 3600


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def sweep(console, clock, seconds: float) -> str:
    """Time passes; the due work sweep runs, as the schedule does every 30 s."""
    start = len(console.lines)
    clock.advance(seconds)
    await due_work.run_due(console.session.deps)
    await console.session.drain()
    return "\n".join(console.lines[start:])


async def test_explore(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    out = await sweep(console, clock, 14 * DAY)
    print(await console.say("sam", "press 2"))
    for line in ["3", "2", "We never meet", "n", "y"]:
        print(await console.say("sam", line))
    print(await console.say("sam", "press 2"))
    print(await sweep(console, clock, 3 * DAY))
    print(await console.say("omar", "press 1"))
    for line in ["1", "", "", "n", "n"]:
        print(await console.say("omar", line))
