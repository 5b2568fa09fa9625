"""The managers' message about one concern, as it stands now."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from handlers.checkins.answers import answer_facts
from handlers.context import Context
from handlers.mentions import mentions_of
from handlers.people import mention
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


async def concern_view(
    ctx: Context,
    concern: Concern,
    viewer: Person,
    people: dict[int, Mention] | None = None,
) -> MessageView:
    """The managers' message about one concern, as it stands now. `people`: the pair's
    mentions (pair_mentions), when one request renders it for several managers."""
    program = await ctx.session.get(Program, concern.program_id)
    pair = await ctx.session.get(Pair, concern.pair_id)
    assert program and pair
    people = people or await pair_mentions(ctx, pair)
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    urgent = concern.severity == "high"
    title = f"{'Urgent concern' if urgent else 'Concern'}: {concern.kind.replace('-', ' ')}"
    blocks = [
        Facts(
            facts=[
                fact("Program", program.name),
                fact("Pair", mentor, " (mentor) and ", mentee, " (mentee)"),
                fact("Raised by", people[concern.reporter_id]),
                fact("Raised", when(concern.created_at, viewer.timezone)),
            ]
        ),
        *await from_checkin(ctx, concern),
        *await _progress(ctx, concern, viewer),
    ]
    return MessageView(
        notification=f"{title} in {program.name}. Open mentorbot to respond.",
        title=title,
        blocks=blocks,
    )


async def from_checkin(ctx: Context, concern: Concern) -> list:
    """The words, if any; for a concern a check-in raised, that it did, what was chosen
    and whether they asked to be contacted (their words only if they chose to share)."""
    words = [Quote(text=concern.words)] if concern.words else []
    query = select(Checkin).where(Checkin.concern_id == concern.id)
    checkin = (await ctx.session.exec(query)).first()
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


async def _progress(ctx: Context, concern: Concern, viewer: Person) -> list:
    value = str(concern.id)
    acknowledge = Button(label="Acknowledge", action=ACKNOWLEDGE, value=value, style="primary")
    resolve_button = Button(label="Resolve", action=RESOLVE, value=value)
    if concern.status == ConcernStatus.OPEN:
        return [
            Actions(buttons=[acknowledge, resolve_button]),
            note("The other member of the pair has not been told."),
        ]
    blocks: list = []
    if concern.acknowledged_by_id:
        blocks += await _stamp(
            ctx,
            "Acknowledged",
            concern.acknowledged_by_id,
            concern.acknowledged_at,
            concern.acknowledged_note,
            viewer,
        )
    if concern.status == ConcernStatus.RESOLVED:
        blocks += await _stamp(
            ctx,
            "Resolved",
            concern.resolved_by_id,
            concern.resolved_at,
            concern.resolved_note,
            viewer,
        )
    else:
        blocks.append(Actions(buttons=[resolve_button]))
    return blocks


async def _stamp(
    ctx: Context,
    verb: str,
    person_id: int | None,
    at: datetime | None,
    words: str | None,
    viewer: Person,
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
        who = await mention(ctx.session, await person_by_id(ctx, person_id))
        stamp = section(bold(f"{verb} by"), " ", who, f" · {when(at, viewer.timezone)}{noted}")
    return [stamp, Quote(text=words)] if words else [stamp]


async def person_by_id(ctx: Context, person_id: int) -> Person:
    person = await ctx.session.get(Person, person_id)
    assert person is not None
    return person
