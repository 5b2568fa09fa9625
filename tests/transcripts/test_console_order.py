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
    "📨 DM to @omar",
    "📨 DM to @sam",
    "📨 DM to @priya",
    "📨 DM to @sam",
    "📨 DM to @lena",
    "[1: Acknowledge]  [2: Resolve]",
    "📨 DM to @maya",
    "[3: Acknowledge]  [4: Resolve]",
    "📨 DM to @priya",
    "[5: Acknowledge]  [6: Resolve]",
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
