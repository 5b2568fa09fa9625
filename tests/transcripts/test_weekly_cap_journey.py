"""The weekly cap over real check-ins, the most important first: with a cap of one routine
message a week, a check-in prompt takes the place of an unsent reminder queued for its
week, and the reminder moves on to the next week with room; a reminder already sent
keeps its place, and the prompt waits for the next week. Each DM at its exact time,
from an injected clock; working hours in each person's zone; as production queues
them (routine messages wait)."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes.transcripts import run_until
from sqlmodel import col, func, select

from storage.models import OutboxMessage, OutboxStatus

SETUP = [
    ("maya", 'program create "Pilot"'),
    ("maya", "program set weekly-cap 1"),
    ("maya", "program set checkins 1w,2w"),
    ("maya", "enrol @omar mentor"),  # in Berlin
    ("maya", "enrol @sam mentee"),  # in New York
    ("omar", "press 1"),
    ("sam", "press 2"),
    ("maya", "pair @omar @sam"),  # Monday 23 November 2026, 09:00 UTC
]


async def test_a_prompt_takes_the_place_of_an_unsent_reminder_never_of_a_sent_one(
    console, clock
) -> None:
    await console.setup(SETUP)
    console.session.deps.routine_waits = True  # from here on, as in production
    assert await run_until(console, clock, datetime(2027, 1, 1, tzinfo=UTC)) == [
        # Round 1, a week after the start: Omar at once (10:00 in Berlin), Sam at 09:00 in
        # New York. Each has had this week's one message.
        "Mon 30 Nov 09:00 UTC DM to @omar: How is it going with @sam?",
        "Mon 30 Nov 14:00 UTC DM to @sam: How is it going with @omar?",
        # Their reminders (Thursday) wait for next week: Omar's goes at 09:00 Berlin...
        "Mon 07 Dec 08:00 UTC DM to @omar: A reminder: how is it going with @sam?",
        # ... so round 2, decided at 09:00 UTC, finds his week used: it waits a week. Sam's
        # reminder, still queued for 09:00 New York, gives round 2 its place and moves on.
        "Mon 07 Dec 14:00 UTC DM to @sam: How is it going with @omar?",
        "Mon 14 Dec 08:00 UTC DM to @omar: How is it going with @sam?",
        "Mon 14 Dec 14:00 UTC DM to @sam: A reminder: how is it going with @omar?",
        # The reminders of round 2 find the next week taken (Omar: by his prompt, Sam: by
        # his round 1 reminder, an equal): the week after.
        "Mon 21 Dec 08:00 UTC DM to @omar: A reminder: how is it going with @sam?",
        "Mon 21 Dec 14:00 UTC DM to @sam: A reminder: how is it going with @omar?",
    ]
    async with console.session.deps.sessions() as session:
        left = select(func.count()).where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        assert (await session.exec(left)).one() == 0
