"""The reporter's side of a concern: told privately when it is acknowledged and when it
is resolved, and by whom; `concern status` shows where their concerns stand. They never
see a manager's note, and the notification text carries no one's words."""

from __future__ import annotations

from sqlmodel import col, func, select

from handlers.context import Context
from handlers.mentions import UNKNOWN, mentions_of
from handlers.timefmt import when
from handlers.views import CommandHint, Inline, Mention, MessageView, bold, note, section, text
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

LIST_LIMIT = 15
RAISE_FORM = "concern <kind> [what happened]"


async def tell_reporter(ctx: Context, concern: Concern) -> None:
    """Say what just happened to the concern (acknowledged or resolved), once each."""
    pair = await ctx.session.get(Pair, concern.pair_id)
    program = await ctx.session.get(Program, concern.program_id)
    assert pair and program and ctx.me.id is not None
    partner_id = pair.mentee_id if concern.reporter_id == pair.mentor_id else pair.mentor_id
    people = await mentions_of(ctx.session, (partner_id, ctx.me.id))
    reporter = await ctx.session.get(Person, concern.reporter_id)
    assert reporter is not None
    done = "resolved" if concern.status == ConcernStatus.RESOLVED else "acknowledged"
    raised = when(concern.created_at, reporter.timezone)
    blocks = [
        section(
            "The concern you raised about your pair with ",
            people.get(partner_id, UNKNOWN),
            " in ",
            bold(program.name),
            f" ({_kind(concern)}, {raised}) was {done} by ",
            people.get(ctx.me.id, UNKNOWN),
            ".",
        )
    ]
    if done == "resolved":
        blocks.append(
            note("If it is not resolved for you, raise it again: ", CommandHint(text=RAISE_FORM))
        )
    else:
        blocks.append(note("I will tell you when it is resolved. Your partner has not been told."))
    await ctx.say(
        f"concern:{concern.id}:{done}:reporter:{reporter.id}",
        reporter,
        MessageView(notification=f"Your concern was {done}.", blocks=blocks),
        subject=Subject.REPORTER_UPDATE,
        program_id=concern.program_id,
        pair_id=concern.pair_id,
        concern_id=concern.id,
        urgent=True,  # they are waiting to hear
    )


async def my_concerns(ctx: Context) -> MessageView:
    """`concern status`: the concerns the caller raised, newest first, and where each
    stands. A fixed number of queries, however many there are."""
    mine = Concern.reporter_id == ctx.me.id
    total = (await ctx.session.exec(select(func.count()).select_from(Concern).where(mine))).one()
    if not total:
        return MessageView(
            notification="You have raised no concerns.",
            blocks=[
                section(
                    "You have raised no concerns. To tell the program manager privately that "
                    "something is wrong: ",
                    CommandHint(text=RAISE_FORM),
                )
            ],
        )
    query = (
        select(Concern, Pair, Program)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .join(Program, col(Program.id) == Concern.program_id)
        .where(mine)
        .order_by(col(Concern.created_at).desc(), col(Concern.id).desc())
        .limit(LIST_LIMIT)
    )
    rows = (await ctx.session.exec(query)).all()
    told = await _told(ctx, [concern.id for concern, _, _ in rows])
    ids: set[int] = set()
    for concern, pair, _ in rows:
        ids |= {pair.mentor_id, pair.mentee_id}
        ids |= {i for i in (concern.acknowledged_by_id, concern.resolved_by_id) if i}
    people = await mentions_of(ctx.session, ids)
    lines: list[Inline] = [bold(f"Concerns you raised: {total}")]
    for concern, pair, program in rows:
        partner = pair.mentee_id if pair.mentor_id == ctx.me.id else pair.mentor_id
        lines += text(
            f"\n• {_kind(concern).capitalize()} · with ",
            people.get(partner, UNKNOWN),
            f" in {program.name} · raised {when(concern.created_at, ctx.me.timezone)} · ",
            *_where_it_stands(concern, concern.id in told, people),
        )
    if total > LIST_LIMIT:
        lines.append(f"\n…and {total - LIST_LIMIT} older")
    return MessageView(
        notification="Where your concerns stand.",
        blocks=[section(*lines), note("Your partner is never told of a concern.")],
    )


def _where_it_stands(
    concern: Concern, told: bool, people: dict[int, Mention]
) -> list[str | Mention]:
    acknowledged = concern.acknowledged_by_id
    if concern.status == ConcernStatus.RESOLVED:
        resolved: list[str | Mention] = [
            "resolved by ",
            people.get(concern.resolved_by_id, UNKNOWN),
        ]
        if acknowledged and acknowledged != concern.resolved_by_id:
            return ["acknowledged by ", people.get(acknowledged, UNKNOWN), ", ", *resolved]
        return resolved
    if acknowledged:
        return ["acknowledged by ", people.get(acknowledged, UNKNOWN)]
    if not told:
        return ["no one outside your pair could be told yet"]
    return ["not acknowledged yet"]


async def _told(ctx: Context, concern_ids: list[int | None]) -> set[int]:
    """Which of these concerns reached a manager: a DM was queued for one, and did not fail
    (a DM that could not be delivered told no one)."""
    query = select(OutboxMessage.concern_id).where(
        OutboxMessage.subject == Subject.CONCERN,
        col(OutboxMessage.concern_id).in_(concern_ids),
        OutboxMessage.status != OutboxStatus.FAILED,
    )
    return {i for i in (await ctx.session.exec(query)).all() if i is not None}


def _kind(concern: Concern) -> str:
    return concern.kind.replace("-", " ")
