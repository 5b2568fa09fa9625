"""What the load benchmark watches on one database: the fake Slack's log (response_url
posts, DMs), the concern rows, and the CPU of the process under test."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import aiohttp
from children import Child
from people import MANAGERS
from report import ANSWER_WINDOW, Burst
from slash import Command, Outcome, burst
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

SETTLE_WITHIN = 60.0  # how long the work one burst caused may take to finish
QUIET = 0.5  # a process using under IDLE CPU over this many seconds has finished
IDLE = 0.02


class Scene:
    def __init__(self, fake: Child, log_url: str, bot: Child, engine: AsyncEngine) -> None:
        self.fake, self.log_url, self.bot, self.engine = fake, log_url, bot, engine
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def close(self) -> None:
        await self.http.close()

    async def log(self) -> dict:
        async with self.http.get(self.log_url) as response:
            return await response.json()

    async def manager_dms(self) -> int:
        posts = (await self.log())["posts"]
        return sum(posts.get(manager, 0) for manager in MANAGERS)

    async def all_dms(self) -> int:
        return sum((await self.log())["posts"].values())

    async def concerns(self, tag: str) -> Counter[str]:
        """Rows per words, of the concerns whose words start with `tag`."""
        query = text("SELECT words FROM concern WHERE words LIKE :p")
        async with self.engine.connect() as conn:
            return Counter((await conn.execute(query, {"p": f"{tag} %"})).scalars())

    async def measure(self, target: Child, commands: list[Command]) -> Burst:
        """One burst at `target`, and everything it caused, once it is done."""
        dms_before = await self.manager_dms()
        cpu_before = target.cpu_seconds()
        url = f"{target.url}/slack/events"
        outcomes = await burst(url, commands, self.fake.url, ANSWER_WINDOW)
        await self._until_answered(outcomes)
        result = Burst(target.name, outcomes)
        concerns = [c for c in commands if c.text.startswith("concern")]
        if target is self.bot and concerns:
            tag = concerns[0].text.split()[2]
            # A request Bolt gave up on carries on: its concern may be raised later.
            await self.until(lambda: self._count(tag), len(concerns))
            await self.until_quiet(target)
            result.raised = await self.concerns(tag)
            result.dms_expected = result.raised.total() * len(MANAGERS)
            await self.until(self.manager_dms, dms_before + result.dms_expected)
            result.dms = await self.manager_dms() - dms_before
            last = (await self.log())["last_post"]
            result.dms_seconds = max(last.get(m, 0.0) for m in MANAGERS) - result.start
        await self.until_quiet(target)
        result.cpu_seconds = target.cpu_seconds() - cpu_before
        result.late = await self._arrivals(outcomes)  # some, maybe, after ANSWER_WINDOW
        return result

    async def _count(self, tag: str) -> int:
        return (await self.concerns(tag)).total()

    async def _arrivals(self, outcomes: list[Outcome]) -> dict[str, float]:
        """response_id → when content first reached its response_url, for each command
        not answered in its ack."""
        unanswered = {o.command.response_id for o in outcomes if not o.answered}
        arrived: dict[str, float] = {}
        for rid, at, content in (await self.log())["responses"]:
            if rid in unanswered and content:
                arrived.setdefault(rid, at)
        return arrived

    async def _until_answered(self, outcomes: list[Outcome]) -> None:
        """Until every empty ack's answer has reached the response_url, or ANSWER_WINDOW
        after the burst began."""
        promised = {o.command.response_id for o in outcomes if o.status == 200 and not o.content}
        until = min(o.started for o in outcomes) + ANSWER_WINDOW
        while promised and time.monotonic() < until:
            if promised <= (await self._arrivals(outcomes)).keys():
                return
            await asyncio.sleep(0.1)  # another process: polled, bounded by ANSWER_WINDOW

    async def until(self, count: Callable[[], Awaitable[int]], expected: int) -> None:
        """Polls `count()` until it reaches `expected`, for SETTLE_WITHIN at most."""
        give_up = time.monotonic() + SETTLE_WITHIN
        while await count() < expected and time.monotonic() < give_up:
            await asyncio.sleep(0.05)  # another process: polled, bounded

    async def until_quiet(self, target: Child) -> None:
        """Until `target` has stopped working (its CPU at rest), for SETTLE_WITHIN at most."""
        give_up = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < give_up:
            before = target.cpu_seconds()
            await asyncio.sleep(QUIET)  # another process: polled, bounded
            if target.cpu_seconds() - before < IDLE:
                return
