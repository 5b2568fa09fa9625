"""Where each claimed outbox row goes, looked up for a whole claim in one query per kind
(not one session per row): a new message goes to the identity its recipient used last, on
a platform this process can reach; an update goes wherever its original was sent; an
answer with a `reply_to` goes back the way its request came."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.ports import Address, PermanentFailure, SentRef
from storage.models import Identity, OutboxMessage, Person


@dataclass(frozen=True)
class Original:
    """The message an update replaces, as it stood when the update was claimed."""

    status: str
    platform: str | None
    sent_ref: SentRef | None


@dataclass(frozen=True)
class Reply:
    """An answer that goes back the way its request came (a Slack response_url), not to
    the person's DM."""

    platform: str
    reply_to: dict[str, Any]


Target = Address | Original | Reply | PermanentFailure


async def targets(
    session: AsyncSession, rows: Sequence[OutboxMessage], platforms: Collection[str]
) -> dict[int, Target]:
    """Each row's target, by row id."""
    people = {r.recipient_id for r in rows if r.replaces_id is None and not r.reply_to}
    originals = await _originals(session, {r.replaces_id for r in rows if r.replaces_id})
    addresses = await _addresses(session, people, platforms)
    found: dict[int, Target] = {}
    for row in rows:
        assert row.id is not None
        if row.replaces_id is not None:
            found[row.id] = originals[row.replaces_id]
        elif row.reply_to:
            found[row.id] = _reply(row.reply_to, platforms)
        else:
            found[row.id] = addresses[row.recipient_id]
    return found


def _reply(reply_to: dict[str, Any], platforms: Collection[str]) -> Reply | PermanentFailure:
    platform = reply_to.get("platform")
    if isinstance(platform, str) and platform in platforms:
        return Reply(platform, reply_to)
    return PermanentFailure(f"cannot reply on {platform}: not a connected platform")


async def _originals(session: AsyncSession, ids: set[int]) -> dict[int, Original]:
    if not ids:
        return {}
    query = select(
        OutboxMessage.id, OutboxMessage.status, OutboxMessage.platform, OutboxMessage.sent_ref
    ).where(OutboxMessage.id.in_(ids))  # type: ignore[union-attr]
    rows = (await session.exec(query)).all()
    return {row_id: Original(status, platform, ref) for row_id, status, platform, ref in rows}


async def _addresses(
    session: AsyncSession, people: set[int], platforms: Collection[str]
) -> dict[int, Address | PermanentFailure]:
    if not people:
        return {}
    query = (
        select(Identity, Person.last_identity_id)
        .join(Person, Person.id == Identity.person_id)  # type: ignore[arg-type]
        .where(Identity.person_id.in_(people))  # type: ignore[attr-defined]
    )
    known: dict[int, list[tuple[Identity, int | None]]] = defaultdict(list)
    for identity, last_used in (await session.exec(query)).all():
        known[identity.person_id].append((identity, last_used))
    return {person: _reach(known[person], platforms) for person in people}


def _reach(
    identities: list[tuple[Identity, int | None]], platforms: Collection[str]
) -> Address | PermanentFailure:
    """The identity the person used last, on a platform this process can reach."""
    never = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(
        identities,
        # On a tie the older identity, whatever order the database returned them in.
        key=lambda pair: (pair[0].id == pair[1], pair[0].last_seen_at or never, -(pair[0].id or 0)),
        reverse=True,
    )
    for identity, _ in ranked:
        if identity.platform in platforms:
            return Address(
                identity.platform,
                identity.external_id,
                identity.workspace_id,
                identity.address or {},
            )
    known_on = ", ".join(sorted({i.platform for i, _ in identities})) or "none"
    return PermanentFailure(f"not reachable on a connected platform (known on: {known_on})")
