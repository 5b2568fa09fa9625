"""The outbox dispatcher: sends what handlers queued, and owns every retry.

A handler wakes it after commit, so a concern reaches a manager in milliseconds; the
periodic sweep wakes it too, as a safety net. A 429 pauses that platform for Retry-After
and the app being unable to send pauses it with an alarm (see platforms.py); a temporary
failure backs off, a permanent one is recorded for managers to see; meanwhile the other
rows (and platforms) go on.

A row whose last send has no known outcome (its dispatcher died, or the send got no
answer) is in doubt: it is first looked for on the platform, where the platform allows it
(Slack: message metadata), and recorded as sent if it is there.

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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from handlers.ports import (
    Address,
    AppCannotSend,
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
from scheduler.platforms import Platforms
from scheduler.recipients import Original, Reply, Target
from storage import outbox
from storage.db import SessionFactory, transaction
from storage.models import OutboxMessage, OutboxStatus

log = structlog.get_logger("mentorbot.dispatcher")

UPDATE_WAIT = timedelta(seconds=1)
# How long one platform call may take: slack_sdk's own timeout does not apply to a shared
# HTTP session, and a hung call would otherwise hold its sending slot until the lease.
SEND_SECONDS = 20.0  # an update whose original is not sent yet looks again


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
    in_doubt: bool = False  # its last send's outcome is unknown: it may have arrived

    @property
    def platform(self) -> str | None:
        target = self.target
        return target.platform if isinstance(target, Address | Original | Reply) else None


Finished = tuple[Job, Outcome]


@dataclass
class Attempt:
    """How far one try of a row got."""

    in_doubt: bool  # may the row have reached the person already?
    called: bool = False  # the platform was called
    posting: bool = False  # a new message was on its way


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
        send_timeout: float = SEND_SECONDS,
    ) -> None:
        self.sessions, self.clock, self.messengers = sessions, clock, messengers
        self.send_timeout = send_timeout
        self.batch, self.concurrency = batch, concurrency  # rows per round, rows in flight
        self.lease, self.backoff, self.idle_wait = lease, backoff, idle_wait
        self.platforms = Platforms(clock, backoff.delay)  # pauses and alarms, per platform
        self._wake = asyncio.Event()
        self._stopping = False
        # A concern's copy failed: the escalation walk should look for someone else now.
        self.on_undelivered_copy: Callable[[], None] = lambda: None

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
                paused = self.platforms.all_paused(self.messengers)
                room = 0 if exhausted or paused else self.concurrency - len(running)
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
        if self.platforms.all_paused(self.messengers):  # nothing can be sent before this
            return self.platforms.first_resumed(self.messengers)
        async with self.sessions() as session:
            return await outbox.next_due_at(session)

    async def _step(self, finished: list[Finished], room: int) -> list[Job]:
        """One transaction: record what finished, then claim up to `room` rows (after the
        records, so an update sees an original that was sent a moment ago)."""
        if not finished and room <= 0:
            return []
        # Rows in id order: two dispatchers' transactions lock rows in the same order, so a
        # stale one waiting on a row cannot deadlock with the row's current holder.
        finished = sorted(finished, key=lambda done: done[0].row.id or 0)
        async with transaction(self.sessions) as session:
            held = [await record(session, job.row, job.lease, outcome) for job, outcome in finished]
            now, claimed, found = self.clock.now(), [], {}
            if room > 0:
                claimed = await outbox.claim_due(session, now=now, lease=self.lease, limit=room)
            if claimed:
                rows = [row for row, _ in claimed]
                found = await recipients.targets(session, rows, self.messengers)
        for (job, outcome), was_held in zip(finished, held, strict=True):
            _log(job, outcome, was_held)
        if any(o.status == OutboxStatus.FAILED and j.row.concern_id for j, o in finished):
            self.on_undelivered_copy()
        return [
            Job(row, now + self.lease, found[row.id], in_doubt)  # type: ignore[index]
            for row, in_doubt in claimed
        ]

    async def _attempt(self, job: Job) -> Finished:
        """Never raises: whatever happens becomes an outcome to record."""
        return job, await self._outcome(job)

    async def _outcome(self, job: Job) -> Outcome:
        # Stop sending well before the lease ends, so the outcome is ours to write.
        budget = (job.lease - self.clock.now() - self.lease / 10).total_seconds()
        if budget <= 0:  # held up before its turn: whoever claims it next sends it
            return self._untried(job, self.clock.now())
        if isinstance(job.target, Original) and job.target.status == OutboxStatus.PENDING:
            return self._untried(job, self.clock.now() + UPDATE_WAIT)  # update once it is sent
        attempt = Attempt(job.in_doubt)
        try:
            async with asyncio.timeout(budget), self.platforms.turn(job.platform) as turn:
                if turn.paused_until is not None:
                    return self._untried(job, turn.paused_until)
                # A hung call must not hold a sending slot (a concern may be waiting for
                # it) until the lease: given up, it is looked up before it is sent again.
                async with asyncio.timeout(self.send_timeout):
                    outcome = await self._deliver(job, attempt)
                if outcome.status == OutboxStatus.SENT and job.platform is not None:
                    self.platforms.delivered(job.platform, turn)
        except RateLimited as error:
            outcome = self._retry_later(job, error.reason, timedelta(seconds=error.retry_after))
        except AppCannotSend as error:  # the platform is paused: the row waits it out
            until = self.platforms.paused_until(job.platform) or self.clock.now()
            outcome = self._retry_later(job, error.reason, until - self.clock.now())
        except PermanentFailure as error:
            return Outcome(OutboxStatus.FAILED, self.clock.now(), error=error.reason)
        except (TemporaryFailure, DeliveryError) as error:
            maybe_sent = isinstance(error, TemporaryFailure) and error.maybe_sent
            attempt.in_doubt |= attempt.posting and maybe_sent
            outcome = self._retry_later(job, error.reason)
        except TimeoutError:
            if not attempt.called:  # it waited its turn for too long: never tried
                return self._untried(job, self.clock.now())
            attempt.in_doubt |= attempt.posting
            outcome = self._retry_later(job, "no answer in time")
        except Exception as error:  # a bug or an unforeseen client error: retry, never drop
            log.error("outbox_unexpected_error", row=job.row.id, error=type(error).__name__)
            attempt.in_doubt |= attempt.posting
            outcome = self._retry_later(job, f"unexpected {type(error).__name__}")
        in_doubt = attempt.in_doubt and outcome.status == OutboxStatus.PENDING
        return replace(outcome, in_doubt=in_doubt)

    async def _deliver(self, job: Job, attempt: Attempt) -> Outcome:
        """A row in doubt is looked for first; a row not found (or not in doubt) is sent."""
        attempt.called = True
        target = job.target
        if attempt.in_doubt and isinstance(target, Address):
            messenger = self.messengers[target.platform]
            ref = await messenger.find_sent(target, job.row.id, job.row.created_at)  # type: ignore[arg-type]
            log.info("outbox_doubt_settled", row=job.row.id, found=ref is not None)
            if ref is not None:  # it did arrive: recorded as sent, never sent twice
                now = self.clock.now()
                return Outcome(OutboxStatus.SENT, now, ref, target.platform, recipient=target)
            attempt.in_doubt = False  # it never arrived
        attempt.posting = isinstance(target, Address)
        return await self._send(job)

    async def _send(self, job: Job) -> Outcome:
        view = MessageView.from_json(job.row.view)
        target = job.target
        if isinstance(target, PermanentFailure):
            raise target
        if isinstance(target, Address):
            ref = await self.messengers[target.platform].post(target, view, outbox_id=job.row.id)
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

    def _retry_later(self, job: Job, reason: str, wait: timedelta | None = None) -> Outcome:
        """Pending again, after `wait` (by default, the row's backoff)."""
        now = self.clock.now()
        retry_at = now + (wait if wait is not None else self.backoff.delay(job.row.attempts))
        return Outcome(OutboxStatus.PENDING, now, retry_at=retry_at, error=reason)

    def _untried(self, job: Job, due_at: datetime) -> Outcome:
        return Outcome(
            OutboxStatus.PENDING,
            self.clock.now(),
            retry_at=due_at,
            attempted=False,
            in_doubt=job.in_doubt,  # nothing was learnt about it
        )


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
