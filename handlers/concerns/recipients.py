"""Who is told of a concern, and which concerns a manager may see."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import and_, col

from handlers.context import Context
from handlers.roles import Recipients, levels_of
from storage.models import Pair, Person, Program


async def recipients_for(ctx: Context, program: Program, pair: Pair) -> Recipients:
    """The managers to tell about this pair's concerns, as the program stands now: never
    one who is in the pair; backups if no manager is left."""
    return (await levels_of(ctx, program)).outside({pair.mentor_id, pair.mentee_id})


def seen_by(manager: Person) -> ColumnElement[bool]:
    """Concerns a manager may see in lists and counts (joined with Pair): never one about a
    pair they are in, so its other member does not learn that it was raised."""
    return and_(col(Pair.mentor_id) != manager.id, col(Pair.mentee_id) != manager.id)
