"""Asking: each member of an active pair is asked on the program's cadence (due items of
kind `checkin`, one per round and person), reminded once if unanswered 3 working days after
the prompt reached them (`checkin-reminder`). The next round is scheduled when a round is
asked, so a round left unanswered does not stop the cadence. A paused person is asked when
their pause ends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, func, select

from handlers.cadence import Cadence, parse_cadence
from handlers.checkins.answers import prompt_view
from handlers.context import Work
from handlers.due_work import on_due
from handlers.people import mention
from handlers.working_time import add_working_days, zone_for
from storage import due, outbox
from storage.models import (
    Checkin,
    DueItem,
    Pair,
    PairState,
    Person,
    Program,
    Subject,
)

log = structlog.get_logger("mentorbot.checkins")
CHECKIN = "checkin"
REMINDER = "checkin-reminder"
REMIND_AFTER_WORKING_DAYS = 3
AD_HOC_FROM = 1000  # rounds asked for by command count on from here (storage/models.py)
DEFAULT_CADENCE = parse_cadence("2w,4w,every 4w")


def round_key(pair_id: int, round_: int, person_id: int) -> str:
    return f"checkin:{pair_id}:{round_}:{person_id}"


def reminder_key(checkin_id: int | None) -> str:
    """The outbox key of a check-in's one reminder."""
    return f"checkin:{checkin_id}:reminder"


def _reminder_due_key(checkin_id: int | None) -> str:
    """The key of the due item that decides a check-in's reminder."""
    return f"{REMINDER}:{checkin_id}"


def cadence_of(program: Program) -> Cadence:
    try:
        return parse_cadence(program.checkin_cadence)
    except ValueError:  # a setting stored before its rules changed: the default, not a crash
        return DEFAULT_CADENCE


async def schedule_first_rounds(work: Work, pair: Pair) -> None:
    """A new pair: round 1 for each member."""
    for person_id in (pair.mentor_id, pair.mentee_id):
        await schedule_round(work, pair, 1, person_id)


async def schedule_round(work: Work, pair: Pair, round_: int, person_id: int) -> None:
    program = await work.session.get(Program, pair.program_id)
    assert program is not None and pair.id is not None
    due_at = cadence_of(program).due(pair.created_at, round_)
    if due_at is None:
        return  # the cadence has ended
    await _schedule(work, round_key(pair.id, round_, person_id), due_at, pair, person_id)


async def _schedule(work: Work, key: str, due_at: datetime, pair: Pair, person_id: int) -> None:
    await due.schedule(
        work.session,
        key=key,
        kind=CHECKIN,
        due_at=due_at,
        now=work.now,
        program_id=pair.program_id,
        pair_id=pair.id,
        person_id=person_id,
    )


@on_due(CHECKIN)
async def round_falls_due(work: Work, item: DueItem) -> None:
    _, pair_id, round_text, person_id = item.key.split(":")[:4]
    round_ = int(round_text)
    pair = await work.session.get(Pair, int(pair_id))
    person = await work.session.get(Person, int(person_id))
    if pair is None or person is None or pair.state != PairState.ACTIVE:
        return  # an ended pair is asked nothing more
    if person.paused_until is not None and person.paused_until > work.now:
        # Asked when the pause ends; the key names that moment, so a pause moved later
        # schedules once more rather than never.
        stamp = int(person.paused_until.timestamp())
        key = f"{round_key(int(pair_id), round_, person.id or 0)}:after:{stamp}"
        await _schedule(work, key, person.paused_until, pair, int(person_id))
        return
    if await _asked(work, pair, person, round_):
        return
    await ask(work, pair, person, round_)
    await schedule_round(work, pair, round_ + 1, int(person_id))


async def _asked(work: Work, pair: Pair, person: Person, round_: int) -> bool:
    query = select(Checkin.id).where(
        Checkin.pair_id == pair.id, Checkin.person_id == person.id, Checkin.round == round_
    )
    return (await work.session.exec(query)).first() is not None


async def next_ad_hoc_round(work: Work, pair: Pair, person: Person) -> int:
    query = select(func.max(Checkin.round)).where(
        Checkin.pair_id == pair.id,
        Checkin.person_id == person.id,
        col(Checkin.round) >= AD_HOC_FROM,
    )
    last = (await work.session.exec(query)).first()
    return AD_HOC_FROM if last is None else int(last) + 1


async def ask(
    work: Work, pair: Pair, person: Person, round_: int, *, urgent: bool = False
) -> Checkin:
    """Record the check-in and queue its prompt (routine: in the person's working hours,
    unless they asked for it themselves), with one reminder 3 working days on."""
    checkin = Checkin(
        program_id=pair.program_id,
        pair_id=pair.id,
        person_id=person.id,
        round=round_,
        asked_at=work.now,
    )
    work.session.add(checkin)
    await work.session.flush()
    partner = await _partner(work, pair, person)
    key = f"checkin:{checkin.id}:prompt"
    await work.say(
        key,
        person,
        prompt_view(checkin, await mention(work.session, partner)),
        subject=Subject.CHECKIN,
        program_id=pair.program_id,
        pair_id=pair.id,
        urgent=urgent,
    )
    checkin.prompt_id, goes_at = await outbox.queued_at(work.session, key)
    program = await work.session.get(Program, pair.program_id)
    zone = zone_for(person.timezone, program.timezone if program else None)
    # Counted from when the prompt reaches them: it may wait for the end of a pause or for
    # room under the weekly cap, and a reminder must not come before or with it.
    await due.schedule(
        work.session,
        key=_reminder_due_key(checkin.id),
        kind=REMINDER,
        due_at=add_working_days(goes_at, REMIND_AFTER_WORKING_DAYS, zone),
        now=work.now,
        program_id=pair.program_id,
        pair_id=pair.id,
        person_id=person.id,
    )
    log.info("checkin_asked", checkin=checkin.id, pair=pair.id, round=round_)
    return checkin


async def remind_after(
    work: Work, prompt_ids: list[int], goes_at: datetime, zone: ZoneInfo
) -> None:
    """The prompts `prompt_ids` now go out at `goes_at` (a pause ended early): each one's
    reminder moves with it, 3 working days on."""
    query = select(Checkin.id).where(col(Checkin.prompt_id).in_(prompt_ids))
    keys = [_reminder_due_key(checkin_id) for checkin_id in (await work.session.exec(query)).all()]
    due_at = add_working_days(goes_at, REMIND_AFTER_WORKING_DAYS, zone)
    await due.move(work.session, keys=keys, due_at=due_at)


@on_due(REMINDER)
async def remind(work: Work, item: DueItem) -> None:
    """One reminder, only if still unanswered, the pair still on and the person not paused."""
    checkin = await work.session.get(Checkin, int(item.key.split(":")[1]))
    if checkin is None or checkin.answered_at is not None:
        return
    pair = await work.session.get(Pair, checkin.pair_id)
    person = await work.session.get(Person, checkin.person_id)
    if pair is None or person is None or pair.state != PairState.ACTIVE:
        return
    if person.paused_until is not None and person.paused_until > work.now:
        return
    partner = await mention(work.session, await _partner(work, pair, person))
    await work.say(
        reminder_key(checkin.id),
        person,
        prompt_view(checkin, partner, reminder=True),
        subject=Subject.CHECKIN_REMINDER,
        program_id=pair.program_id,
        pair_id=pair.id,
    )


async def _partner(work: Work, pair: Pair, person: Person) -> Person:
    other = pair.mentee_id if pair.mentor_id == person.id else pair.mentor_id
    partner = await work.session.get(Person, other)
    assert partner is not None
    return partner
