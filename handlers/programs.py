"""Programs and who manages them."""

from __future__ import annotations

from sqlmodel import col, delete, select

from handlers.commands import USAGE, ManagersAdd, ManagersRemove, ProgramCreate
from handlers.concerns import hand_over, withdraw
from handlers.context import Context, Refusal
from handlers.people import mention, resolve
from handlers.roles import managed_program, managers_of, name_key, role_of
from handlers.views import CommandHint, MessageView, Note, bold, note, section
from storage.models import MANAGER_ROLES, Membership, Person, Program, Role


def is_admin(ctx: Context) -> bool:
    if ctx.caller.platform in ctx.deps.open_platforms:
        return True
    if not ctx.caller.from_home_workspace:
        return False  # an admin's id, or address, means nothing from another organisation
    ids = {ctx.caller.external_id.lower(), (ctx.me.email or "").lower()}
    ids |= {alias.lower() for alias in ctx.caller.aliases}
    return bool(ids & ctx.deps.admins)


async def create_program(ctx: Context, command: ProgramCreate) -> MessageView:
    if not is_admin(ctx):
        raise Refusal(
            "Only the people named in MENTORBOT_ADMINS can create programs. "
            "Ask whoever runs mentorbot here to add you."
        )
    key = name_key(command.name)
    if (await ctx.session.exec(select(Program).where(Program.name_key == key))).first():
        raise Refusal(
            f"There is already a program called “{command.name}”.", USAGE["program create"]
        )
    program = Program(
        name=command.name,
        name_key=key,
        purpose=command.purpose,
        created_by_id=ctx.me.id,
        created_at=ctx.now,
    )
    ctx.session.add(program)
    await ctx.session.flush()
    await _add_role(ctx, program, ctx.me, Role.MANAGER)
    ctx.audit("program.create", f"program:{program.id}", program.id)
    return MessageView(
        notification=f"Created the program {command.name}.",
        blocks=[
            section("Created the program ", bold(command.name), ". You manage it."),
            section(
                "Next: ",
                CommandHint(text="enrol @person mentor"),
                " or ",
                CommandHint(text="enrol @person mentee"),
                ", then ",
                CommandHint(text="pair @mentor @mentee"),
                ".",
            ),
        ],
    )


async def add_manager(ctx: Context, command: ManagersAdd) -> MessageView:
    program = await managed_program(ctx, command.program)
    person = await resolve(ctx, command.person)
    role = Role.BACKUP_MANAGER if command.backup else Role.MANAGER
    current = await role_of(ctx, program, person)
    who = await mention(ctx.session, person)
    label = "a backup manager" if command.backup else "a manager"
    if current == role:
        raise Refusal(f"{who.name} is already {label} of {program.name}.")
    if current == Role.MANAGER and await _last_manager(ctx, program):
        raise Refusal(f"{who.name} is the only manager of {program.name}; add another first.")
    await _clear_manager_roles(ctx, program, person)
    await _add_role(ctx, program, person, role)
    ctx.audit(f"managers.add.{role}", f"person:{person.id}", program.id)
    handed = await hand_over(ctx, program)
    blocks = [
        section(who, f" is now {label} of ", bold(program.name), "."),
        *await _handed(ctx, handed, person),
    ]
    return MessageView(notification=f"Added {label} to {program.name}.", blocks=blocks)


async def remove_manager(ctx: Context, command: ManagersRemove) -> MessageView:
    program = await managed_program(ctx, command.program)
    person = await resolve(ctx, command.person)
    current = await role_of(ctx, program, person)
    who = await mention(ctx.session, person)
    if current is None:
        raise Refusal(f"{who.name} does not manage {program.name}.", USAGE["managers remove"])
    if current == Role.MANAGER and await _last_manager(ctx, program):
        raise Refusal(f"{who.name} is the only manager of {program.name}; add another first.")
    await _clear_manager_roles(ctx, program, person)
    await withdraw(ctx, program, person)
    ctx.audit("managers.remove", f"person:{person.id}", program.id)
    # Whoever is responsible now (the backups, when no manager outside a pair is left)
    # is sent what the removed manager had: no concern waits on someone who has left.
    handed = await hand_over(ctx, program)
    return MessageView(
        notification=f"Removed a manager from {program.name}.",
        blocks=[
            section(who, " no longer manages ", bold(program.name), "."),
            *await _handed(ctx, handed),
        ],
    )


async def _handed(ctx: Context, handed: dict[int, int], added: Person | None = None) -> list[Note]:
    """Who was sent which open concerns, as far as the caller may know."""
    notes = []
    for person_id, count in handed.items():
        concerns = f"{count} open concern{'' if count == 1 else 's'} of the program"
        if added is not None and person_id == added.id:
            notes.append(note(f"They were sent {concerns}."))
            continue
        person = await ctx.session.get(Person, person_id)
        assert person is not None
        it = "it" if count == 1 else "them"
        notes.append(
            note(
                await mention(ctx.session, person),
                f" is now responsible for {concerns} and was sent {it}.",
            )
        )
    return notes


async def _last_manager(ctx: Context, program: Program) -> bool:
    return len(await managers_of(ctx, program, Role.MANAGER)) <= 1


async def _clear_manager_roles(ctx: Context, program: Program, person: Person) -> None:
    await ctx.session.exec(  # type: ignore[call-overload]
        delete(Membership).where(
            col(Membership.program_id) == program.id,
            col(Membership.person_id) == person.id,
            col(Membership.role).in_(MANAGER_ROLES),
        )
    )


async def _add_role(ctx: Context, program: Program, person: Person, role: Role) -> None:
    ctx.session.add(
        Membership(program_id=program.id, person_id=person.id, role=role, created_at=ctx.now)
    )
    await ctx.session.flush()
