"""The at-risk flag of a member paired before confirming their role briefing, for `status`
(handlers/flags.py). `pair` warns of it first (handlers/risks.py); once the manager goes
ahead, the pair starts with someone who has not read what is expected of them, and this
keeps it in view until they confirm.

Since when: the pairing. The flag is about the pair, which has run without the member's
confirmation since then; a briefing still waiting for working hours does not move it.
The briefing that counts is the one of the role they are paired in (someone enrolled as
both mentor and mentee confirms each). Read in one query, whatever the number of pairs;
never about a pair the viewer is in, like every flag."""

from __future__ import annotations

from sqlmodel import and_, col, or_, select

from handlers.context import Context
from handlers.flags import Flag
from storage.models import Membership, Pair, PairState, Program, Role

UNBRIEFED = "briefing not confirmed when paired"


async def briefing_flags(ctx: Context, program: Program) -> list[Flag]:
    briefed_in_role = and_(
        col(Membership.program_id) == col(Pair.program_id),
        or_(
            and_(col(Membership.person_id) == col(Pair.mentor_id), Membership.role == Role.MENTOR),
            and_(col(Membership.person_id) == col(Pair.mentee_id), Membership.role == Role.MENTEE),
        ),
    )
    query = (
        select(Pair.id, Pair.mentor_id, Pair.mentee_id, Pair.created_at, Membership.person_id)
        .join(Membership, briefed_in_role)
        .where(
            col(Pair.program_id) == program.id,
            col(Pair.state) == PairState.ACTIVE,
            col(Pair.mentor_id) != ctx.me.id,
            col(Pair.mentee_id) != ctx.me.id,
            col(Membership.briefing_confirmed_at).is_(None),
        )
    )
    rows = (await ctx.session.exec(query)).all()
    return [
        Flag(
            pair_id=pair_id,
            person_id=person_id,
            partner_id=mentee_id if person_id == mentor_id else mentor_id,
            reason=UNBRIEFED,
            since=paired_at,
        )
        for pair_id, mentor_id, mentee_id, paired_at, person_id in rows
    ]
