"""Many people as mentions at once: one query however many there are, for lists."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.views import Mention
from storage.models import Identity, Person

UNKNOWN = Mention(name="someone no longer known")


async def mentions_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Mention]:
    """Each person by id, as `people.mention` would show them."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    query = (
        select(Person, Identity)
        .outerjoin(Identity, col(Identity.person_id) == Person.id)
        .where(col(Person.id).in_(ids))
        .order_by(Person.id, Identity.id)
    )
    found: dict[int, Mention] = {}
    for person, identity in (await session.exec(query)).all():
        assert person.id is not None
        mention = found.setdefault(person.id, Mention(name=person.display_name))
        if identity is not None:
            mention.handles[identity.platform] = identity.external_id
    return found
