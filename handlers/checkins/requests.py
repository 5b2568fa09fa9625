"""`checkin` by a pair member (a check-in now, for themselves), and `checkin @user|all` by
a manager (one sent now to each member named, inside their working hours)."""

from __future__ import annotations

from sqlmodel import col, or_, select

from handlers.checkin_command import CheckIn
from handlers.checkins.prompts import ask, next_ad_hoc_round
from handlers.commands import USAGE
from handlers.context import Context, Refusal
from handlers.pairing import active_pairs_of
from handlers.people import resolve
from handlers.roles import managed_program
from handlers.views import MessageView, bold, note, section
from storage.models import Pair, PairState, Person, Program

SENT_TO_YOU = "I have sent you a check-in privately: press Answer in it. Your partner is not told."


async def check_in(ctx: Context, command: CheckIn) -> MessageView:
    mine = await active_pairs_of(ctx, ctx.me)
    if command.everyone or command.program is not None:
        return await _for_others(ctx, command)
    if command.person is None:
        return await _for_me(ctx, mine)
    person = await resolve(ctx, command.person)
    with_them = [p for p in mine if person.id in (p.mentor_id, p.mentee_id)]
    if with_them and person.id != ctx.me.id:
        return await _for_me(ctx, with_them)
    return await _for_others(ctx, command, person)


async def _for_me(ctx: Context, pairs: list[Pair]) -> MessageView:
    if not pairs:
        raise Refusal("You are not in a mentoring pair, so there is nothing to check in on.")
    if len(pairs) > 1:
        names = [(await _partner(ctx, p)).display_name for p in pairs]
        raise Refusal(
            "You are in more than one pair; mention the partner it is about: "
            + ", ".join(names[:-1])
            + f" or {names[-1]}.",
            USAGE["checkin"],
        )
    [pair] = pairs
    checkin = await ask(ctx, pair, ctx.me, await next_ad_hoc_round(ctx, pair, ctx.me), urgent=True)
    ctx.audit("checkin.self", f"checkin:{checkin.id}", pair.program_id)
    return MessageView(notification="Check-in sent to you.", blocks=[section(SENT_TO_YOU)])


async def _for_others(ctx: Context, command: CheckIn, person: Person | None = None) -> MessageView:
    program = await managed_program(ctx, command.program)
    if person is None and command.person is not None:
        person = await resolve(ctx, command.person)
    members = await _members(ctx, program, person)
    if not members:
        raise Refusal(f"That person is in no active pair in {program.name}.", USAGE["checkin"])
    for pair, member in members:
        round_ = await next_ad_hoc_round(ctx, pair, member)
        await ask(ctx, pair, member, round_)
    ctx.audit("checkin.send", "all" if person is None else f"person:{person.id}", program.id)
    count = len(members)
    people = f"{count} {'person' if count == 1 else 'people'}"
    return MessageView(
        notification=f"Check-in sent in {program.name}.",
        blocks=[
            section("Sent a check-in to ", bold(people), " in ", bold(program.name), "."),
            note(
                "Each gets it in their working hours. Their answers stay private; "
                "one that signals trouble reaches you as a concern."
            ),
        ],
    )


async def _members(
    ctx: Context, program: Program, person: Person | None
) -> list[tuple[Pair, Person]]:
    query = select(Pair).where(Pair.program_id == program.id, Pair.state == PairState.ACTIVE)
    if person is not None:
        query = query.where(or_(col(Pair.mentor_id) == person.id, col(Pair.mentee_id) == person.id))
    members: list[tuple[Pair, Person]] = []
    for pair in (await ctx.session.exec(query.order_by(Pair.id))).all():
        for member_id in (pair.mentor_id, pair.mentee_id):
            if person is None or member_id == person.id:
                member = await ctx.session.get(Person, member_id)
                assert member is not None
                members.append((pair, member))
    return members


async def _partner(ctx: Context, pair: Pair) -> Person:
    other = pair.mentee_id if pair.mentor_id == ctx.me.id else pair.mentor_id
    person = await ctx.session.get(Person, other)
    assert person is not None
    return person
