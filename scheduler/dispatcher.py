"""The outbox dispatcher: sends what handlers queued, and owns every retry.

A handler wakes it after commit, so a concern reaches a manager in milliseconds; the
periodic sweep wakes it too, as a safety net. A 429 pauses that platform for Retry-After,
a temporary failure backs off, a permanent one is recorded for managers to see; meanwhile
the other rows (and platforms) go on.

Several dispatchers (replicas) may share one outbox. A row is claimed with a lease, and
this dispatcher holds no more rows than it is sending, so a slow platform cannot leave
claimed rows waiting until their lease runs out and another replica sends them too. A row
whose lease has run out anyway is not sent, and an outcome is written only while the
lease is still ours, so a stale dispatcher never overwrites another's result.

Each step of a round is one transaction: write the outcomes of the sends that finished
since the last step, and claim as many rows as slots have freed. Sends that finish while
a step is being written go in the next one, so a busy round shares transactions while a
lone concern is claimed, sent and recorded without waiting for anything."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from handlers.ports import (
    Address,
    Clock,
    DeliveryError,
    Messenger,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
)
from handlers.views import MessageView
from scheduler import recipients
from scheduler.outcomes import Outcome, record
from scheduler.recipients import Original, Reply, Target
from storage import outbox
from storage.db import SessionFactory, transaction
from storage.models import OutboxMessage, OutboxStatus

log = structlog.get_logger("mentorbot.dispatcher")

UPDATE_WAIT = timedelta(seconds=1)  # an update whose original is not sent yet looks again


@dataclass(frozen=True)
class Backoff:
    first: float = 2.0
    factor: float = 2.0
    ceiling: float = 900.0  # an outage delays messages by at most this much past its end

    def delay(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.first * self.factor ** max(attempts - 1, 0), self.ceiling)
        )


@dataclass(frozen=True)
class Job:
    """A claimed row, where it goes, and the lease under which this dispatcher holds it."""

    row: OutboxMessage
    lease: datetime
    target: Target

    @property
    def platform(self) -> str | None:
        target = self.target
        return target.platform if isinstance(target, Address | Original | Reply) else None


Finished = tuple[Job, Outcome]


class Dispatcher:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        messengers: dict[str, Messenger],
        *,
        batch: int = 200,
        concurrency: int = 8,
        lease: timedelta = timedelta(minutes=2),
        backoff: Backoff = Backoff(),
        idle_wait: float = 30.0,
    ) -> None:
        self.sessions, self.clock, self.messengers = sessions, clock, messengers
        self.batch, self.concurrency = batch, concurrency  # rows per round, rows in flight
        self.lease, self.backoff, self.idle_wait = lease, backoff, idle_wait
        self._paused: dict[str, datetime] = {}  # platform → end of its Retry-After
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """One round: send what is due, claiming rows only as sending slots free up, up to
        `batch` rows. Returns how many rows were claimed."""
        claimed, exhausted = 0, False
        running: set[asyncio.Task[Finished]] = set()
        finished: list[Finished] = []
        try:
            while True:
                room = 0 if exhausted or self._all_paused() else self.concurrency - len(running)
                room = min(room, self.batch - claimed)
                jobs = await self._step(finished, room)
                claimed, exhausted = claimed + len(jobs), exhausted or len(jobs) < room
                running |= {asyncio.create_task(self._attempt(job)) for job in jobs}
                if not running:
                    return claimed
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                finished = [task.result() for task in done]
        finally:  # a failed step (the database is down) still lets the sends finish
            await asyncio.gather(*running, return_exceptions=True)

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                sent = await self.run_once()
            except Exception as error:  # the database may be down: keep the loop alive
                log.error("dispatch_round_failed", error=type(error).__name__)
                sent = 0
            if sent == 0 and not self._stopping:
                await self._sleep_until_due()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _sleep_until_due(self) -> None:
        wait = self.idle_wait
        try:
            due = await self._next_due()
        except Exception as error:  # the database may be down: look again after idle_wait
            log.error("dispatch_next_due_failed", error=type(error).__name__)
            due = None
        if due is not None:
            wait = max(0.0, min(wait, (due - self.clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _next_due(self) -> datetime | None:
        if self._all_paused():  # rows may be due, but nothing can be sent before this
            return min(self._paused[p] for p in self.messengers)
        async with self.sessions() as session:
            return await outbox.next_due_at(session)

    def _paused_until(self, platform: str | None) -> datetime | None:
        until = self._paused.get(platform or "")
        return until if until is not None and until > self.clock.now() else None

    def _all_paused(self) -> bool:
        return bool(self.messengers) and all(self._paused_until(p) for p in self.messengers)

    async def _step(self, finished: list[Finished], room: int) -> list[Job]:
        """One transaction: record what finished, then claim up to `room` rows (after the
        records, so an update sees an original that was sent a moment ago)."""
        if not finished and room <= 0:
            return []
        # Rows in id order: two dispatchers' transactions lock rows in the same order, so a
        # stale one waiting on a row cannot deadlock with the row's current holder.
        finished = sorted(finished, key=lambda done: done[0].row.id or 0)
        async with transaction(self.sessions) as session:
            held = [
                await record(session, job.row.id, job.lease, outcome)  # type: ignore[arg-type]
                for job, outcome in finished
            ]
            now, rows, found = self.clock.now(), [], {}
            if room > 0:
                rows = await outbox.claim_due(session, now=now, lease=self.lease, limit=room)
            if rows:
                found = await recipients.targets(session, rows, self.messengers)
        for (job, outcome), was_held in zip(finished, held, strict=True):
            _log(job, outcome, was_held)
        return [Job(row, now + self.lease, found[row.id]) for row in rows]  # type: ignore[index]

    async def _attempt(self, job: Job) -> Finished:
        """Never raises: whatever happens becomes an outcome to record."""
        return job, await self._outcome(job)

    async def _outcome(self, job: Job) -> Outcome:
        # Stop sending well before the lease ends, so the outcome is ours to write.
        budget = (job.lease - self.clock.now() - self.lease / 10).total_seconds()
        if budget <= 0:  # held up before its turn: whoever claims it next sends it
            return self._untried(self.clock.now())
        if isinstance(job.target, Original) and job.target.status == OutboxStatus.PENDING:
            return self._untried(self.clock.now() + UPDATE_WAIT)  # update once it is sent
        paused_until = self._paused_until(job.platform)
        if paused_until is not None:
            return self._untried(paused_until)
        try:
            async with asyncio.timeout(budget):
                return await self._send(job)
        except RateLimited as error:
            return self._rate_limited(job, error)
        except PermanentFailure as error:
            return Outcome(OutboxStatus.FAILED, self.clock.now(), error=error.reason)
        except (TemporaryFailure, DeliveryError) as error:
            return self._retry_later(job, error.reason)
        except TimeoutError:
            return self._retry_later(job, "no answer before the claim ran out")
        except Exception as error:  # a bug or an unforeseen client error: retry, never drop
            log.error("outbox_unexpected_error", row=job.row.id, error=type(error).__name__)
            return self._retry_later(job, f"unexpected {type(error).__name__}")

    async def _send(self, job: Job) -> Outcome:
        view = MessageView.from_json(job.row.view)
        target = job.target
        if isinstance(target, PermanentFailure):
            raise target
        if isinstance(target, Address):
            ref = await self.messengers[target.platform].post(target, view)
            return Outcome(
                OutboxStatus.SENT, self.clock.now(), ref, target.platform, recipient=target
            )
        if isinstance(target, Reply):
            ref = await self.messengers[target.platform].reply(target.reply_to, view)
            return Outcome(OutboxStatus.SENT, self.clock.now(), ref, target.platform)
        if target.status != OutboxStatus.SENT or target.platform not in self.messengers:
            return Outcome(
                outbox.SUPERSEDED, self.clock.now(), error="the original message was not delivered"
            )
        ref = await self.messengers[target.platform].update(target.sent_ref or {}, view)
        return Outcome(OutboxStatus.SENT, self.clock.now(), ref, target.platform)

    def _rate_limited(self, job: Job, error: RateLimited) -> Outcome:
        """The platform said slow down: to every row bound for it, not just this one."""
        now = self.clock.now()
        retry_at = now + timedelta(seconds=error.retry_after)
        if job.platform is not None:
            self._paused[job.platform] = max(retry_at, self._paused.get(job.platform, now))
        return Outcome(OutboxStatus.PENDING, now, retry_at=retry_at, error=error.reason)

    def _retry_later(self, job: Job, reason: str) -> Outcome:
        now = self.clock.now()
        retry_at = now + self.backoff.delay(job.row.attempts)
        return Outcome(OutboxStatus.PENDING, now, retry_at=retry_at, error=reason)

    def _untried(self, due_at: datetime) -> Outcome:
        return Outcome(OutboxStatus.PENDING, self.clock.now(), retry_at=due_at, attempted=False)


def _log(job: Job, outcome: Outcome, held: bool) -> None:
    if not held:  # the lease ran out and another dispatcher took the row: its result stands
        log.warning("outbox_lease_lost", row=job.row.id, status=outcome.status)
    log.info(
        "outbox_delivery",
        row=job.row.id,
        subject=job.row.subject,
        status=outcome.status,
        attempted=outcome.attempted,
        error=outcome.error,
    )


__all__ = ["Backoff", "Dispatcher"]
