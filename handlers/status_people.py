"""What `status` says about people rather than pairs: whose briefing is unconfirmed, who
is paused, and who has reached the weekly cap. Each list is one query, cut at `limit`,
and the people they name are looked up with the rest of status; a section appears only
when someone is in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from handlers import weekly_cap
from handlers.context import Context
from handlers.mentions import UNKNOWN
from handlers.timefmt import when
from handlers.views import Inline, Mention, Section, bold, section, text
from handlers.working_time import zone_for
from storage import outbox
from storage.models import Membership, OutboxMessage, Person, Program, Role

MEMBER_ROLES = (Role.MENTOR, Role.MENTEE)


@dataclass(frozen=True)
class PeopleLists:
    unconfirmed: list[tuple[int, str]]  # (person id, role)
    paused: list[Person]
    capped: list[int]

    @property
    def ids(self) -> set[int]:
        """Everyone named, for status to look up with the rest in one query."""
        paused = {p.id for p in self.paused if p.id is not None}
        return {p for p, _ in self.unconfirmed} | paused | set(self.capped)


async def people_lists(ctx: Context, program: Program, limit: int) -> PeopleLists:
    return PeopleLists(
        await _unconfirmed(ctx, program, limit),
        await _paused(ctx, program, limit),
        await _capped(ctx, program, limit),
    )


def people_sections(
    ctx: Context, program: Program, lists: PeopleLists, people: dict[int, Mention]
) -> list[Section]:
    sections = []
    if lists.unconfirmed:
        lines: list[Inline] = [bold("Briefings not yet confirmed:")]
        for person_id, role in lists.unconfirmed:
            lines += text("\n• ", people.get(person_id, UNKNOWN), f" ({role})")
        sections.append(section(*lines))
    if lists.paused:
        lines = [bold("Paused:")]
        for person in lists.paused:
            assert person.id is not None
            until = when(person.paused_until, ctx.me.timezone)
            lines += text("\n• ", people.get(person.id, UNKNOWN), f" until {until}")
        sections.append(section(*lines))
    if lists.capped:
        lines = [bold(f"At the weekly cap ({program.weekly_cap}) this week, the rest waits:")]
        for person_id in lists.capped:
            lines += text("\n• ", people.get(person_id, UNKNOWN))
        sections.append(section(*lines))
    return sections


def _members(program: Program) -> SelectOfScalar[int]:
    return select(Membership.person_id).where(
        Membership.program_id == program.id, col(Membership.role).in_(MEMBER_ROLES)
    )


async def _unconfirmed(ctx: Context, program: Program, limit: int) -> list[tuple[int, str]]:
    query = (
        select(Membership.person_id, Membership.role)
        .where(
            Membership.program_id == program.id,
            col(Membership.role).in_(MEMBER_ROLES),
            col(Membership.briefing_confirmed_at).is_(None),
        )
        .order_by(Membership.created_at, Membership.id)
        .limit(limit)
    )
    return [(int(p), str(r)) for p, r in (await ctx.session.exec(query)).all()]


async def _paused(ctx: Context, program: Program, limit: int) -> list[Person]:
    query = (
        select(Person)
        .where(
            col(Person.id).in_(_members(program)),
            col(Person.paused_until) > ctx.now,
        )
        .order_by(Person.paused_until, Person.id)
        .limit(limit)
    )
    return list((await ctx.session.exec(query)).all())


async def _capped(ctx: Context, program: Program, limit: int) -> list[int]:
    """Members with as many routine messages this week (the program's week) as its cap."""
    start, end = weekly_cap.week_of(ctx.now, zone_for(program.timezone))
    query = (
        select(OutboxMessage.recipient_id)
        .where(
            col(OutboxMessage.recipient_id).in_(_members(program)),
            col(OutboxMessage.priority) == outbox.ROUTINE,
            col(OutboxMessage.subject).not_in(list(weekly_cap.UNCAPPED)),
            col(OutboxMessage.status).in_(outbox.DELIVERING),
            col(OutboxMessage.replaces_id).is_(None),
            col(OutboxMessage.next_attempt_at) >= start,
            col(OutboxMessage.next_attempt_at) < end,
        )
        .group_by(OutboxMessage.recipient_id)
        .having(func.count() >= program.weekly_cap)
        .order_by(OutboxMessage.recipient_id)
        .limit(limit)
    )
    return [int(p) for p in (await ctx.session.exec(query)).all()]
