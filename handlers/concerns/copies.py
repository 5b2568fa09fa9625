"""The managers' copies of a concern: sent, handed over to a new manager, updated in
place as the concern moves on, emptied when a manager leaves."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, select, update

from handlers.concerns.view import concern_view, pair_mentions, person_by_id
from handlers.context import Context
from handlers.roles import levels_of, role_of
from handlers.views import (
    MessageView,
    note,
)
from storage import outbox
from storage.models import (
    Concern,
    ConcernStatus,
    OutboxMessage,
    OutboxStatus,
    Pair,
    Person,
    Program,
    Subject,
)


async def hand_over(ctx: Context, program: Program) -> dict[int, int]:
    """Send every unresolved concern of the program to whoever is responsible for it now:
    called whenever who manages the program changes (a manager or backup added, removed,
    or moved from one level to the other), so that no concern waits on someone who has
    left, and one no one could be told reaches the first person who can. Each person is
    sent a concern once (its dedupe key); a manager added back gets their emptied copy back.

    Returns how many concerns each person was sent that the caller may know of: a
    concern about the caller's own pair is sent but not counted, or the count would tell
    them it was raised."""
    levels = await levels_of(ctx, program)
    query = (
        select(Concern)
        .where(Concern.program_id == program.id, Concern.status != ConcernStatus.RESOLVED)
        .order_by(Concern.id)
    )
    handed: dict[int, int] = {}
    for concern in (await ctx.session.exec(query)).all():
        pair = await ctx.session.get(Pair, concern.pair_id)
        assert pair is not None
        members = {pair.mentor_id, pair.mentee_id}
        people = None
        for manager in levels.outside(members).people:
            people = people or await pair_mentions(ctx, pair)
            view = await concern_view(ctx, concern, manager, people)
            given = await send_dm(ctx, concern, manager, view)
            given = given or await _restore(ctx, concern, manager, view)
            if given and ctx.me.id not in members:
                assert manager.id is not None
                handed[manager.id] = handed.get(manager.id, 0) + 1
    return handed


async def send_dm(ctx: Context, concern: Concern, manager: Person, view: MessageView) -> bool:
    return await ctx.say(
        f"concern:{concern.id}:manager:{manager.id}",
        manager,
        view,
        subject=Subject.CONCERN,
        program_id=concern.program_id,
        pair_id=concern.pair_id,
        concern_id=concern.id,
        urgent=True,
    )


def _dms_of(concern_id: int | None) -> ColumnElement[bool]:
    """The DMs managers were sent about a concern (not their updates)."""
    return and_(
        col(OutboxMessage.subject) == Subject.CONCERN, col(OutboxMessage.concern_id) == concern_id
    )


async def _restore(ctx: Context, concern: Concern, manager: Person, view: MessageView) -> bool:
    """Show a manager added back the concern their copy was emptied of when removed.
    False when their copy still shows it (a backup made a manager, say)."""
    original = (
        await ctx.session.exec(
            select(OutboxMessage).where(
                _dms_of(concern.id), OutboxMessage.recipient_id == manager.id
            )
        )
    ).one()
    newest = (
        await ctx.session.exec(
            select(OutboxMessage.view)
            .where(
                OutboxMessage.replaces_id == original.id, OutboxMessage.status != outbox.SUPERSEDED
            )
            .order_by(col(OutboxMessage.id).desc())
            .limit(1)
        )
    ).first()
    if (newest or original.view) != WITHDRAWN.to_json():
        return False
    await _show(ctx, original, manager, view, state=f"restored@{ctx.now:%Y%m%dT%H%M%S}")
    return True


async def refresh_dms(ctx: Context, concern: Concern) -> None:
    """Every current manager's copy shows the new state: in place once sent, or before it
    is sent. A former manager's copy was emptied when they were removed (`withdraw`)."""
    ctx.session.add(concern)
    # In the order they were sent, on every database (PostgreSQL returns an updated row last).
    query = select(OutboxMessage).where(_dms_of(concern.id)).order_by(col(OutboxMessage.id))
    program = await ctx.session.get(Program, concern.program_id)
    assert program is not None
    for original in (await ctx.session.exec(query)).all():
        recipient = await person_by_id(ctx, original.recipient_id)
        if await role_of(ctx, program, recipient) is not None:
            view = await concern_view(ctx, concern, recipient)
            await _show(ctx, original, recipient, view, state=concern.status)


async def withdraw(ctx: Context, program: Program, former: Person) -> None:
    """A manager removed from a program keeps no concern's words: every DM they were sent
    about one of its concerns is emptied in place (or before it is sent)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.program_id == program.id,
            OutboxMessage.recipient_id == former.id,
            OutboxMessage.subject == Subject.CONCERN,
        )
        .order_by(col(OutboxMessage.id))
    )
    for original in (await ctx.session.exec(query)).all():
        # Dated: a manager removed, added back and removed again is emptied again.
        await _show(ctx, original, former, WITHDRAWN, state=f"withdrawn@{ctx.now:%Y%m%dT%H%M%S}")


async def _show(
    ctx: Context, original: OutboxMessage, recipient: Person, view: MessageView, *, state: str
) -> None:
    """Make `original` (a concern DM) show `view`: rewritten if not sent yet, else updated
    in place by a newer message that supersedes any update still waiting."""
    if await _rewrite_unsent(ctx, original, view):
        return
    if original.status in (OutboxStatus.PENDING, OutboxStatus.SENT):
        await outbox.supersede_pending_updates(ctx.session, original.id)
        await ctx.say(
            f"concern:{original.concern_id}:{state}:update:{recipient.id}",
            recipient,
            view,
            subject=Subject.CONCERN_UPDATE,
            program_id=original.program_id,
            pair_id=original.pair_id,
            concern_id=original.concern_id,
            replaces_id=original.id,
            urgent=True,
        )


WITHDRAWN = MessageView(
    notification="A concern in a program you no longer manage.",
    blocks=[note("This concern is handled by the program's managers.")],
)


async def _rewrite_unsent(ctx: Context, original: OutboxMessage, view: MessageView) -> bool:
    """Give a DM not yet sent its new content, so it goes out as it stands. Only while no
    dispatcher holds it: a claimed row may be on its way with the old content, and then
    an update of the sent message follows it instead."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == original.id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.attempts) == 0,
            col(OutboxMessage.claimed_until).is_(None),
        )
        .values(view=view.to_json())
    )
    result = await ctx.session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)
