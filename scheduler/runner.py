"""The schedule: a few APScheduler jobs with fixed ids that sweep what is due. No job
per pair: the jobs query the tables, so a restart loses nothing. Every replica runs them:
due items are claimed with FOR UPDATE SKIP LOCKED (storage/due.py), so each is done by
exactly one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

import handlers.briefings  # registers its due kinds with run_due
import handlers.checkins.prompts
import handlers.escalation.walk  # noqa: F401  (registers the check-ins' and escalation's due work)
from handlers import carried
from handlers.context import Deps
from handlers.due_work import run_due
from scheduler.dispatcher import Dispatcher
from storage.pruning import prune_requests

log = structlog.get_logger("mentorbot.schedule")
OUTBOX_SWEEP_SECONDS = 30
# A due item is done within this long of falling due (and the outbox then sends it).
DUE_SWEEP_SECONDS = 30
# Requests acknowledged and then left undone by a process that died are run again within
# this long of their lease running out (handlers/carried.py).
CARRIED_SWEEP_SECONDS = 15
PRUNE_SECONDS = 3600


class Schedule:
    def __init__(self, dispatcher: Dispatcher, deps: Deps) -> None:
        self.dispatcher, self.deps = dispatcher, deps
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._every(self.sweep_outbox, "outbox-sweep", OUTBOX_SWEEP_SECONDS)
        self._every(self.sweep_due, "due-sweep", DUE_SWEEP_SECONDS)
        self._every(self.sweep_carried, "carried-sweep", CARRIED_SWEEP_SECONDS)
        self._every(self.prune, "prune", PRUNE_SECONDS)

    def _every(self, job: object, job_id: str, seconds: int) -> None:
        self.scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds),
            id=job_id,
            coalesce=True,  # a sweep missed while the process was busy runs once, not many
            max_instances=1,
            misfire_grace_time=seconds,
            replace_existing=True,
        )

    async def sweep_outbox(self) -> None:
        """The safety net: a wake-up lost to a crash or another replica's commit."""
        self.dispatcher.wake()

    def sweep_due_now(self) -> None:
        """Run the due sweep at once rather than at its next interval (a concern's copy
        failed, and the escalation walk should tell someone else without waiting)."""
        self.scheduler.modify_job("due-sweep", next_run_time=datetime.now(UTC))

    async def sweep_due(self) -> None:
        await _sweep("due_sweep", lambda: run_due(self.deps))

    async def sweep_carried(self) -> None:
        await _sweep("carried_sweep", lambda: carried.run_left_behind(self.deps))

    async def prune(self) -> None:
        await _sweep("prune", self._prune_requests)

    async def _prune_requests(self) -> int:
        async with self.deps.sessions() as session, session.begin():
            return await prune_requests(session, now=self.deps.clock.now())

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)


async def _sweep(name: str, work: Callable[[], Awaitable[int]]) -> None:
    """One run of a sweep, logged with how much it did. Failing (the database may be
    down) is logged too, and the next run tries again."""
    try:
        done = await work()
    except Exception as error:
        log.error(f"{name}_failed", error=type(error).__name__)
        return
    if done:
        log.info(name, done=done)
