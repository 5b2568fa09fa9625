"""`status`: a program's health at a glance, for its managers."""

from __future__ import annotations

from sqlalchemy import Select
from sqlmodel import col, func, select

from handlers.commands import Status
from handlers.concerns import seen_by
from handlers.context import Context
from handlers.people import mention
from handlers.programs import managed_program, managers_of
from handlers.timefmt import when
from handlers.views import Facts, Inline, MessageView, bold, fact, note, section, text
from storage.models import (
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
)

LIST_LIMIT = 15


async def status(ctx: Context, command: Status) -> MessageView:
    program = await managed_program(ctx, command.program)
    blocks = [
        Facts(facts=await _people_facts(ctx, program)),
        *await _pairs(ctx, program),
        *await _open_concerns(ctx, program),
        *await _undelivered(ctx, program),
    ]
    if program.purpose:
        blocks.insert(0, section("Purpose: ", program.purpose))
    return MessageView(
        notification=f"Status of {program.name}", title=f"{program.name}: status", blocks=blocks
    )


async def _people_facts(ctx: Context, program: Program) -> list:
    managers = await managers_of(ctx, program, Role.MANAGER)
    backups = await managers_of(ctx, program, Role.BACKUP_MANAGER)
    facts = [fact("Managers", *await _names(ctx, managers))]
    if backups:
        facts.append(fact("Backup managers", *await _names(ctx, backups)))
    for role in (Role.MENTOR, Role.MENTEE):
        count = await _count(
            ctx,
            select(func.count())
            .select_from(Membership)
            .where(Membership.program_id == program.id, Membership.role == role),
        )
        facts.append(fact(f"{role.value.capitalize()}s", str(count)))
    return facts


async def _names(ctx: Context, people: list[Person]) -> list:
    parts: list = []
    for i, person in enumerate(people):
        parts += ([", "] if i else []) + [await mention(ctx.session, person)]
    return parts or ["none"]


async def _count(ctx: Context, query: Select[tuple[int]]) -> int:
    return int((await ctx.session.exec(query)).one())


async def _pairs(ctx: Context, program: Program) -> list:
    query = (
        select(Pair)
        .where(Pair.program_id == program.id, Pair.state == PairState.ACTIVE)
        .order_by(Pair.id)
    )
    pairs = list((await ctx.session.exec(query)).all())
    lines: list[Inline] = [bold(f"Active pairs: {len(pairs)}")]
    for pair in pairs[:LIST_LIMIT]:
        mentor = await mention(ctx.session, await ctx.session.get(Person, pair.mentor_id))
        mentee = await mention(ctx.session, await ctx.session.get(Person, pair.mentee_id))
        lines += text("\n• ", mentor, " mentors ", mentee)
    if len(pairs) > LIST_LIMIT:
        lines += text(f"\n…and {len(pairs) - LIST_LIMIT} more")
    return [section(*lines)]


async def _open_concerns(ctx: Context, program: Program) -> list:
    query = (
        select(Concern)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .where(
            Concern.program_id == program.id,
            Concern.status != ConcernStatus.RESOLVED,
            seen_by(ctx.me),
        )
        .order_by(Concern.created_at)
    )
    concerns = list((await ctx.session.exec(query)).all())
    lines: list[Inline] = [bold(f"Open concerns: {len(concerns)}")]
    for concern in concerns[:LIST_LIMIT]:
        pair = await ctx.session.get(Pair, concern.pair_id)
        assert pair is not None
        mentor = await mention(ctx.session, await ctx.session.get(Person, pair.mentor_id))
        mentee = await mention(ctx.session, await ctx.session.get(Person, pair.mentee_id))
        state = (
            "acknowledged" if concern.status == ConcernStatus.ACKNOWLEDGED else "not acknowledged"
        )
        lines += text(
            f"\n• #{concern.id} {concern.kind} · ",
            mentor,
            " & ",
            mentee,
            f" · raised {when(concern.created_at, ctx.me.timezone)} · {state}",
        )
    return [section(*lines)]


async def _undelivered(ctx: Context, program: Program) -> list:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.program_id == program.id, OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(col(OutboxMessage.id).desc())
    )
    failed = list((await ctx.session.exec(query)).all())
    if not failed:
        return [note("Every message has been delivered or is on its way.")]
    lines: list[Inline] = [bold(f"Messages that could not be delivered: {len(failed)}")]
    for row in failed[:LIST_LIMIT]:
        who = await mention(ctx.session, await ctx.session.get(Person, row.recipient_id))
        lines += text("\n• to ", who, f": {row.last_error or 'unknown error'}")
    return [section(*lines)]
