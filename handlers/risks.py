"""What a pairing or an enrolment would do that cannot be undone and may not be meant:
each a Warning the manager confirms before it happens (handlers/confirmations.py)."""

from __future__ import annotations

from sqlmodel import and_, col, or_, select

from handlers.confirmations import Warning
from handlers.context import Context
from handlers.mentions import UNKNOWN, mentions_of
from handlers.people import mention
from handlers.roles import has_role, levels_of, role_of
from handlers.views import CommandHint, Mention, Span, bold, section
from storage.models import Membership, Pair, PairState, Person, Program, Role

SECOND_MENTOR = "second-mentor"
MANAGER_IN_PAIR = "manager-in-pair"
MENTEE_AS_MENTOR = "mentee-as-mentor"
UNBRIEFED = "briefing-unconfirmed"


async def enrol_warnings(
    ctx: Context, program: Program, person: Person, role: str
) -> list[Warning]:
    if role != "mentor" or not await has_role(ctx, program, person, "mentee"):
        return []
    says = section(
        await mention(ctx.session, person),
        " is enrolled as a mentee in ",
        bold(program.name),
        ". Enrolled as a mentor too, they can be paired as either.",
    )
    return [Warning(MENTEE_AS_MENTOR, says)]


async def pair_warnings(
    ctx: Context, program: Program, mentor: Person, mentee: Person
) -> list[Warning]:
    found = [
        await _second_mentor(ctx, program, mentor, mentee),
        await _manager_in_pair(ctx, program, mentor, mentee),
        await _unbriefed(ctx, program, mentor, mentee),
    ]
    return [warning for warning in found if warning is not None]


async def _second_mentor(
    ctx: Context, program: Program, mentor: Person, mentee: Person
) -> Warning | None:
    """A mentee may have several mentors, but a second one is more often a slip."""
    query = select(Pair.mentor_id).where(
        Pair.program_id == program.id,
        Pair.mentee_id == mentee.id,
        Pair.state == PairState.ACTIVE,
    )
    mentors = list((await ctx.session.exec(query)).all())
    if not mentors:
        return None
    ids = (*mentors, mentor.id, mentee.id)
    people = await mentions_of(ctx.session, [i for i in ids if i is not None])
    says = section(
        _who(mentee, people),
        " already has a mentor in ",
        bold(program.name),
        ": ",
        *_listed([people.get(i, UNKNOWN) for i in mentors]),
        ". Paired with ",
        _who(mentor, people),
        f" too, they will have {len(mentors) + 1} mentors.",
    )
    return Warning(SECOND_MENTOR, says)


async def _manager_in_pair(
    ctx: Context, program: Program, mentor: Person, mentee: Person
) -> Warning | None:
    """A concern about the pair would never reach its manager member: say who it would reach."""
    managing = [(p, await role_of(ctx, program, p)) for p in (mentor, mentee)]
    managing = [(p, role) for p, role in managing if role is not None]
    if not managing:
        return None
    told = (await levels_of(ctx, program)).outside({mentor.id, mentee.id})
    ids = [mentor.id, mentee.id, *(p.id for p in told.people)]
    people = await mentions_of(ctx.session, [i for i in ids if i is not None])
    parts: list[str | Mention | Span | CommandHint] = []
    for i, (person, role) in enumerate(managing):
        verb = " manages " if role == Role.MANAGER else " is a backup manager of "
        parts += [_who(person, people), verb, "it" if i else bold(program.name), ". "]
    parts.append(
        "A concern never goes to someone in the pair it is about, so concerns about this pair "
    )
    parts += _who_is_told(program, told.role, [_who(p, people) for p in told.people])
    return Warning(MANAGER_IN_PAIR, section(*parts))


async def _unbriefed(
    ctx: Context, program: Program, mentor: Person, mentee: Person
) -> Warning | None:
    """Paired before confirming the briefing, they start without having read what is
    expected of them: allowed, but the manager should know."""
    query = select(Membership.person_id).where(
        Membership.program_id == program.id,
        col(Membership.briefing_confirmed_at).is_(None),
        or_(
            and_(Membership.person_id == mentor.id, Membership.role == Role.MENTOR),
            and_(Membership.person_id == mentee.id, Membership.role == Role.MENTEE),
        ),
    )
    unconfirmed = set((await ctx.session.exec(query)).all())
    people = [p for p in (mentor, mentee) if p.id in unconfirmed]
    if not people:
        return None
    names = await mentions_of(ctx.session, [p.id for p in people if p.id is not None])
    verb = " has" if len(people) == 1 else " have"
    says = section(
        *_listed([_who(p, names) for p in people]),
        verb,
        " not yet confirmed reading their role briefing for ",
        bold(program.name),
        ".",
    )
    return Warning(UNBRIEFED, says)


def _who_is_told(
    program: Program, level: Role | None, told: list[Mention]
) -> list[str | Mention | Span | CommandHint]:
    if level == Role.MANAGER:
        return ["would go only to ", *_listed(told), "."]
    if level == Role.BACKUP_MANAGER:
        backups = "backup manager" if len(told) == 1 else "backup managers"
        return [
            f"would go only to the {backups}, ",
            *_listed(told),
            ", as no other manager is left.",
        ]
    return [
        f"would reach no one: {program.name} has no manager or backup manager outside this "
        "pair. Add one first: ",
        CommandHint(text="managers add @user [backup]"),
        ".",
    ]


def _who(person: Person, people: dict[int, Mention]) -> Mention:
    return people.get(person.id, UNKNOWN) if person.id is not None else UNKNOWN


def _listed(names: list[Mention]) -> list[str | Mention]:
    """`@a`, `@a and @b`, `@a, @b and @c`."""
    parts: list[str | Mention] = []
    for i, name in enumerate(names):
        if i:
            parts.append(" and " if i == len(names) - 1 else ", ")
        parts.append(name)
    return parts
