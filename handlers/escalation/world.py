"""What a batch of walk steps needs to know, read in seven queries however many concerns it
holds: the concerns (locked, in id order, so that two sweeps or a sweep and an
acknowledgement take them in the same order), their pairs and programs, each program's
managers and backups, each concern's copies so far, everyone as a mention, and the
check-ins that raised them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.escalation.history import Copy, copies_of
from handlers.mentions import mentions_of
from handlers.roles import Levels
from handlers.views import Mention
from storage.models import (
    MANAGER_ROLES,
    Checkin,
    Concern,
    Membership,
    Pair,
    Person,
    Program,
    Role,
)


@dataclass
class World:
    concerns: dict[int, Concern] = field(default_factory=dict)
    pairs: dict[int, Pair] = field(default_factory=dict)
    programs: dict[int, Program] = field(default_factory=dict)
    levels: dict[int, Levels] = field(default_factory=dict)  # by program
    copies: dict[int, list[Copy]] = field(default_factory=dict)  # by concern
    people: dict[int, Person] = field(default_factory=dict)  # managers and pair members
    mentions: dict[int, Mention] = field(default_factory=dict)
    checkins: dict[int, Checkin] = field(default_factory=dict)  # by the concern it raised


async def load(session: AsyncSession, concern_ids: set[int]) -> World:
    world = World()
    if not concern_ids:
        return world
    await _concerns(session, world, concern_ids)
    await _levels(session, world)
    world.copies = await copies_of(session, world.concerns)
    ids = set(world.people) | {c.recipient_id for cs in world.copies.values() for c in cs}
    world.mentions = await mentions_of(session, ids)
    query = select(Checkin).where(col(Checkin.concern_id).in_(sorted(world.concerns)))
    world.checkins = {c.concern_id: c for c in (await session.exec(query)).all() if c.concern_id}
    return world


async def _concerns(session: AsyncSession, world: World, concern_ids: set[int]) -> None:
    query = (
        select(Concern, Pair, Program)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .join(Program, col(Program.id) == Concern.program_id)
        .where(col(Concern.id).in_(sorted(concern_ids)))
        .order_by(col(Concern.id))
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(of=Concern)  # type: ignore[arg-type]
    for concern, pair, program in (await session.exec(query)).all():
        assert concern.id is not None and pair.id is not None and program.id is not None
        world.concerns[concern.id] = concern
        world.pairs[pair.id] = pair
        world.programs[program.id] = program


async def _levels(session: AsyncSession, world: World) -> None:
    """Each program's managers and backups, then the pairs' members, as people."""
    query = (
        select(Person, Membership.program_id, Membership.role)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(
            col(Membership.program_id).in_(sorted(world.programs)),
            col(Membership.role).in_(MANAGER_ROLES),
        )
        .order_by(Person.display_name, Person.id)
    )
    world.levels = {p: Levels([], []) for p in world.programs}
    for person, program_id, role in (await session.exec(query)).all():
        assert person.id is not None
        world.people[person.id] = person
        level = world.levels[program_id]
        (level.managers if role == Role.MANAGER else level.backups).append(person)
    members = {m for pair in world.pairs.values() for m in (pair.mentor_id, pair.mentee_id)}
    query_members = select(Person).where(col(Person.id).in_(sorted(members - set(world.people))))
    for person in (await session.exec(query_members)).all():
        assert person.id is not None
        world.people[person.id] = person
