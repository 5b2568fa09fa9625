"""`status`: a program's health at a glance, for its managers.

Everything shown is read in a fixed number of queries, however many pairs, concerns and
people there are: the lists are cut at LIST_LIMIT in SQL, and the people they name are
turned into mentions all at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect
from sqlmodel import col, func, or_, select

from handlers import undelivered
from handlers.briefing_flags import briefing_flags
from handlers.checkins.flags import checkin_flags
from handlers.commands import Status
from handlers.concerns import seen_by
from handlers.context import Context
from handlers.flags import flags_section, in_order
from handlers.mentions import UNKNOWN, mentions_of
from handlers.roles import managed_program
from handlers.status_people import people_lists, people_sections
from handlers.timefmt import when
from handlers.undelivered import Failed
from handlers.views import (
    CommandHint,
    Facts,
    Inline,
    Mention,
    MessageView,
    Note,
    Section,
    bold,
    fact,
    note,
    section,
    text,
)
from storage.models import (
    MANAGER_ROLES,
    Concern,
    ConcernStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairState,
    Person,
    Program,
    Role,
    Subject,
)

LIST_LIMIT = 15
Mentions = dict[int, Mention]
ACT_ON_ONE = note(
    "To act on one by its number: ",
    CommandHint(text="concern ack <n> [note]"),
    " or ",
    CommandHint(text="concern resolve <n> [note]"),
)


async def status(ctx: Context, command: Status) -> MessageView:
    program = await managed_program(ctx, command.program)
    managers = await _managers(ctx, program)
    counts = await _counts(ctx, program)
    pairs = await _pairs(ctx, program)
    concerns = await _open_concerns(ctx, program)
    failed, failed_pairs = await _failed(ctx, program)
    flags = in_order(await checkin_flags(ctx, program), await briefing_flags(ctx, program))
    lists = await people_lists(ctx, program, LIST_LIMIT)
    ids = {person_id for person_id, _ in managers} | lists.ids
    ids |= {i for flag in flags[:LIST_LIMIT] for i in (flag.person_id, flag.partner_id)}
    ids |= {row.recipient_id for row in failed[:LIST_LIMIT]}
    for pair in [*pairs, *(p for _, p in concerns), *failed_pairs.values()]:
        ids |= {pair.mentor_id, pair.mentee_id}
    people = await mentions_of(ctx.session, ids)
    blocks = [
        Facts(facts=_people_facts(managers, counts, people)),
        _pairs_section(pairs, counts.pairs, people),
        _concerns_section(ctx, concerns, counts.concerns, people),
        *([ACT_ON_ONE] if concerns else []),
        *flags_section(ctx, flags, people, LIST_LIMIT),
        *people_sections(ctx, program, lists, people),
        _undelivered_section(failed, failed_pairs, people),
        *_held(ctx),
    ]
    if program.purpose:
        blocks.insert(0, section("Purpose: ", program.purpose))
    return MessageView(
        notification=f"Status of {program.name}", title=f"{program.name}: status", blocks=blocks
    )


@dataclass(frozen=True)
class Counts:
    mentors: int
    mentees: int
    pairs: int
    concerns: int


def _active_pairs(program: Program) -> tuple[ColumnElement[bool], ...]:
    return (col(Pair.program_id) == program.id, col(Pair.state) == PairState.ACTIVE)


def _open_concerns_seen(ctx: Context, program: Program) -> tuple[ColumnElement[bool], ...]:
    # Never one about a pair the viewer is in: the other member must not learn of it.
    return (
        col(Concern.program_id) == program.id,
        col(Concern.status) != ConcernStatus.RESOLVED,
        seen_by(ctx.me),
    )


async def _counts(ctx: Context, program: Program) -> Counts:
    """Every number status shows, in one query."""

    def members(role: Role) -> ScalarSelect[int]:
        return (
            select(func.count())
            .select_from(Membership)
            .where(Membership.program_id == program.id, Membership.role == role)
            .scalar_subquery()
        )

    pairs = select(func.count()).select_from(Pair).where(*_active_pairs(program))
    concerns = (
        select(func.count())
        .select_from(Concern)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .where(*_open_concerns_seen(ctx, program))
    )
    query = select(
        members(Role.MENTOR),
        members(Role.MENTEE),
        pairs.scalar_subquery(),
        concerns.scalar_subquery(),
    )
    row = (await ctx.session.exec(query)).one()
    return Counts(*(int(n) for n in row))


async def _managers(ctx: Context, program: Program) -> list[tuple[int, str]]:
    query = (
        select(Person.id, Membership.role)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(Membership.program_id == program.id, col(Membership.role).in_(MANAGER_ROLES))
        .order_by(Person.display_name, Person.id)
    )
    return [(int(person_id), role) for person_id, role in (await ctx.session.exec(query)).all()]


def _people_facts(managers: list[tuple[int, str]], counts: Counts, people: Mentions) -> list:
    backups = [p for p, role in managers if role == Role.BACKUP_MANAGER]
    facts = [fact("Managers", *_names([p for p, role in managers if role == Role.MANAGER], people))]
    if backups:
        facts.append(fact("Backup managers", *_names(backups, people)))
    facts.append(fact("Mentors", str(counts.mentors)))
    facts.append(fact("Mentees", str(counts.mentees)))
    return facts


def _names(ids: list[int], people: Mentions) -> list:
    parts: list = []
    for i, person_id in enumerate(ids):
        parts += ([", "] if i else []) + [people.get(person_id, UNKNOWN)]
    return parts or ["none"]


async def _pairs(ctx: Context, program: Program) -> list[Pair]:
    query = select(Pair).where(*_active_pairs(program)).order_by(Pair.id).limit(LIST_LIMIT)
    return list((await ctx.session.exec(query)).all())


def _pairs_section(pairs: list[Pair], total: int, people: Mentions) -> Section:
    lines: list[Inline] = [bold(f"Active pairs: {total}")]
    for pair in pairs:
        lines += text(
            "\n• ", _who(pair.mentor_id, people), " mentors ", _who(pair.mentee_id, people)
        )
    return section(*lines, *_more(total))


async def _open_concerns(ctx: Context, program: Program) -> list[tuple[Concern, Pair]]:
    query = (
        select(Concern, Pair)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .where(*_open_concerns_seen(ctx, program))
        .order_by(Concern.created_at, Concern.id)
        .limit(LIST_LIMIT)
    )
    return [(concern, pair) for concern, pair in (await ctx.session.exec(query)).all()]


def _concerns_section(
    ctx: Context, concerns: list[tuple[Concern, Pair]], total: int, people: Mentions
) -> Section:
    lines: list[Inline] = [bold(f"Open concerns: {total}")]
    for concern, pair in concerns:
        state = (
            "acknowledged" if concern.status == ConcernStatus.ACKNOWLEDGED else "not acknowledged"
        )
        lines += text(
            f"\n• #{concern.id} {concern.kind} · ",
            _who(pair.mentor_id, people),
            " & ",
            _who(pair.mentee_id, people),
            f" · raised {when(concern.created_at, ctx.me.timezone)} · {state}",
        )
    return section(*lines, *_more(total))


async def _failed(ctx: Context, program: Program) -> tuple[list[Failed], dict[int, Pair]]:
    """The failed rows the viewer may see (none about a concern on their own pair), and
    the pairs their greetings were for."""
    mine = (
        select(Concern.id)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .where(
            Concern.program_id == program.id,
            or_(col(Pair.mentor_id) == ctx.me.id, col(Pair.mentee_id) == ctx.me.id),
        )
    )
    query = (
        select(
            OutboxMessage.subject,
            OutboxMessage.recipient_id,
            OutboxMessage.last_error,
            OutboxMessage.pair_id,
            OutboxMessage.concern_id,
        )
        .where(
            OutboxMessage.program_id == program.id,
            OutboxMessage.status == OutboxStatus.FAILED,
            or_(
                col(OutboxMessage.concern_id).is_(None), col(OutboxMessage.concern_id).not_in(mine)
            ),
        )
        .order_by(col(OutboxMessage.id).desc())
    )
    rows = [Failed(*row) for row in (await ctx.session.exec(query)).all()]
    pair_ids = {f.pair_id for f in rows[:LIST_LIMIT] if f.subject == Subject.GREETING and f.pair_id}
    if not pair_ids:
        return rows, {}
    pairs = (await ctx.session.exec(select(Pair).where(col(Pair.id).in_(pair_ids)))).all()
    return rows, {p.id: p for p in pairs if p.id is not None}


def _undelivered_section(
    rows: list[Failed], pairs: dict[int, Pair], people: Mentions
) -> Section | Note:
    if not rows:
        return note("Every message has been delivered or is on its way.")
    lines: list[Inline] = [bold(f"Messages that could not be delivered: {len(rows)}")]
    for failed in rows[:LIST_LIMIT]:
        pair = pairs.get(failed.pair_id or 0) if failed.subject == Subject.GREETING else None
        members = (_who(pair.mentor_id, people), _who(pair.mentee_id, people)) if pair else None
        which = undelivered.what(failed, _who(failed.recipient_id, people), members)
        lines += text("\n• ", *which, f": {undelivered.why(failed.reason)}")
    return section(*lines, *_more(len(rows)))


def _held(ctx: Context) -> list[Section]:
    """The app unable to send at all (a revoked token): managers learn why nothing arrives."""
    return [
        section(
            bold("Messages cannot be sent at the moment: "),
            f"{reason}. Nothing is lost: they go out once an admin has fixed it.",
        )
        for reason in ctx.deps.delivery_alarms().values()
    ]


def _who(person_id: int, people: Mentions) -> Mention:
    return people.get(person_id, UNKNOWN)


def _more(total: int) -> list[str]:
    return [f"\n…and {total - LIST_LIMIT} more"] if total > LIST_LIMIT else []
