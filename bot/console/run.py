"""`mentorbot` with no platform configured: the console, on a throwaway demo database."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_runtime, open_database
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, ConsoleDirectory
from bot.console.session import DEMO_SETUP, TOUR, ConsoleSession, interactive
from bot.settings import Settings


async def run_console(settings: Settings, *, tour: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="mentorbot-demo-") as folder:
        engine = await open_database(f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}")
        try:
            session = _session(settings, engine)
            if tour:
                session.write("mentorbot console tour: a program from scratch to a concern.")
                await session.play(TOUR)
            else:
                await _quietly(session, lambda: session.play(DEMO_SETUP, echo=False))
                session.write(
                    "Demo program “Demo Mentoring”: manager @maya, mentors @omar and "
                    "@lena, mentees @sam and @priya; @omar mentors @sam."
                )
                await interactive(session)
        finally:
            await engine.dispose()


def _session(settings: Settings, engine: AsyncEngine) -> ConsoleSession:
    messenger = ConsoleMessenger()
    runtime = build_runtime(
        settings,
        engine,
        {PLATFORM: messenger},
        directories={PLATFORM: ConsoleDirectory()},
        open_platforms=frozenset({PLATFORM}),
        routine_waits=False,  # the console delivers at once, at any hour
        sends_at_once=1,  # DMs print, and their buttons are numbered, in the order queued
    )
    return ConsoleSession(runtime.deps, messenger, runtime.dispatcher)


async def _quietly(session: ConsoleSession, action: Callable[[], Awaitable[None]]) -> None:
    write = session.write
    session.write = session.messenger.write = lambda _line: None
    try:
        await action()
    finally:
        session.write = session.messenger.write = write
