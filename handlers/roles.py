"""Who has which role in a program: the questions every manager's command asks first, and
who is responsible for a pair's concerns."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select

from handlers.context import Context, Refusal
from handlers.grammar import quote
from storage.models import MANAGER_ROLES, Membership, Person, Program, Role


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


async def managed_program(ctx: Context, name: str | None) -> Program:
    """The program a manager's command is about: named, or the only one they manage."""
    if name is not None:
        program = (
            await ctx.session.exec(select(Program).where(Program.name_key == name_key(name)))
        ).first()
        if program is None or not await manages(ctx, program):
            raise Refusal(f"You don't manage a program called “{name}”.")
        return program
    programs = await programs_managed_by(ctx, ctx.me)
    if not programs:
        raise Refusal("Only a program's managers can do that, and you don't manage a program.")
    if len(programs) > 1:
        names = ", ".join(f"“{p.name}”" for p in programs)
        raise Refusal(
            f'You manage several programs ({names}); add `program "<name>"` at the end of '
            f"the command, as in `status program {quote(programs[0].name)}`."
        )
    return programs[0]


async def programs_managed_by(ctx: Context, person: Person) -> list[Program]:
    query = (
        select(Program)
        .join(Membership, col(Membership.program_id) == Program.id)
        .where(Membership.person_id == person.id, col(Membership.role).in_(MANAGER_ROLES))
        .order_by(Program.name)
        .distinct()
    )
    return list((await ctx.session.exec(query)).all())


async def manages(ctx: Context, program: Program) -> bool:
    return await role_of(ctx, program, ctx.me) is not None


async def role_of(ctx: Context, program: Program, person: Person) -> str | None:
    query = select(Membership.role).where(
        Membership.program_id == program.id,
        Membership.person_id == person.id,
        col(Membership.role).in_(MANAGER_ROLES),
    )
    return (await ctx.session.exec(query)).first()


async def has_role(ctx: Context, program: Program, person: Person, role: str) -> bool:
    query = select(Membership.id).where(
        Membership.program_id == program.id,
        Membership.person_id == person.id,
        Membership.role == role,
    )
    return (await ctx.session.exec(query)).first() is not None


async def managers_of(ctx: Context, program: Program, role: Role) -> list[Person]:
    query = (
        select(Person)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(Membership.program_id == program.id, Membership.role == role)
        .order_by(Person.display_name)
    )
    return list((await ctx.session.exec(query)).all())


@dataclass(frozen=True)
class Recipients:
    people: list[Person]
    role: Role | None  # the level that was told; None when no one outside the pair is left


@dataclass(frozen=True)
class Levels:
    """A program's managers, then its backups: who a pair's concerns go to, in that order."""

    managers: list[Person]
    backups: list[Person]

    def outside(self, members: Collection[int | None]) -> Recipients:
        """Who is told of a concern about a pair of these members: never someone in it;
        the backups if no manager is left."""
        first = self.first_level(members)
        if first is None:
            return Recipients([], None)
        return Recipients(self.at(first, members), LEVEL_ROLES[first - 1])

    def at(self, level: int, members: Collection[int | None]) -> list[Person]:
        """Level 1 (the managers) or 2 (the backups), but whoever is in the pair."""
        people = self.managers if level == 1 else self.backups if level == 2 else []
        return [p for p in people if p.id not in members]

    def first_level(self, members: Collection[int | None]) -> int | None:
        """The first level with someone outside the pair: the concern's first to be told."""
        return next((n for n in LEVELS if self.at(n, members)), None)

    def last_level(self, members: Collection[int | None]) -> int | None:
        """The last level with someone outside the pair: where an escalation stops."""
        return next((n for n in reversed(LEVELS) if self.at(n, members)), None)


LEVEL_ROLES = (Role.MANAGER, Role.BACKUP_MANAGER)  # the roles of levels 1 and 2
LEVELS = (1, 2)


async def levels_of(ctx: Context, program: Program) -> Levels:
    return Levels(
        await managers_of(ctx, program, Role.MANAGER),
        await managers_of(ctx, program, Role.BACKUP_MANAGER),
    )
