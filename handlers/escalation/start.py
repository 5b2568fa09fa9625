"""A concern's walk begun when a level is told, begun again when who is responsible changes,
and stopped when someone takes the concern. The walk is a chain of due items: each step,
when done, schedules the next (walk.py), so only the next step of a walk is ever pending."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Work
from handlers.escalation.policy import Policy, Step
from storage import due
from storage.models import Concern, Role

WALK = "escalation"  # a step of a walk falls due
CHECK = "escalation-check"  # a copy could not be delivered: is its level out of reach?


def level_of(role: Role | None) -> int | None:
    """The level of the role that was told: 1 the managers, 2 the backup managers."""
    return None if role is None else LEVEL_OF_ROLE[role]


LEVEL_OF_ROLE = {Role.MANAGER: 1, Role.BACKUP_MANAGER: 2}


def told_key(concern_id: int, level: int, person_id: int) -> str:
    """The outbox key of the copy that tells one person of a concern, at its level."""
    return f"{Step(level, 0).key(concern_id)}:{person_id}"


def reminder_key(concern_id: int, step: Step, person_id: int) -> str:
    """The outbox key of one reminder to one person: a restart or a second replica doing the
    same step again adds nothing."""
    return f"{step.key(concern_id)}:{person_id}"


async def begin(work: Work, concern: Concern, level: int | None, policy: Policy) -> None:
    """`level` was just told of `concern` (None: no one outside the pair could be): its
    deadlines count from now, and its first reminder is due one deadline on."""
    concern.level, concern.level_since = level, work.now
    work.session.add(concern)
    if level is None or concern.id is None:
        return
    await schedule(work, concern, Step(level, 1), policy.due(concern.severity, work.now, 1))


async def begin_again(work: Work, concern: Concern, level: int, policy: Policy) -> None:
    """The walk starts over at `level` (the levels before it are empty now)."""
    await stop(work, concern)
    await begin(work, concern, level, policy)


async def stop(work: Work, concern: Concern) -> None:
    """Acknowledged or resolved, or starting over: no step of the walk is left pending."""
    assert concern.id is not None
    await due.cancel_concerns(work.session, [concern.id], now=work.now)


async def schedule(
    work: Work, concern: Concern, step: Step, due_at: datetime, *, suffix: str = ""
) -> None:
    assert concern.id is not None
    await due.schedule(
        work.session,
        key=step.key(concern.id) + suffix,
        kind=WALK,
        due_at=due_at,
        now=work.now,
        program_id=concern.program_id,
        pair_id=concern.pair_id,
        concern_id=concern.id,
    )
