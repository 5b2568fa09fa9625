"""The load benchmark: SIZE signed slash commands at once (a mix of help / status /
concern, then each alone) against ONE `mentorbot` process, on one database, next to a
bare Bolt app in its own process answering the same content to the same burst.

The bot talks to the fake Slack (its own process), which also serves the response_url of
every command: an ack that comes back empty counts as answered only when the answer
arrives there. The bot's CPU is read from /proc before each burst and after it, once
the work the burst caused (late commits, concern DMs to the managers) is done."""

from __future__ import annotations

import asyncio
import json
import tempfile
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from children import Child, start_bare_bolt, start_bot, start_fake_slack
from people import ADMIN, EVERYONE, MANAGERS, MEMBERS, PAIRS, setup_steps
from report import ANSWER_WINDOW, LEGEND, print_goal, print_scenario
from scene import Scene
from slash import Command, burst, one
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage import db
from storage.models import Membership

SCENARIOS = ("mix", "help", "status", "concern")
KINDS = ("help", "status", "concern")
SETUP_AT_ONCE = 10
GOAL_ROUNDS = 3  # help's bursts, for the ratio its goal is about


def commands_for(scenario: str, size: int, tag: str) -> list[Command]:
    """help from anyone, status from a manager (the heaviest answer), concerns from pair
    members; each concern's words unique, so that its rows can be counted."""
    made = []
    for i in range(size):
        kind = KINDS[i % 3] if scenario == "mix" else scenario
        if kind == "help":
            user, words = EVERYONE[i % len(EVERYONE)], "help"
        elif kind == "status":
            user, words = MANAGERS[i % len(MANAGERS)], "status"
        else:
            user, words = MEMBERS[i % len(MEMBERS)], f"concern missed-meeting {tag} {i}"
        made.append(Command(user, words, response_id=f"{tag}-{i}"))
    return made


async def run(database_url: str, label: str, size: int) -> None:
    print(
        f"\nload: {size} signed /mentoring commands at once against one mentorbot process "
        f"({label}), and against a bare Bolt app answering the same content"
    )
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if database_url == "sqlite":
            database_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        engine = await fresh_database(database_url)
        stack.push_async_callback(engine.dispose)
        fake, log_url = await start_fake_slack(stack, folder)
        answers = folder / "answers.json"
        bot, bare = await asyncio.gather(
            start_bot(stack, folder, database_url, fake.api_url),
            start_bare_bolt(stack, folder, fake.api_url, answers),
        )
        scene = Scene(fake, log_url, bot, engine)
        stack.push_async_callback(scene.close)
        try:
            answers.write_text(json.dumps(await seed(scene)))
            await play(scene, bare, size, label)
        except BaseException:
            print(f"mentorbot's log ends:\n{bot.tail()}")
            raise


async def play(scene: Scene, bare: Child, size: int, label: str) -> None:
    print(LEGEND)
    for target in (bare, scene.bot):  # not counted: connections, caches and pools warm up
        await burst(
            f"{target.url}/slack/events",
            commands_for("status", size, "warm-up"),
            scene.fake.url,
            ANSWER_WINDOW,
        )
    tag = label.split()[0].lower()
    for scenario in SCENARIOS:
        commands = commands_for(scenario, size, f"{tag}-{scenario}")
        bare_result = await scene.measure(bare, commands)
        ours = await scene.measure(scene.bot, commands)
        print_scenario(scenario, commands, ours, bare_result)
        if scenario == "help":
            ratios = [ours.p99() / bare_result.p99()]
            for _ in range(GOAL_ROUNDS - 1):
                bare_p99 = (await scene.measure(bare, commands)).p99()
                ratios.append((await scene.measure(scene.bot, commands)).p99() / bare_p99)
            print_goal(ratios)


async def seed(scene: Scene) -> dict[str, dict]:
    """The program, its managers and pairs, made by signed commands as a manager would
    (a step's commands ten at a time); then mentorbot's answers to help, status and a
    concern, for the bare app to give."""
    url = f"{scene.bot.url}/slack/events"
    steps = setup_steps()
    for number, step in enumerate(steps):
        if number == len(steps) - 1:  # pairing: an unread briefing would ask to confirm
            await briefings_read(scene.engine)
        for at in range(0, len(step), SETUP_AT_ONCE):
            chunk = [Command(user, words, "setup") for user, words in step[at : at + SETUP_AT_ONCE]]
            for reply in await burst(url, chunk, scene.fake.url, ANSWER_WINDOW):
                if reply.status != 200 or reply.sorry:
                    words = reply.command.text
                    raise RuntimeError(f"setting up failed at {words!r}: {reply.status}")
    answers = {}
    for user, words in ((ADMIN, "help"), (ADMIN, "status"), (MEMBERS[0], "concern other setup")):
        reply = await one(url, Command(user, words, "setup"), scene.fake.url)
        if not reply.content:
            raise RuntimeError(f"{words!r} at rest: not answered in the ack ({reply.status})")
        assert reply.answer is not None
        answers[words.split()[0]] = {k: reply.answer[k] for k in ("text", "blocks")}
    if f"Active pairs: {PAIRS}" not in json.dumps(answers["status"]):
        raise RuntimeError(f"setting up failed: status says {answers['status']}")
    # The pairs' greetings and the setup concern's DMs, sent before anything is measured.
    await scene.until(scene.all_dms, 2 * PAIRS + len(MANAGERS))
    return answers


async def briefings_read(engine: AsyncEngine) -> None:
    """Every member's briefing marked read, as each member's button would mark it."""
    async with engine.begin() as connection:
        await connection.execute(update(Membership).values(briefing_confirmed_at=datetime.now(UTC)))


async def fresh_database(url: str) -> AsyncEngine:
    """A migrated, empty database (PostgreSQL: everything of mentorbot's in it dropped)."""
    engine = db.create_engine(url)
    if not db.is_sqlite(url):
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await db.upgrade(engine)
    return engine
