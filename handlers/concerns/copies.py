"""The managers' copies of a concern: sent, handed over to a new manager, updated in
place as the concern moves on, emptied when a manager leaves."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, select

from handlers.concerns.view import ConcernFacts, facts_of, pair_mentions, person_by_id, render
from handlers.context import Context
from handlers.escalation.policy import policy_of
from handlers.escalation.start import begin_again, told_key
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
    left, and one no one could be told reaches the first person who can. Responsible are
    the levels the concern has reached (its managers outside the pair, and its backups once
    it was escalated to them), starting from the first level with anyone outside the pair.
    When that first level lies past the level the concern had reached (no one is left
    there), its escalation walk starts over there. Each person is sent a concern once; a
    manager added back gets their emptied copy back.

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
        first = levels.first_level(members)
        if first is None:
            continue
        reached = max(first, concern.level or first)
        facts = None
        for level in range(first, reached + 1):
            for manager in levels.at(level, members):
                facts = facts or await facts_of(ctx, concern, await pair_mentions(ctx, pair))
                if await _give(ctx, facts, manager, level) and ctx.me.id not in members:
                    assert manager.id is not None
                    handed[manager.id] = handed.get(manager.id, 0) + 1
        if concern.level != reached:
            await _walk_from(ctx, concern, reached, program)
    return handed


async def _give(ctx: Context, facts: ConcernFacts, manager: Person, level: int) -> bool:
    """Send `manager` the concern, or give them back the copy emptied when they left; False
    when their copy shows it already."""
    view = render(facts, manager)
    if any(c.told and c.recipient_id == manager.id for c in facts.copies):
        return await _restore(ctx, facts.concern, manager, view)
    return await send_dm(ctx, facts.concern, manager, view, level)


async def _walk_from(ctx: Context, concern: Concern, level: int, program: Program) -> None:
    if concern.status == ConcernStatus.OPEN:  # an acknowledged concern is not walked
        await begin_again(ctx, concern, level, policy_of(program))
    else:
        concern.level, concern.level_since = level, ctx.now
        ctx.session.add(concern)


async def send_dm(
    ctx: Context, concern: Concern, manager: Person, view: MessageView, level: int
) -> bool:
    """Tell one manager of a concern, as one of its `level`: their copy, updated in place
    from then on."""
    assert concern.id is not None and manager.id is not None
    return await ctx.say(
        told_key(concern.id, level, manager.id),
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
            select(OutboxMessage)
            .where(_dms_of(concern.id), OutboxMessage.recipient_id == manager.id)
            .order_by(col(OutboxMessage.id))
        )
    ).first()
    assert original is not None
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
    """Every current manager's copies show the new state: the DM that told them and every
    reminder, in place once sent, or before it is sent (a reminder not sent yet is not
    sent at all: it would remind of what someone took). A former manager's copies were
    emptied when they were removed (`withdraw`)."""
    ctx.session.add(concern)
    # In the order they were sent, on every database (PostgreSQL returns an updated row last).
    query = select(OutboxMessage).where(_copies_of(concern.id)).order_by(col(OutboxMessage.id))
    program = await ctx.session.get(Program, concern.program_id)
    assert program is not None
    facts = await facts_of(ctx, concern)
    for original in (await ctx.session.exec(query)).all():
        if original.subject == Subject.ESCALATION and await outbox.drop_unsent(
            ctx.session, original.id
        ):
            continue
        recipient = await person_by_id(ctx, original.recipient_id)
        if await role_of(ctx, program, recipient) is not None:
            await _show(ctx, original, recipient, render(facts, recipient), state=concern.status)


def _copies_of(concern_id: int | None) -> ColumnElement[bool]:
    """Every message managers were sent about a concern: told of it, or reminded."""
    return and_(
        col(OutboxMessage.subject).in_((Subject.CONCERN, Subject.ESCALATION)),
        col(OutboxMessage.concern_id) == concern_id,
    )


async def withdraw(ctx: Context, program: Program, former: Person) -> None:
    """A manager removed from a program keeps no concern's words: every DM they were sent
    about one of its concerns is emptied in place (or before it is sent)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.program_id == program.id,
            OutboxMessage.recipient_id == former.id,
            col(OutboxMessage.subject).in_((Subject.CONCERN, Subject.ESCALATION)),
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
    if await outbox.rewrite_unsent(ctx.session, original.id, view.to_json()):
        return
    if original.status in (OutboxStatus.PENDING, OutboxStatus.SENT):
        await outbox.supersede_pending_updates(ctx.session, original.id)
        await ctx.say(
            _update_key(original, recipient, state),
            recipient,
            view,
            subject=Subject.CONCERN_UPDATE,
            program_id=original.program_id,
            pair_id=original.pair_id,
            concern_id=original.concern_id,
            replaces_id=original.id,
            urgent=True,
        )


def _update_key(original: OutboxMessage, recipient: Person, state: str) -> str:
    """A person's DM telling them of a concern is updated once per state; each reminder too."""
    if original.subject == Subject.ESCALATION:
        return f"escalation:{original.concern_id}:reminder:{original.id}:{state}:update"
    return f"concern:{original.concern_id}:{state}:update:{recipient.id}"


WITHDRAWN = MessageView(
    notification="A concern in a program you no longer manage.",
    blocks=[note("This concern is handled by the program's managers.")],
)
