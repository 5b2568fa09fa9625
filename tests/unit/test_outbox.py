"""storage.outbox on SQLite and PostgreSQL: enqueueing is idempotent, claiming takes only
what is due and free, in order, and a claim left by a dead dispatcher does not last."""

from __future__ import annotations

from datetime import timedelta

from fakes.delivery import add_person, all_rows, aware, row
from sqlmodel import select

from handlers.views import simple
from storage import outbox
from storage.db import session_factory, transaction
from storage.models import OutboxMessage, OutboxStatus

LEASE = timedelta(minutes=2)


async def person(sessions, clock) -> int:
    async with transaction(sessions) as session:
        return await add_person(session, "Maya", "maya@example.com", clock.now(), slack="UMAYA")


async def enqueue(sessions, key: str, recipient: int, at, **fields: object) -> bool:
    async with transaction(sessions) as session:
        return await outbox.enqueue(
            session, key=key, recipient_id=recipient, view=simple(key).to_json(), now=at, **fields
        )


async def change(sessions, key: str, **fields: object) -> None:
    async with transaction(sessions) as session:
        query = select(OutboxMessage).where(OutboxMessage.dedupe_key == key)
        message = (await session.exec(query)).one()
        for name, value in fields.items():
            setattr(message, name, value)
        session.add(message)


async def claim(sessions, now, limit: int = 50) -> list[str]:
    return [key for key, _ in await claim_telling_doubt(sessions, now, limit)]


async def claim_telling_doubt(sessions, now, limit: int = 50) -> list[tuple[str, bool]]:
    """(key, in doubt) of each row claimed: in doubt when its last claim left no outcome."""
    async with transaction(sessions) as session:
        claimed = await outbox.claim_due(session, now=now, lease=LEASE, limit=limit)
        return [(message.row.dedupe_key, message.in_doubt) for message in claimed]


async def test_enqueue_is_idempotent_on_the_dedupe_key(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)

    assert await enqueue(sessions, "concern:1:manager:1", maya, clock.now(), program_id=None)
    clock.advance(60)
    async with transaction(sessions) as session:  # a retried request, in one transaction
        again = await outbox.enqueue(
            session,
            key="concern:1:manager:1",
            recipient_id=maya,
            view=simple("a second version").to_json(),
            now=clock.now(),
        )
    assert again is False

    [message] = await all_rows(sessions)
    assert message.dedupe_key == "concern:1:manager:1"
    assert message.view == simple("concern:1:manager:1").to_json()  # the first one stands
    assert (
        aware(message.created_at)
        == aware(message.next_attempt_at)
        == clock.now() - timedelta(seconds=60)
    )
    assert (message.status, message.attempts, message.claimed_until) == ("pending", 0, None)
    assert (message.replaces_id, message.sent_ref, message.last_error) == (None, None, None)


async def test_claim_due_takes_only_due_unclaimed_pending_rows_in_order(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    minute = timedelta(minutes=1)
    # Enqueued in this order; due times chosen so id order and due order differ.
    await enqueue(sessions, "due-late", maya, now - minute)
    await enqueue(sessions, "due-early", maya, now - 3 * minute)
    await enqueue(sessions, "due-now", maya, now)
    await enqueue(sessions, "due-early-too", maya, now - 3 * minute)
    await enqueue(sessions, "future", maya, now + timedelta(seconds=1))
    for key, status in [("sent", OutboxStatus.SENT), ("failed", OutboxStatus.FAILED)]:
        await enqueue(sessions, key, maya, now - 5 * minute)
        await change(sessions, key, status=status)
    await enqueue(sessions, "superseded", maya, now - 5 * minute)
    await change(sessions, "superseded", status=outbox.SUPERSEDED)
    await enqueue(sessions, "claimed", maya, now - 5 * minute)
    await change(sessions, "claimed", claimed_until=now + timedelta(seconds=1))

    assert await claim(sessions, now, limit=3) == ["due-early", "due-early-too", "due-late"]
    assert await claim(sessions, now) == ["due-now"]
    assert await claim(sessions, now) == []

    for key in ["due-early", "due-early-too", "due-late", "due-now"]:
        claimed = await row(sessions, key)
        assert aware(claimed.claimed_until) == now + LEASE
        assert claimed.attempts == 1
        assert claimed.status == OutboxStatus.PENDING
    for key in ["future", "sent", "failed", "superseded"]:
        untouched = await row(sessions, key)
        assert (untouched.attempts, untouched.claimed_until) == (0, None)
    assert aware((await row(sessions, "claimed")).claimed_until) == now + timedelta(seconds=1)

    clock.advance(1)  # "future" falls due; the other claim runs out, with no outcome
    assert await claim_telling_doubt(sessions, clock.now()) == [
        ("claimed", True),
        ("future", False),
    ]


async def test_an_expired_claim_is_claimable_again(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    start = clock.now()
    await enqueue(sessions, "m", maya, start)
    assert await claim(sessions, start) == ["m"]  # and then that dispatcher died

    clock.advance(LEASE.total_seconds() - 1)
    assert await claim(sessions, clock.now()) == []
    clock.advance(1)
    assert await claim_telling_doubt(sessions, clock.now()) == [("m", True)]  # sent or not?

    taken = await row(sessions, "m")
    assert taken.attempts == 2
    assert aware(taken.claimed_until) == start + 2 * LEASE


async def test_release_all_claims_frees_pending_rows_only_and_keeps_them_in_doubt(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    for key in ["a", "b", "c"]:
        await enqueue(sessions, key, maya, now)
    assert await claim(sessions, now) == ["a", "b", "c"]
    await change(sessions, "c", status=OutboxStatus.SENT)
    await enqueue(sessions, "d", maya, now)  # never claimed

    async with transaction(sessions) as session:
        await outbox.release_all_claims(session)

    # The dead process may have sent a and b: released, but not forgotten.
    assert [aware((await row(sessions, k)).claimed_until) for k in "abd"] == [
        outbox.UNKNOWN_OUTCOME,
        outbox.UNKNOWN_OUTCOME,
        None,
    ]
    assert aware((await row(sessions, "c")).claimed_until) == now + LEASE  # not pending: left be
    assert await claim_telling_doubt(sessions, now) == [  # at once, not after the lease
        ("a", True),
        ("b", True),
        ("d", False),
    ]


async def test_finishing_a_row_in_doubt_keeps_the_doubt_for_the_next_claim(engine, clock):
    """A row whose send's outcome is still unknown (the look on the platform failed, or
    the new send got no answer) is marked so; any other outcome clears it."""
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    for key in ["kept", "cleared"]:
        await enqueue(sessions, key, maya, now)
    assert await claim(sessions, now) == ["kept", "cleared"]
    async with transaction(sessions) as session:
        for key, in_doubt in [("kept", True), ("cleared", False)]:
            held = await outbox.finish(
                session, (await row(sessions, key)).id, lease=now + LEASE, in_doubt=in_doubt
            )
            assert held

    assert aware((await row(sessions, "kept")).claimed_until) == outbox.UNKNOWN_OUTCOME
    assert (await row(sessions, "cleared")).claimed_until is None
    assert await claim_telling_doubt(sessions, now) == [("kept", True), ("cleared", False)]
    async with transaction(sessions) as session:  # no stale lease equals the mark
        assert not await outbox.finish(
            session, (await row(sessions, "kept")).id, lease=outbox.UNKNOWN_OUTCOME
        )


async def test_next_due_at_is_the_earliest_pending_due_time(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    async with sessions() as session:
        assert await outbox.next_due_at(session) is None
    await enqueue(sessions, "sent-earlier", maya, now - timedelta(hours=1))
    await change(sessions, "sent-earlier", status=OutboxStatus.SENT)
    await enqueue(sessions, "later", maya, now + timedelta(minutes=5))
    await enqueue(sessions, "sooner", maya, now + timedelta(minutes=1))

    async with sessions() as session:
        assert aware(await outbox.next_due_at(session)) == now + timedelta(minutes=1)


async def test_supersede_pending_updates_leaves_other_rows_alone(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    await enqueue(sessions, "original", maya, now)
    original = (await row(sessions, "original")).id
    await enqueue(sessions, "other", maya, now)
    other = (await row(sessions, "other")).id
    await enqueue(sessions, "update-sent", maya, now, replaces_id=original)
    await change(sessions, "update-sent", status=OutboxStatus.SENT)
    await enqueue(sessions, "update-pending", maya, now, replaces_id=original)
    await enqueue(sessions, "update-of-other", maya, now, replaces_id=other)

    async with transaction(sessions) as session:
        await outbox.supersede_pending_updates(session, original)

    statuses = {m.dedupe_key: m.status for m in await all_rows(sessions)}
    assert statuses == {
        "original": "pending",
        "other": "pending",
        "update-sent": "sent",
        "update-pending": "superseded",
        "update-of-other": "pending",
    }


async def test_cancel_unsent_cancels_only_waiting_rows_no_dispatcher_holds(engine, clock):
    sessions = session_factory(engine)
    maya = await person(sessions, clock)
    now = clock.now()
    for key in ("waiting", "being-sent", "in-doubt", "sent", "failed", "other"):
        await enqueue(sessions, key, maya, now)
    await change(sessions, "being-sent", claimed_until=now + LEASE)
    await change(sessions, "in-doubt", claimed_until=outbox.UNKNOWN_OUTCOME)
    await change(sessions, "sent", status=OutboxStatus.SENT)
    await change(sessions, "failed", status=OutboxStatus.FAILED)

    keys = ["waiting", "being-sent", "in-doubt", "sent", "failed", "not-queued"]
    async with transaction(sessions) as session:
        assert await outbox.cancel_unsent(session, keys) == 1

    statuses = {m.dedupe_key: m.status for m in await all_rows(sessions)}
    assert statuses == {
        "waiting": "cancelled",
        "being-sent": "pending",  # a dispatcher is sending it: it goes its way
        "in-doubt": "pending",  # it may have arrived already: looked for first
        "sent": "sent",
        "failed": "failed",
        "other": "pending",
    }
    assert await claim(sessions, now) == ["in-doubt", "other"]  # the cancelled one: never
