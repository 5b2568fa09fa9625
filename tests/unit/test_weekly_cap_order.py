"""The weekly cap, the most important first: a check-in prompt that finds its week full
takes the place of a less important message not yet on its way (a reminder, then
anything else), which moves to the next week with room; never the place of one of its
own rank, and never of a row the dispatcher has claimed or tried. Exact times, from an
injected clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import FakeClock
from sqlmodel import select

from handlers import weekly_cap
from handlers.context import Deps, Work
from handlers.views import simple
from storage import outbox
from storage.db import session_factory
from storage.models import OutboxMessage, Person, Program, Subject

# Monday 07:00 in Vilnius: before working hours, so what is queued now waits for 09:00
# there (07:00 UTC) and is not yet on its way.
EARLY = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
WEEK_1 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 09:00 in Vilnius
WEEK_2 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
WEEK_3 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
PROMPT, REMINDER, OTHER = Subject.CHECKIN, Subject.CHECKIN_REMINDER, Subject.OTHER


class Outbox:
    """One person of one program with a weekly cap, and what is queued for them."""

    def __init__(self, engine, clock: FakeClock) -> None:
        self.deps = Deps(sessions=session_factory(engine), clock=clock)
        self.program_id = self.person_id = 0

    async def create(self, cap: int) -> Outbox:
        async with self.deps.sessions() as session:
            program = Program(name="P", name_key="p", weekly_cap=cap, created_at=EARLY)
            person = Person(display_name="Ona", timezone="Europe/Vilnius", created_at=EARLY)
            session.add_all([program, person])
            await session.commit()
            self.program_id, self.person_id = program.id, person.id  # type: ignore[assignment]
        return self

    async def say(self, key: str, subject: Subject) -> None:
        """Queue one routine message, in a transaction of its own, as a use case does."""
        async with self.deps.sessions() as session:
            work = Work(session=session, deps=self.deps)
            person = await session.get(Person, self.person_id)
            assert person is not None
            await work.say(key, person, simple(key), subject=subject, program_id=self.program_id)
            await session.commit()

    async def times(self) -> dict[str, datetime]:
        async with self.deps.sessions() as session:
            rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            return {row.dedupe_key: row.next_attempt_at for row in rows}


def test_a_prompt_outranks_a_reminder_which_outranks_anything_else() -> None:
    assert weekly_cap.rank(PROMPT) < weekly_cap.rank(REMINDER) < weekly_cap.rank(OTHER)
    assert weekly_cap.rank("a subject a later version adds") == weekly_cap.rank(OTHER)


async def test_a_prompt_in_a_full_week_takes_the_place_of_the_last_reminder(engine) -> None:
    queue = await Outbox(engine, FakeClock(EARLY)).create(cap=2)
    await queue.say("reminder 1", REMINDER)
    await queue.say("reminder 2", REMINDER)
    await queue.say("prompt", PROMPT)
    assert await queue.times() == {
        "reminder 1": WEEK_1,
        "reminder 2": WEEK_2,  # decided last among the least important: moved on
        "prompt": WEEK_1,
    }


async def test_equals_keep_their_order_and_the_newcomer_waits(engine) -> None:
    queue = await Outbox(engine, FakeClock(EARLY)).create(cap=1)
    await queue.say("prompt 1", PROMPT)
    await queue.say("reminder", REMINDER)  # week 1 is full of something more important
    await queue.say("prompt 2", PROMPT)  # week 1 full of its equal: week 2, the reminder's
    assert await queue.times() == {
        "prompt 1": WEEK_1,
        "reminder": WEEK_3,
        "prompt 2": WEEK_2,
    }


async def test_a_moved_message_moves_a_still_less_important_one_on(engine) -> None:
    queue = await Outbox(engine, FakeClock(EARLY)).create(cap=1)
    await queue.say("other", OTHER)
    await queue.say("reminder", REMINDER)  # takes week 1: the other goes to week 2
    assert await queue.times() == {"other": WEEK_2, "reminder": WEEK_1}
    await queue.say("prompt", PROMPT)  # takes week 1: the reminder takes week 2, the other 3
    assert await queue.times() == {"other": WEEK_3, "reminder": WEEK_2, "prompt": WEEK_1}


async def test_a_message_sent_claimed_or_tried_is_never_moved(engine) -> None:
    clock = FakeClock(EARLY)
    queue = await Outbox(engine, clock).create(cap=3)
    for key in ("sent", "claimed", "tried"):
        await queue.say(key, REMINDER)
    clock.advance(2 * 3600)  # 09:00 in Vilnius: all three are due
    lease = timedelta(minutes=2)
    async with queue.deps.sessions() as session:
        claimed = await outbox.claim_due(session, now=clock.now(), lease=lease, limit=10)
        ids = {c.row.dedupe_key: c.row.id for c in claimed}
        until = clock.now() + lease
        sent = {"status": "sent", "sent_at": clock.now()}
        await outbox.finish(session, ids["sent"], lease=until, **sent)
        retry = {"next_attempt_at": clock.now() + timedelta(minutes=10), "last_error": "503"}
        await outbox.finish(session, ids["tried"], lease=until, **retry)
        await session.commit()
    # "claimed" is still being sent; "tried" waits for its retry, later today.
    clock.advance(60)
    await queue.say("prompt", PROMPT)
    assert await queue.times() == {
        "sent": WEEK_1,
        "claimed": WEEK_1,
        "tried": WEEK_1 + timedelta(minutes=10),
        "prompt": WEEK_2,  # nothing it could take the place of
    }
    async with queue.deps.sessions() as session:
        row = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "claimed"))
        ).one()
    assert row.claimed_until == until  # the dispatcher's lease, untouched


async def test_a_row_claimed_meanwhile_is_left_and_the_next_one_moves(engine, monkeypatch) -> None:
    """A replica whose clock runs a minute ahead claims the least important row (due for
    it, not yet for the replica queueing the prompt) between the choice of that row and
    its move: the guarded move finds it claimed and leaves it; the next one moves."""
    clock = FakeClock(datetime(2026, 11, 23, 6, 59, 30, tzinfo=UTC))
    queue = await Outbox(engine, clock).create(cap=2)
    await queue.say("other", OTHER)
    await queue.say("reminder", REMINDER)
    choose = weekly_cap._less_important

    async def claimed_by_a_replica_ahead(*args: Any, **kwargs: Any) -> list[tuple[int, str]]:
        chosen = await choose(*args, **kwargs)
        assert [subject for _, subject in chosen] == [OTHER, REMINDER]
        async with queue.deps.sessions() as other:
            ahead = clock.now() + timedelta(minutes=1)
            claim = await outbox.claim_due(other, now=ahead, lease=timedelta(minutes=2), limit=1)
            assert [c.row.dedupe_key for c in claim] == ["other"]
            await other.commit()
        return chosen

    monkeypatch.setattr(weekly_cap, "_less_important", claimed_by_a_replica_ahead)
    await queue.say("prompt", PROMPT)
    assert await queue.times() == {
        "other": WEEK_1,  # claimed: on its way, left alone
        "reminder": WEEK_2,
        "prompt": WEEK_1,
    }
