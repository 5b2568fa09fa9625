"""The schedule: a few APScheduler jobs with fixed ids that sweep what is due. No job
per pair: the jobs query the tables, so a restart loses nothing."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.dispatcher import Dispatcher

OUTBOX_SWEEP_SECONDS = 30


class Schedule:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.sweep_outbox,
            IntervalTrigger(seconds=OUTBOX_SWEEP_SECONDS),
            id="outbox-sweep",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=OUTBOX_SWEEP_SECONDS,
            replace_existing=True,
        )

    async def sweep_outbox(self) -> None:
        """The safety net: a wake-up lost to a crash or another replica's commit."""
        self.dispatcher.wake()

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
