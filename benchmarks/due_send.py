"""A check-in round for ROUND_PAIRS pairs, all due at once: enqueued by the production due
sweep in a child process (benchmarks/due_round.py: its peak RSS, goal under 300 MB), then
sent by the dispatcher built as `mentorbot` builds it (bot.app.build_runtime: 8 sends at
once, the real slack_sdk client on one pooled HTTP session) to the fake Slack in its own
process, which answers chat.postMessage at once and never rate-limits: how long the round
takes to leave, in messages per second, and whether this process's CPU was the limit."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
from children import HERE, _die_with_parent, _env, start_fake_slack
from due_round import RunningClock, main_thread_seconds
from due_seed import finish_seeding, seed_pairs, seed_program
from due_sweep import MONDAY_10
from load import fresh_database
from people import BOT_TOKEN
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_runtime
from bot.settings import Settings
from bot.slack.app import build_client, build_edge
from storage.models import OutboxMessage, OutboxStatus

ROUND_PAIRS = 10_000
ENQUEUE_SECONDS = 1_800.0  # the child is killed past this
_by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)


@dataclass
class Round:
    pairs: int
    enqueued: dict[str, float]  # the child's report (due_round.py)
    sent: int = 0
    send_seconds: float = 0.0
    send_cpu: float = 0.0  # this process: dispatcher, slack_sdk client, database driver
    loop_ran: float = 0.0  # the event loop's thread on a CPU
    loop_waited: float = 0.0  # the event loop's thread ready to run, waiting for a CPU
    fake_cpu: float = 0.0  # the fake Slack's process
    arrived: int = 0  # chat.postMessage calls the fake Slack received

    @property
    def per_second(self) -> float:
        return self.sent / self.send_seconds if self.send_seconds else 0.0


async def measure(url: str, pairs: int = ROUND_PAIRS) -> Round:
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if url == "sqlite":
            url = f"sqlite+aiosqlite:///{folder / 'round.db'}"
        engine = await fresh_database(url)
        stack.push_async_callback(engine.dispose)
        await seed_program(engine, MONDAY_10)
        await seed_pairs(engine, 1, pairs, now=MONDAY_10, due_at=MONDAY_10)
        await finish_seeding(engine)
        result = Round(pairs, await _enqueue_in_child(url))
        fake, log_url = await start_fake_slack(stack, folder)
        await _send(engine, fake.api_url, result)
        result.fake_cpu = fake.cpu_seconds()
        result.arrived = await _posts(log_url)
        return result


async def _enqueue_in_child(url: str) -> dict[str, float]:
    argv = [sys.executable, str(HERE / "due_round.py"), url, MONDAY_10.isoformat()]
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), ENQUEUE_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"due_round.py failed:\n{err.decode(errors='replace')[-3000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


async def _send(engine: AsyncEngine, api_url: str, result: Round) -> None:
    """The dispatcher's rounds until nothing is left to send (each round claims up to its
    batch as sending slots free up, as run_forever's rounds do)."""
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=api_url)  # type: ignore[call-arg]
    async with aiohttp.ClientSession() as http:  # as serve() gives the bot one pool
        edge = build_edge(settings, build_client(settings, http))
        # The clock where the sweep left it: every prompt is due.
        clock = RunningClock(MONDAY_10 + timedelta(seconds=result.enqueued["seconds"] + 1))
        runtime = build_runtime(settings, engine, {"slack": edge.messenger}, clock=clock)
        began, cpu, (ran, waited) = time.perf_counter(), time.process_time(), main_thread_seconds()
        while await runtime.dispatcher.run_once():
            pass
        result.send_seconds = time.perf_counter() - began
        result.send_cpu = time.process_time() - cpu
        ran_after, waited_after = main_thread_seconds()
        result.loop_ran, result.loop_waited = ran_after - ran, waited_after - waited
    async with engine.connect() as conn:
        by_status = dict((await conn.execute(_by_status)).all())
    result.sent = by_status.pop(OutboxStatus.SENT, 0)
    if by_status:
        raise RuntimeError(f"outbox rows not sent: {by_status}")


async def _posts(log_url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(log_url) as response:
        return sum((await response.json())["posts"].values())
