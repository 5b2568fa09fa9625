"""The outbox dispatcher: sends what handlers queued, and owns every retry.

A handler wakes it after commit, so a concern reaches a manager in milliseconds; the
periodic sweep wakes it too, as a safety net. A 429 waits for Retry-After, a temporary
failure backs off, a permanent one is recorded for managers to see; meanwhile the
other rows go on."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.ports import (
    Address,
    Clock,
    DeliveryError,
    Messenger,
    PermanentFailure,
    RateLimited,
    SentRef,
    TemporaryFailure,
)
from handlers.views import MessageView
from storage import outbox
from storage.db import SessionFactory, transaction
from storage.models import Identity, OutboxMessage, OutboxStatus, Person

log = structlog.get_logger("mentorbot.dispatcher")


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
class Outcome:
    status: str
    ref: SentRef | None = None
    platform: str | None = None
    recipient: Address | None = None
    retry_in: timedelta | None = None
    error: str | None = None


class Dispatcher:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        messengers: dict[str, Messenger],
        *,
        batch: int = 50,
        concurrency: int = 8,
        lease: timedelta = timedelta(minutes=2),
        backoff: Backoff = Backoff(),
        idle_wait: float = 30.0,
    ) -> None:
        self.sessions, self.clock, self.messengers = sessions, clock, messengers
        self.batch, self.lease, self.backoff, self.idle_wait = batch, lease, backoff, idle_wait
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Send every row due now, once. Returns how many rows were tried."""
        async with transaction(self.sessions) as session:
            rows = await outbox.claim_due(
                session, now=self.clock.now(), lease=self.lease, limit=self.batch
            )
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

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
        async with self.sessions() as session:
            due = await outbox.next_due_at(session)
        wait = self.idle_wait
        if due is not None:
            wait = max(0.0, min(wait, (_aware(due) - self.clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _deliver(self, row: OutboxMessage) -> None:
        async with self._limit:
            outcome = await self._attempt(row)
        await self._record(row.id, outcome)
        log.info(
            "outbox_delivery",
            row=row.id,
            key_kind=row.dedupe_key.split(":")[0],
            status=outcome.status,
            error=outcome.error,
        )

    async def _attempt(self, row: OutboxMessage) -> Outcome:
        view = MessageView.from_json(row.view)
        try:
            if row.replaces_id is not None:
                return await self._update(row, view)
            address = await self._address(row.recipient_id)
            ref = await self.messengers[address.platform].post(address, view)
            return Outcome(OutboxStatus.SENT, ref=ref, platform=address.platform, recipient=address)
        except RateLimited as error:
            return Outcome(
                OutboxStatus.PENDING,
                retry_in=timedelta(seconds=error.retry_after),
                error=error.reason,
            )
        except PermanentFailure as error:
            return Outcome(OutboxStatus.FAILED, error=error.reason)
        except (TemporaryFailure, DeliveryError) as error:
            return Outcome(
                OutboxStatus.PENDING, retry_in=self.backoff.delay(row.attempts), error=error.reason
            )
        except Exception as error:  # a bug or an unforeseen client error: retry, never drop
            log.error("outbox_unexpected_error", row=row.id, error=type(error).__name__)
            return Outcome(
                OutboxStatus.PENDING,
                retry_in=self.backoff.delay(row.attempts),
                error=f"unexpected {type(error).__name__}",
            )

    async def _update(self, row: OutboxMessage, view: MessageView) -> Outcome:
        async with self.sessions() as session:
            original = await session.get(OutboxMessage, row.replaces_id)
        assert original is not None
        if original.status == OutboxStatus.PENDING:  # not sent yet: update after it is
            return Outcome(OutboxStatus.PENDING, retry_in=timedelta(seconds=1))
        if original.status != OutboxStatus.SENT or original.platform not in self.messengers:
            return Outcome(outbox.SUPERSEDED, error="the original message was not delivered")
        ref = await self.messengers[original.platform].update(original.sent_ref or {}, view)
        return Outcome(OutboxStatus.SENT, ref=ref, platform=original.platform)

    async def _address(self, person_id: int) -> Address:
        """The identity the person used last, on a platform this process can reach."""
        async with self.sessions() as session:
            person = await session.get(Person, person_id)
            query = select(Identity).where(Identity.person_id == person_id)
            identities = list((await session.exec(query)).all())
        last_used = person.last_identity_id if person else None
        identities.sort(
            key=lambda i: (
                i.id == last_used,
                _aware(i.last_seen_at) or datetime.min.replace(tzinfo=UTC),
            ),
            reverse=True,
        )
        for identity in identities:
            if identity.platform in self.messengers:
                return Address(
                    identity.platform,
                    identity.external_id,
                    identity.workspace_id,
                    identity.address or {},
                )
        platforms = ", ".join(sorted({i.platform for i in identities})) or "none"
        raise PermanentFailure(f"not reachable on a connected platform (known on: {platforms})")

    async def _record(self, row_id: int | None, outcome: Outcome) -> None:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            row = await session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.claimed_until = outcome.status, None
            row.last_error = outcome.error
            if outcome.status == OutboxStatus.SENT:
                row.sent_at, row.sent_ref, row.platform = now, outcome.ref, outcome.platform
                await _keep_new_address(session, outcome)
            if outcome.retry_in is not None:
                row.next_attempt_at = now + outcome.retry_in
            session.add(row)


async def _keep_new_address(session: AsyncSession, outcome: Outcome) -> None:
    """A messenger that had to open a conversation (Teams) returns how to reach the person
    from now on: keep it, so the next message continues that conversation."""
    new_address = (outcome.ref or {}).get("address")
    recipient = outcome.recipient
    if not new_address or recipient is None:
        return
    query = select(Identity).where(
        Identity.platform == recipient.platform, Identity.external_id == recipient.external_id
    )
    identity = (await session.exec(query)).first()
    if identity is not None:
        identity.address = new_address
        session.add(identity)


def _aware(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)  # SQLite returns naive datetimes; all of ours are UTC
    return at


__all__ = ["Backoff", "Dispatcher"]
