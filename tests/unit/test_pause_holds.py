"""What a pause holds and what `resume` releases, in the zone that applies to each person
(their own, else their program's): routine messages queued to go during the pause wait for
its end; on `resume` what it held comes in the next working hours, a round deferred to its
end falls due now; a check-in's reminder moves with its prompt. (The twelve-week journey
shows the release end to end.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FakeClock
from sqlmodel import select

from handlers import pausing
from handlers.checkins.prompts import CHECKIN, REMINDER, ask
from handlers.context import Caller, Context, Deps, Work
from handlers.settings_commands import Pause
from storage import due
from storage.db import session_factory, transaction
from storage.models import Checkin, DueItem, OutboxMessage, Pair, Person, Program

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 12:00 in Vilnius
FRIDAY_EVENING = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 19:00 in Vilnius
MONDAY_EVENING = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 18:30 in Vilnius
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 09:00 in Vilnius
PAUSE_ENDS = FRIDAY + timedelta(days=14)


async def rasa_and_her_pair(deps: Deps, paused_until: datetime | None) -> tuple[int, Pair]:
    """Rasa's own zone is unknown (her Teams client never said): her program's, Vilnius."""
    async with transaction(deps.sessions) as session:
        program = Program(name="P", name_key="p", timezone="Europe/Vilnius", created_at=FRIDAY)
        rasa = Person(display_name="Rasa", paused_until=paused_until, created_at=FRIDAY)
        sam = Person(display_name="Sam", timezone="Asia/Tokyo", created_at=FRIDAY)
        session.add_all([program, rasa, sam])
        await session.flush()
        pair = Pair(program_id=program.id, mentor_id=rasa.id, mentee_id=sam.id, created_at=FRIDAY)
        session.add(pair)
    assert rasa.id is not None
    return rasa.id, pair


async def ask_rasa(deps: Deps, rasa_id: int, pair: Pair) -> Checkin:
    async with transaction(deps.sessions) as session:
        rasa = await session.get(Person, rasa_id)
        assert rasa is not None
        return await ask(Work(session=session, deps=deps), pair, rasa, 1000)


async def as_rasa(deps: Deps, rasa_id: int, act) -> None:
    async with transaction(deps.sessions) as session:
        me = await session.get(Person, rasa_id)
        assert me is not None
        await act(Context(session=session, deps=deps, caller=Caller("teams", "29:1rasa"), me=me))


async def when_due(deps: Deps, checkin: Checkin) -> tuple[datetime, dict[str, datetime]]:
    """When the check-in's prompt goes, and when each due item falls due, by kind."""
    async with deps.sessions() as session:
        prompt = await session.get(OutboxMessage, checkin.prompt_id)
        items = {i.kind: i.due_at for i in (await session.exec(select(DueItem))).all()}
    assert prompt is not None
    return prompt.next_attempt_at, items


async def test_a_pause_holds_what_was_queued_for_the_morning(engine) -> None:
    clock = FakeClock(FRIDAY_EVENING)
    deps = Deps(sessions=session_factory(engine), clock=clock)
    rasa_id, pair = await rasa_and_her_pair(deps, paused_until=None)
    checkin = await ask_rasa(deps, rasa_id, pair)  # for Monday 09:00, her next working hours
    clock._now = FRIDAY_EVENING + timedelta(hours=1)
    await as_rasa(deps, rasa_id, lambda ctx: pausing.pause(ctx, Pause(days=10)))
    # Ends Monday 30 Nov, 20:00 in Vilnius: Tuesday 1 Dec, 09:00 there is the first slot.
    assert await when_due(deps, checkin) == (
        datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
        {REMINDER: datetime(2026, 12, 3, 15, 0, tzinfo=UTC)},  # Tue, Wed, Thu: 17:00
    )


async def test_resumed_in_the_evening_what_the_pause_held_comes_the_next_morning(engine) -> None:
    clock = FakeClock(FRIDAY)
    deps = Deps(sessions=session_factory(engine), clock=clock)
    rasa_id, pair = await rasa_and_her_pair(deps, paused_until=PAUSE_ENDS)
    checkin = await ask_rasa(deps, rasa_id, pair)  # a manager's, held until the pause ends
    async with transaction(deps.sessions) as session:
        deferred = f"checkin:{pair.id}:1:{rasa_id}:after:{int(PAUSE_ENDS.timestamp())}"
        await due.schedule(
            session, key=deferred, kind=CHECKIN, due_at=PAUSE_ENDS, now=FRIDAY, person_id=rasa_id
        )
    clock._now = MONDAY_EVENING
    await as_rasa(deps, rasa_id, pausing.resume)
    assert await when_due(deps, checkin) == (
        TUESDAY_MORNING,
        {
            REMINDER: datetime(2026, 11, 26, 15, 0, tzinfo=UTC),  # Tue, Wed, Thu: 17:00
            CHECKIN: MONDAY_EVENING,  # due now: asked in her next working hours
        },
    )
