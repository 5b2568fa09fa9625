"""`resume`: what the pause held comes in the person's next working hours, in the zone that
applies to them (their own, else their program's), a check-in's reminder with it, and a
round deferred to the pause's end falls due now. (The twelve-week journey shows the same
end to end.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FakeClock
from sqlmodel import select

from handlers import pausing
from handlers.checkins.prompts import CHECKIN, REMINDER, ask
from handlers.context import Caller, Context, Deps, Work
from storage import due
from storage.db import session_factory, transaction
from storage.models import DueItem, OutboxMessage, Pair, Person, Program

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 12:00 in Vilnius
MONDAY_EVENING = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 18:30 in Vilnius
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 09:00 in Vilnius
PAUSE_ENDS = FRIDAY + timedelta(days=14)


async def test_resumed_in_the_evening_what_the_pause_held_comes_the_next_morning(engine) -> None:
    clock = FakeClock(FRIDAY)
    deps = Deps(sessions=session_factory(engine), clock=clock)
    async with transaction(deps.sessions) as session:
        program = Program(name="P", name_key="p", timezone="Europe/Vilnius", created_at=FRIDAY)
        # Rasa's own zone is unknown (her Teams client never said): the program's applies.
        rasa = Person(display_name="Rasa", paused_until=PAUSE_ENDS, created_at=FRIDAY)
        sam = Person(display_name="Sam", timezone="Asia/Tokyo", created_at=FRIDAY)
        session.add_all([program, rasa, sam])
        await session.flush()
        pair = Pair(program_id=program.id, mentor_id=rasa.id, mentee_id=sam.id, created_at=FRIDAY)
        session.add(pair)
        await session.flush()
        work = Work(session=session, deps=deps)
        checkin = await ask(work, pair, rasa, 1000)  # a manager's, held until the pause ends
        deferred = f"checkin:{pair.id}:1:{rasa.id}:after:{int(PAUSE_ENDS.timestamp())}"
        await due.schedule(
            session, key=deferred, kind=CHECKIN, due_at=PAUSE_ENDS, now=FRIDAY, person_id=rasa.id
        )

    clock._now = MONDAY_EVENING
    async with transaction(deps.sessions) as session:
        me = await session.get(Person, rasa.id)
        assert me is not None
        ctx = Context(session=session, deps=deps, caller=Caller("teams", "29:1rasa"), me=me)
        await pausing.resume(ctx)

    async with deps.sessions() as session:
        prompt = await session.get(OutboxMessage, checkin.prompt_id)
        items = {i.kind: i.due_at for i in (await session.exec(select(DueItem))).all()}
    assert prompt is not None and prompt.next_attempt_at == TUESDAY_MORNING
    assert items == {
        REMINDER: datetime(2026, 11, 26, 15, 0, tzinfo=UTC),  # Tue, Wed, Thu: 17:00 there
        CHECKIN: MONDAY_EVENING,  # due now: asked in her next working hours
    }
