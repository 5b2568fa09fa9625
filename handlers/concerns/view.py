"""The managers' message about one concern, as it stands now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from handlers.checkins.answers import answer_facts
from handlers.context import Context
from handlers.escalation.history import Copy, copies_of, history_block, worth_showing
from handlers.mentions import UNKNOWN, mentions_of
from handlers.timefmt import when
from handlers.views import (
    Actions,
    Button,
    Facts,
    Mention,
    MessageView,
    Quote,
    Section,
    bold,
    fact,
    note,
    section,
)
from storage.models import (
    Checkin,
    Concern,
    ConcernStatus,
    Pair,
    Person,
    Program,
)

ACKNOWLEDGE = "concern.acknowledge"
RESOLVE = "concern.resolve"


@dataclass(frozen=True)
class ConcernFacts:
    """Everything a concern's message shows, read once for however many managers see it."""

    concern: Concern
    program: Program
    pair: Pair
    people: dict[int, Mention]  # the pair, whoever acted on it, and everyone sent a copy
    checkin: Checkin | None  # the check-in that raised it, if one did
    copies: list[Copy]  # what the managers were sent about it, for its history


async def concern_view(
    ctx: Context,
    concern: Concern,
    viewer: Person,
    people: dict[int, Mention] | None = None,
) -> MessageView:
    """The managers' message about one concern, as it stands now. `people`: the pair's
    mentions (pair_mentions), when one request renders it for several managers."""
    return render(await facts_of(ctx, concern, people), viewer)


async def facts_of(
    ctx: Context, concern: Concern, people: dict[int, Mention] | None = None
) -> ConcernFacts:
    program = await ctx.session.get(Program, concern.program_id)
    pair = await ctx.session.get(Pair, concern.pair_id)
    assert program and pair and concern.id is not None
    copies = (await copies_of(ctx.session, [concern.id]))[concern.id]
    wanted = {pair.mentor_id, pair.mentee_id, *(c.recipient_id for c in copies)}
    wanted |= {i for i in (concern.acknowledged_by_id, concern.resolved_by_id) if i is not None}
    known = dict(people or {})
    known |= await mentions_of(ctx.session, wanted - known.keys())
    query = select(Checkin).where(Checkin.concern_id == concern.id)
    checkin = (await ctx.session.exec(query)).first()
    return ConcernFacts(concern, program, pair, known, checkin, copies)


def render(
    facts: ConcernFacts,
    viewer: Person,
    *,
    reminder: bool = False,
    lead: str | None = None,
    ahead: str | None = None,
) -> MessageView:
    """The message, as `viewer` reads it. The walk adds why they get it now (`lead`), what
    happens next if no one acknowledges it (`ahead`), and marks a `reminder`; an update in
    place after someone acted shows none of these, as they no longer hold."""
    concern, program, pair, people = facts.concern, facts.program, facts.pair, facts.people
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    urgent = concern.severity == "high"
    title = f"{'Urgent concern' if urgent else 'Concern'}: {concern.kind.replace('-', ' ')}"
    notification = f"{title} in {program.name}. Open mentorbot to respond."
    if reminder:
        notification = f"Reminder: {title} in {program.name}, not acknowledged yet. Open mentorbot."
        title = f"{title} (reminder)"
    blocks = [
        *([section(bold(lead))] if lead else []),
        Facts(
            facts=[
                fact("Program", program.name),
                fact("Pair", mentor, " (mentor) and ", mentee, " (mentee)"),
                fact("Raised by", people[concern.reporter_id]),
                fact("Raised", when(concern.created_at, viewer.timezone)),
            ]
        ),
        *_from_checkin(concern, facts.checkin),
        *(
            [history_block(facts.copies, people, viewer.timezone)]
            if worth_showing(facts.copies)
            else []
        ),
        *_progress(concern, viewer, people, ahead),
    ]
    return MessageView(notification=notification, title=title, blocks=blocks)


def _from_checkin(concern: Concern, checkin: Checkin | None) -> list:
    """The words, if any; for a concern a check-in raised, that it did, what was chosen
    and whether they asked to be contacted (their words only if they chose to share)."""
    words = [Quote(text=concern.words)] if concern.words else []
    if checkin is None:
        return words or [note("They added no words.")]
    contact = (
        "They asked to be contacted."
        if checkin.wants_contact
        else "They did not ask to be contacted."
    )
    return [
        section("Raised from a private check-in. ", bold(contact)),
        Facts(facts=answer_facts(checkin)),
        *(words or [note("They shared no words.")]),
    ]


async def pair_mentions(ctx: Context, pair: Pair) -> dict[int, Mention]:
    """Both members as mentions, in one query (the reporter is one of them)."""
    return await mentions_of(ctx.session, (pair.mentor_id, pair.mentee_id))


def _progress(
    concern: Concern, viewer: Person, people: dict[int, Mention], ahead: str | None
) -> list:
    value = str(concern.id)
    acknowledge = Button(label="Acknowledge", action=ACKNOWLEDGE, value=value, style="primary")
    resolve_button = Button(label="Resolve", action=RESOLVE, value=value)
    if concern.status == ConcernStatus.OPEN:
        return [
            Actions(buttons=[acknowledge, resolve_button]),
            *([note(ahead)] if ahead else []),
            note("The other member of the pair has not been told."),
        ]
    blocks: list = []
    if concern.acknowledged_by_id:
        blocks += _stamp(
            "Acknowledged",
            concern.acknowledged_by_id,
            concern.acknowledged_at,
            concern.acknowledged_note,
            viewer,
            people,
        )
    if concern.status == ConcernStatus.RESOLVED:
        blocks += _stamp(
            "Resolved",
            concern.resolved_by_id,
            concern.resolved_at,
            concern.resolved_note,
            viewer,
            people,
        )
    else:
        blocks.append(Actions(buttons=[resolve_button]))
    return blocks


def _stamp(
    verb: str,
    person_id: int | None,
    at: datetime | None,
    words: str | None,
    viewer: Person,
    people: dict[int, Mention],
) -> list[Section | Quote]:
    """Who did it and when, and their note (for the managers: only they see this view)."""
    # Said to be a manager's note: quoted bare, it would read as the reporter's words.
    noted = (
        (
            " · your note, for the managers only:"
            if person_id == viewer.id
            else " · their note, for the managers only:"
        )
        if words
        else ""
    )
    if person_id == viewer.id:
        stamp = section(bold(f"{verb} by you"), f" · {when(at, viewer.timezone)}{noted}")
    else:
        who = people.get(person_id, UNKNOWN) if person_id is not None else UNKNOWN
        stamp = section(bold(f"{verb} by"), " ", who, f" · {when(at, viewer.timezone)}{noted}")
    return [stamp, Quote(text=words)] if words else [stamp]


async def person_by_id(ctx: Context, person_id: int) -> Person:
    person = await ctx.session.get(Person, person_id)
    assert person is not None
    return person
