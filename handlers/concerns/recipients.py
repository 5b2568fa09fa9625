"""Who is told of a concern, and which concerns a manager may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import and_, col

from handlers.context import Context
from handlers.roles import managers_of
from storage.models import (
    Pair,
    Person,
    Program,
    Role,
)


@dataclass(frozen=True)
class Recipients:
    people: list[Person]
    role: Role | None  # the level that was told; None when no one outside the pair is left


async def recipients_for(ctx: Context, program: Program, pair: Pair) -> Recipients:
    """The managers to tell: never one who is in the pair; backups if no manager is left."""
    in_pair = {pair.mentor_id, pair.mentee_id}
    for role in (Role.MANAGER, Role.BACKUP_MANAGER):
        people = [p for p in await managers_of(ctx, program, role) if p.id not in in_pair]
        if people:
            return Recipients(people, role)
    return Recipients([], None)


def seen_by(manager: Person) -> ColumnElement[bool]:
    """Concerns a manager may see in lists and counts (joined with Pair): never one about a
    pair they are in, so its other member does not learn that it was raised."""
    return and_(col(Pair.mentor_id) != manager.id, col(Pair.mentee_id) != manager.id)
