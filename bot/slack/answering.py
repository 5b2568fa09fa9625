"""Slack's 3 seconds, whatever the load. A request's work gets a budget well under them to
answer in the acknowledgement; past it, the acknowledgement goes out empty and the work
carries on, its answer queued in the outbox for the request's response_url. The request's
Deadline (handlers.deadline) makes that choice once, with the core.

Two things keep that promise under a burst and through a crash:
- At most `most_running` requests work at once. A request arriving when they are all busy
  is acknowledged empty at once and waits its turn: a loop crowded with work would delay
  every acknowledgement, the cheap ones too.
- A request acknowledged before its work was done is first kept in the database
  (handlers.carried): killed before that work commits, the bot runs it again on restart,
  because Slack, told "done", never sends it again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import structlog
from slack_bolt.async_app import AsyncRespond

from bot.keeper import Keeper
from bot.repeats import Repeats
from bot.slack.failures import apologise, log_failure
from handlers import carried
from handlers.carried import Inbound, Kind
from handlers.context import Deps
from handlers.deadline import Deadline
from handlers.views import MessageView

log = structlog.get_logger("mentorbot.slack")
T = TypeVar("T")
# Slack shows "failed" after 3 s; the rest is for keeping the request, the network and
# Slack's own side.
BUDGET_SECONDS = 2.0
# Keeping a request is one small insert; a database too busy to take it within this long
# must not cost the acknowledgement: the work then carries on unkept (and this is logged).
KEEP_SECONDS = 0.4
MOST_RUNNING = 16
# Work that waited its turn gives way to acknowledgements for at most this long: under a
# burst the loop acknowledges everyone first, but steady traffic never starves the work.
YIELD_SECONDS = 2.0
# When the request reached the bot (time.monotonic()), in Bolt's context: the budget counts
# from there, so time spent before the listener (reading the body, Bolt's checks, a first
# auth.test) comes out of it. Without it (Socket Mode), from the listener's start.
ARRIVED = "mentorbot_arrived"


class Answering:
    def __init__(self, budget: float = BUDGET_SECONDS, most_running: int = MOST_RUNNING) -> None:
        self.budget = budget
        self.turns = asyncio.Semaphore(most_running)
        self._carrying_on: set[asyncio.Task[Any]] = set()
        self.repeats = Repeats()
        self._flushing: asyncio.Future[None] | None = None
        self._keeper: Keeper | None = None
        # Requests read but not yet acknowledged (the HTTP edge counts them): work that
        # waited its turn starts only when none are, or after YIELD_SECONDS.
        self.arriving = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def answer(
        self,
        deps: Deps,
        inbound: Inbound,
        deadline: Deadline | None,
        *,
        listener: str,
        context: Mapping[str, Any] | None = None,
        respond: AsyncRespond | None = None,
    ) -> MessageView | None:
        """The request's answer for its acknowledgement, or None: acknowledge empty (the
        answer, if any, follows through the outbox)."""
        request = _request_kind(inbound)
        if self.turns.locked() and _can_wait(inbound, deadline):
            await self._keep(deps, inbound)
            self._later(self._in_turn(deps, inbound, deadline, listener, request, respond))
            return None
        return await self.within_budget(
            self._work_in_turn(deps, inbound, deadline),
            deadline,
            listener=listener,
            request=request,
            context=context,
            respond=respond,
            keep=lambda: self._keep(deps, inbound),
            forget=lambda: carried.forget(deps, inbound.key),
        )

    async def within_budget(
        self,
        work: Awaitable[T],
        deadline: Deadline | None,
        *,
        listener: str,
        request: str,
        context: Mapping[str, Any] | None = None,
        respond: AsyncRespond | None = None,
        keep: Callable[[], Awaitable[None]] | None = None,
        forget: Callable[[], Awaitable[None]] | None = None,
    ) -> T | None:
        """What `work` returns, if within the budget (or if the core has just chosen to
        answer inline, moments before its commit); else None at the budget, and `work`
        carries on (kept first with `keep`, and `forget` when done). Failing before then,
        it raises here (Bolt's error handler answers); failing after, it is logged as a
        listener's failure would be, and apologised for through `respond`."""
        carried_on = False

        async def guarded() -> T | None:
            try:
                result = await work
            except Exception as error:
                if not carried_on:
                    raise
                await _failed_after_the_ack(error, listener, request, respond)
                result = None
            # Done (or failed and apologised for): no longer kept. Cancelled (the process
            # stopping), it stays kept, to be run again.
            if carried_on and forget is not None:
                await _quietly(forget())
            return result

        task = asyncio.ensure_future(guarded())
        await asyncio.wait({task}, timeout=self._left(context))
        if task.done():
            return task.result()
        if deadline is not None and not deadline.mark_late():
            return await task  # the core took the inline path: its commit is under way
        carried_on = True
        self._later(task)
        if keep is not None:
            await keep()
        return None

    async def _work_in_turn(
        self, deps: Deps, inbound: Inbound, deadline: Deadline | None
    ) -> MessageView | None:
        """The work holds its turn until done, past the acknowledgement too."""
        async with self.turns:
            return await carried.run(deps, inbound, deadline)

    async def _in_turn(
        self,
        deps: Deps,
        inbound: Inbound,
        deadline: Deadline | None,
        listener: str,
        request: str,
        respond: AsyncRespond | None,
    ) -> None:
        """A request acknowledged while every turn was taken: its work, when one frees
        and no acknowledgement is waiting for the loop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), YIELD_SECONDS)
        async with self.turns:
            try:
                await carried.run(deps, inbound, deadline)
            except Exception as error:
                await _failed_after_the_ack(error, listener, request, respond)
            await _quietly(carried.forget(deps, inbound.key))

    async def _keep(self, deps: Deps, inbound: Inbound) -> None:
        try:
            if self._keeper is None:
                self._keeper = Keeper(deps)
            await asyncio.wait_for(self._keeper.keep(inbound), KEEP_SECONDS)
        except Exception as error:  # a crash now would lose it: say so, once a window
            self.repeats.note("carried_request_not_kept", error=type(error).__name__)
            if self._flushing is None:
                self._flushing = asyncio.ensure_future(self.repeats.flush_every_window())

    @contextlib.contextmanager
    def acknowledging(self) -> Iterator[None]:
        """Around a request from its arrival to its acknowledgement."""
        self.arriving += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self.arriving -= 1
            if not self.arriving:
                self._quiet.set()

    def _later(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._carrying_on.add(task)
        task.add_done_callback(self._carrying_on.discard)

    def _left(self, context: Mapping[str, Any] | None) -> float:
        arrived = (context or {}).get(ARRIVED)
        if not isinstance(arrived, float):
            return self.budget
        return max(0.0, self.budget - (time.monotonic() - arrived))

    async def finish(self, timeout: float | None = None) -> None:
        """Wait for the work that carried on past its acknowledgement (when stopping)."""
        if self._carrying_on:
            await asyncio.wait(set(self._carrying_on), timeout=timeout)
        if self._flushing is not None:
            self._flushing.cancel()  # flushes what it counted on the way out
            self._flushing = None


def _can_wait(inbound: Inbound, deadline: Deadline | None) -> bool:
    """A DM is answered through the outbox anyway; a command or a click only if it has a
    response_url to answer through (then its deadline is marked late here)."""
    if inbound.kind is Kind.DIRECT:
        return True
    return deadline is not None and (deadline.late or deadline.mark_late())


def _request_kind(inbound: Inbound) -> str:
    return {Kind.TEXT: "command", Kind.CLICK: "block_actions", Kind.DIRECT: "event:message"}[
        inbound.kind
    ]


async def _failed_after_the_ack(
    error: Exception, listener: str, request: str, respond: AsyncRespond | None
) -> None:
    """Logged as a listener's failure would be (Bolt's handler has answered already), and
    apologised for through the request's response_url."""
    log_failure(error, listener=listener, request=request)
    if respond is not None:
        await apologise(respond)


async def _quietly(step: Awaitable[None]) -> None:
    """Forgetting a kept request is tidying: failing, the sweep finds its work done."""
    try:
        await step
    except Exception as error:
        log.warning("carried_request_not_forgotten", error=type(error).__name__)
