"""What a manager does to a concern: acknowledge it, resolve it."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement
from sqlmodel import col, update

from handlers.commands import USAGE, ActOnConcern
from handlers.concerns.copies import refresh_dms
from handlers.concerns.reporter import tell_reporter
from handlers.concerns.view import person_by_id
from handlers.context import Context, Refusal
from handlers.escalation.start import stop
from handlers.people import mention
from handlers.roles import role_of
from handlers.views import (
    MessageView,
    Note,
    note,
    section,
)
from storage.models import (
    Concern,
    ConcernStatus,
    Pair,
    Program,
)


async def acknowledge(ctx: Context, concern_id: str, note: str | None = None) -> MessageView:
    concern = await _concern_for_manager(ctx, concern_id)
    changed = await _move(
        ctx,
        concern,
        col(Concern.status) == ConcernStatus.OPEN,
        status=ConcernStatus.ACKNOWLEDGED,
        acknowledged_by_id=ctx.me.id,
        acknowledged_at=ctx.now,
        acknowledged_note=note,
    )
    if not changed:
        return await _already(ctx, concern)
    await stop(ctx, concern)  # the escalation walk ends here, at whatever level it was
    await refresh_dms(ctx, concern)
    await tell_reporter(ctx, concern)
    ctx.audit("concern.acknowledge", f"concern:{concern.id}", concern.program_id)
    return MessageView(
        notification="You acknowledged the concern.",
        blocks=[
            section("You acknowledged the concern. The other managers can see that you have it."),
            await _reporter_told(ctx, concern, "you acknowledged it", note),
        ],
    )


async def resolve_concern(ctx: Context, concern_id: str, note: str | None = None) -> MessageView:
    concern = await _concern_for_manager(ctx, concern_id)
    changed = await _move(
        ctx,
        concern,
        col(Concern.status) != ConcernStatus.RESOLVED,
        status=ConcernStatus.RESOLVED,
        resolved_by_id=ctx.me.id,
        resolved_at=ctx.now,
        resolved_note=note,
    )
    if not changed:
        return await _already(ctx, concern)
    await stop(ctx, concern)  # resolved without an acknowledgement: the walk ends too
    await refresh_dms(ctx, concern)
    await tell_reporter(ctx, concern)
    ctx.audit("concern.resolve", f"concern:{concern.id}", concern.program_id)
    return MessageView(
        notification="You resolved the concern.",
        blocks=[
            section("You marked the concern resolved."),
            await _reporter_told(ctx, concern, "it is resolved", note),
        ],
    )


async def act_by_command(ctx: Context, command: ActOnConcern) -> MessageView:
    """`concern ack 3 [note]`, `concern resolve 3 [note]`: what the DM's buttons do."""
    act = acknowledge if command.action == "ack" else resolve_concern
    try:
        return await act(ctx, command.number, command.note)
    except Refusal as refusal:
        if refusal.problem != NOT_YOURS:
            raise
        # Typed, not clicked: the number may be a slip, so say where the numbers are.
        raise Refusal(f"{NOT_YOURS} {WHERE_NUMBERS}", USAGE["concern act"]) from None


async def _reporter_told(ctx: Context, concern: Concern, what: str, words: str | None) -> Note:
    reporter = await mention(ctx.session, await person_by_id(ctx, concern.reporter_id))
    if words:
        return note(
            reporter,
            f", who raised it, has been told that {what}. Your note is for the managers only.",
        )
    return note(reporter, f", who raised it, has been told that {what}.")


async def _move(
    ctx: Context, concern: Concern, allowed: ColumnElement[bool], **values: object
) -> bool:
    """Change the concern only if it is still in a state that allows it: of two managers
    clicking at once, one wins and the other is told who did. (Reading, then writing, would
    let a late Acknowledge reopen a resolved concern.)"""
    statement = update(Concern).where(col(Concern.id) == concern.id, allowed).values(**values)
    result = await ctx.session.exec(statement)  # type: ignore[call-overload]
    await ctx.session.refresh(concern)
    return bool(result.rowcount)


# One answer whether the concern does not exist, is another program's, or is about the
# caller's own pair: a different answer would let a manager in a pair probe the
# (sequential) ids and learn that a concern about their pair was raised.
NOT_YOURS = "There is no concern with that number that you can act on."
WHERE_NUMBERS = "`status` lists the open concerns you can act on, with their numbers."
CONCERN_ID = re.compile(r"[0-9]{1,10}")  # str.isdigit() also takes "²", which int() refuses
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers: a larger number names no concern


async def _concern_for_manager(ctx: Context, concern_id: str) -> Concern:
    number = int(concern_id) if CONCERN_ID.fullmatch(concern_id) else None
    number = number if number is not None and number <= LARGEST_ID else None
    concern = await ctx.session.get(Concern, number) if number is not None else None
    program = await ctx.session.get(Program, concern.program_id) if concern else None
    if concern is None or program is None or await role_of(ctx, program, ctx.me) is None:
        raise Refusal(NOT_YOURS)
    pair = await ctx.session.get(Pair, concern.pair_id)
    if pair and ctx.me.id in (pair.mentor_id, pair.mentee_id):
        raise Refusal(NOT_YOURS)
    return concern


async def _already(ctx: Context, concern: Concern) -> MessageView:
    done_by = (
        concern.resolved_by_id
        if concern.status == ConcernStatus.RESOLVED
        else concern.acknowledged_by_id
    )
    who = "you" if done_by == ctx.me.id else (await person_by_id(ctx, done_by)).display_name
    return MessageView(
        notification=f"Already {concern.status}.",
        blocks=[section(f"This concern was already {concern.status} by {who}.")],
    )
