"""Slack's 3 seconds, whatever the load. A request's work gets a budget well under them to
answer in the acknowledgement; past it, the acknowledgement goes out empty and the work
carries on, its answer queued in the outbox for the request's response_url. The request's
Deadline (handlers.deadline) makes that choice once, with the core."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond

from bot.slack.failures import apologise, log_failure
from handlers.deadline import Deadline

T = TypeVar("T")
# Slack shows "failed" after 3 s; the rest is for the network and Slack's own side.
BUDGET_SECONDS = 2.0
# When the request reached the bot (time.monotonic()), in Bolt's context: the budget counts
# from there, so time spent before the listener (reading the body, Bolt's checks, a first
# auth.test) comes out of it. Without it (Socket Mode), from the listener's start.
ARRIVED = "mentorbot_arrived"


class Answering:
    def __init__(self, budget: float = BUDGET_SECONDS) -> None:
        self.budget = budget
        self._carrying_on: set[asyncio.Task[Any]] = set()

    async def within_budget(
        self,
        work: Awaitable[T],
        deadline: Deadline | None,
        *,
        listener: str,
        request: str,
        context: Mapping[str, Any] | None = None,
        respond: AsyncRespond | None = None,
    ) -> T | None:
        """What `work` returns, if within the budget (or if the core has just chosen to
        answer inline, moments before its commit); else None at the budget, and `work`
        carries on. Failing before then, it raises here (Bolt's error handler answers);
        failing after, it is logged as a listener's failure would be, and apologised
        for through `respond`."""
        carried_on = False

        async def guarded() -> T | None:
            try:
                return await work
            except Exception as error:
                if not carried_on:
                    raise
                log_failure(error, listener=listener, request=request)
                if respond is not None:
                    await apologise(respond)
                return None

        task = asyncio.ensure_future(guarded())
        await asyncio.wait({task}, timeout=self._left(context))
        if task.done():
            return task.result()
        if deadline is not None and not deadline.mark_late():
            return await task  # the core took the inline path: its commit is under way
        carried_on = True
        self._carrying_on.add(task)
        task.add_done_callback(self._carrying_on.discard)
        return None

    def _left(self, context: Mapping[str, Any] | None) -> float:
        arrived = (context or {}).get(ARRIVED)
        if not isinstance(arrived, float):
            return self.budget
        return max(0.0, self.budget - (time.monotonic() - arrived))

    async def finish(self, timeout: float | None = None) -> None:
        """Wait for the work that carried on past its acknowledgement (when stopping)."""
        if self._carrying_on:
            await asyncio.wait(set(self._carrying_on), timeout=timeout)
