"""The interactive console as `mentorbot` builds it (bot/console/run.py's own runtime, not
the test fixture): DMs print in the order they were queued, so `press N` always means the
same button."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.run import _session
from bot.console.session import DEMO_SETUP
from bot.settings import Settings
from storage import db

SCRIPT = [
    *DEMO_SETUP,
    ("maya", "managers add @lena"),
    ("maya", "managers add @priya"),
    ("maya", "enrol @priya mentor confirm"),  # Priya is a mentee too
    ("maya", "pair @priya @sam confirm"),  # Priya manages; Sam has a mentor
    ("omar", "concern conduct @sam He shouted"),
]
EXPECTED = [
    "📨 DM to @omar",  # the demo's briefings: buttons 1 to 4
    "📨 DM to @lena",
    "📨 DM to @sam",
    "📨 DM to @priya",
    "📨 DM to @omar",  # the demo's greetings
    "📨 DM to @sam",
    "📨 DM to @priya",  # Priya's briefing as a mentor: button 5
    "📨 DM to @priya",
    "📨 DM to @sam",
    "📨 DM to @lena",
    "[6: Acknowledge]  [7: Resolve]",
    "📨 DM to @maya",
    "[8: Acknowledge]  [9: Resolve]",
    "📨 DM to @priya",
    "[10: Acknowledge]  [11: Resolve]",
]


async def _played(engine: AsyncEngine) -> list[str]:
    session = _session(Settings(_env_file=None), engine)  # type: ignore[call-arg]
    lines: list[str] = []
    session.write = session.messenger.write = lines.append
    await session.play(SCRIPT, echo=False)
    return [line.strip() for line in lines if line.startswith("📨") or "Acknowledge]" in line]


async def test_dms_and_button_numbers_follow_the_order_they_were_queued(tmp_path) -> None:
    for attempt in range(5):  # a race shows up as a different order on some attempts
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / f'order{attempt}.db'}")
        await db.create_all(engine)
        try:
            assert await _played(engine) == EXPECTED
        finally:
            await engine.dispose()
