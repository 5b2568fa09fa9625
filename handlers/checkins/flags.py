"""At-risk flags from check-ins, for `status` (handlers/flags.py): a member whose last two
check-ins went unanswered, or who answered `struggling` twice in a row with no concern
raised. Read in one query, whatever the number of pairs; never about a pair the viewer is
in (its other member would learn how their partner answered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select

from handlers.context import Context
from handlers.flags import Flag
from storage.models import Checkin, Feeling, Pair, PairState, Program

UNANSWERED = "two check-ins in a row unanswered"
# A check-in counts as unanswered once it has had its chance: the reminder goes 3 working
# days after it, so two sent minutes apart (`checkin all` twice) flag nobody.
GRACE = timedelta(days=3)
STRUGGLING = "struggling twice in a row, no concern raised"


async def checkin_flags(ctx: Context, program: Program) -> list[Flag]:
    recent = func.row_number().over(
        partition_by=(col(Checkin.pair_id), col(Checkin.person_id)),
        order_by=(col(Checkin.asked_at).desc(), col(Checkin.id).desc()),
    )
    ranked = (
        select(
            col(Checkin.person_id).label("person_id"),
            col(Checkin.asked_at).label("asked_at"),
            col(Checkin.answered_at).label("answered_at"),
            col(Checkin.feeling).label("feeling"),
            col(Checkin.concern_id).label("concern_id"),
            col(Pair.id).label("pair_id"),
            col(Pair.mentor_id).label("mentor_id"),
            col(Pair.mentee_id).label("mentee_id"),
            recent.label("recent"),
        )
        .join(Pair, col(Pair.id) == Checkin.pair_id)
        .where(
            col(Checkin.program_id) == program.id,
            col(Pair.state) == PairState.ACTIVE,
            col(Pair.mentor_id) != ctx.me.id,
            col(Pair.mentee_id) != ctx.me.id,
        )
        .subquery()
    )
    query = (
        select(*ranked.c)
        .where(ranked.c.recent <= 2)
        .order_by(ranked.c.pair_id, ranked.c.person_id, ranked.c.recent)
    )
    rows = (await ctx.session.exec(query)).all()  # type: ignore[call-overload]
    last_two: dict[tuple[int, int], list] = {}
    for row in rows:
        last_two.setdefault((row.pair_id, row.person_id), []).append(row)
    missed_before = ctx.now - GRACE
    return [flag for two in last_two.values() if (flag := _flag(two, missed_before)) is not None]


def _flag(two: list, missed_before: datetime) -> Flag | None:
    if len(two) < 2:
        return None
    latest, before = two
    partner = before.mentee_id if before.mentor_id == before.person_id else before.mentor_id
    unanswered = latest.answered_at is None and before.answered_at is None
    if unanswered and _as_utc(latest.asked_at) <= missed_before:
        return Flag(before.pair_id, before.person_id, partner, UNANSWERED, before.asked_at)
    struggling = all(
        r.answered_at is not None and r.feeling == Feeling.STRUGGLING and r.concern_id is None
        for r in two
    )
    if struggling:
        return Flag(before.pair_id, before.person_id, partner, STRUGGLING, before.answered_at)
    return None


def _as_utc(at: datetime) -> datetime:
    """A subquery's column comes back without the UTCDateTime type: naive on SQLite."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
