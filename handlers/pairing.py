"""Enrolment and pairing: who is in a program, and who mentors whom."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import col, or_, select

from handlers.briefings import brief
from handlers.checkins.prompts import schedule_first_rounds
from handlers.commands import USAGE, Enrol, PairUp
from handlers.confirmations import CONFIRM_WITHIN, Warning, ask, read
from handlers.context import Context, Refusal
from handlers.grammar import Email, Name
from handlers.people import mention, resolve
from handlers.risks import enrol_warnings, pair_warnings
from handlers.roles import has_role, managed_program
from handlers.views import CommandHint, Mention, MessageView, bold, note, section
from storage.models import Membership, Pair, PairState, Person, Program, Subject


@dataclass(frozen=True)
class _Enrolment:
    program: Program
    person: Person
    role: str
    warnings: list[Warning]


async def enrol(ctx: Context, command: Enrol) -> MessageView:
    plan = await _plan_enrolment(ctx, command)
    if plan.warnings and not command.confirm:
        return _ask(replace(command, program=plan.program.name), plan.warnings, ctx.now)
    return await _enrol(ctx, plan)


async def _plan_enrolment(ctx: Context, command: Enrol) -> _Enrolment:
    """Everything that must hold (or be confirmed) before someone is enrolled."""
    program = await managed_program(ctx, command.program)
    person = await resolve(ctx, command.person)
    who = await mention(ctx.session, person)
    if await has_role(ctx, program, person, command.role):
        raise Refusal(f"{who.name} is already enrolled as a {command.role} in {program.name}.")
    warnings = await enrol_warnings(ctx, program, person, command.role)
    return _Enrolment(program, person, command.role, warnings)


async def _enrol(ctx: Context, plan: _Enrolment) -> MessageView:
    program, person, role = plan.program, plan.person, plan.role
    membership = Membership(
        program_id=program.id, person_id=person.id, role=role, created_at=ctx.now
    )
    ctx.session.add(membership)
    await ctx.session.flush()
    await brief(ctx, program, person, membership)
    ctx.audit(f"enrol.{role}", f"person:{person.id}", program.id)
    who = await mention(ctx.session, person)
    return MessageView(
        notification=f"Enrolled a {role} in {program.name}.",
        blocks=[section("Enrolled ", who, f" as a {role} in ", bold(program.name), ".")],
    )


@dataclass(frozen=True)
class _Pairing:
    program: Program
    mentor: Person
    mentee: Person
    warnings: list[Warning]


async def pair(ctx: Context, command: PairUp) -> MessageView:
    plan = await _plan_pairing(ctx, command)
    if plan.warnings and not command.confirm:
        return _ask(replace(command, program=plan.program.name), plan.warnings, ctx.now)
    return await _pair(ctx, plan)


async def _plan_pairing(ctx: Context, command: PairUp) -> _Pairing:
    """Everything that must hold (or be confirmed) before two people are paired."""
    program = await managed_program(ctx, command.program)
    mentor = await resolve(ctx, command.mentor)
    mentee = await resolve(ctx, command.mentee)
    if mentor.id == mentee.id:
        raise Refusal("A person cannot mentor themselves.", USAGE["pair"])
    await _mentor_first(ctx, program, mentor, mentee)
    await _require_role(ctx, program, mentor, "mentor", command.program)
    await _require_role(ctx, program, mentee, "mentee", command.program)
    if await _active_pair(ctx, program, mentor, mentee):
        raise Refusal("Those two are already a pair in this program.")
    return _Pairing(program, mentor, mentee, await pair_warnings(ctx, program, mentor, mentee))


async def _pair(ctx: Context, plan: _Pairing) -> MessageView:
    program, mentor, mentee = plan.program, plan.mentor, plan.mentee
    new_pair = Pair(
        program_id=program.id, mentor_id=mentor.id, mentee_id=mentee.id, created_at=ctx.now
    )
    ctx.session.add(new_pair)
    await ctx.session.flush()
    mentor_m, mentee_m = await mention(ctx.session, mentor), await mention(ctx.session, mentee)
    await ctx.say(
        f"pair:{new_pair.id}:greeting:{mentor.id}",
        mentor,
        greeting(program, "mentor", mentee_m),
        subject=Subject.GREETING,
        program_id=program.id,
        pair_id=new_pair.id,
    )
    await ctx.say(
        f"pair:{new_pair.id}:greeting:{mentee.id}",
        mentee,
        greeting(program, "mentee", mentor_m),
        subject=Subject.GREETING,
        program_id=program.id,
        pair_id=new_pair.id,
    )
    await schedule_first_rounds(ctx, new_pair)
    ctx.audit("pair.create", f"pair:{new_pair.id}", program.id)
    return MessageView(
        notification=f"Paired a mentor and a mentee in {program.name}.",
        blocks=[
            section(
                "Paired ",
                mentor_m,
                " (mentor) with ",
                mentee_m,
                " (mentee) in ",
                bold(program.name),
                ".",
            ),
            note("I have greeted them both privately."),
        ],
    )


def _ask(
    command: PairUp | Enrol, warnings: list[Warning], now: datetime, preface: str | None = None
) -> MessageView:
    label = "Pair them" if isinstance(command, PairUp) else "Enrol them"
    return ask(command, warnings, now, label=label, preface=preface)


async def confirmed(ctx: Context, value: str) -> MessageView:
    """A Confirm button pressed: the command runs again as the clicker, every check made
    afresh; it goes ahead only if the click answered every warning that holds now."""
    confirmation = read(value)
    if confirmation is None:
        raise Refusal(NO_LONGER)
    command = confirmation.command
    plan = await (
        _plan_pairing(ctx, command)
        if isinstance(command, PairUp)
        else _plan_enrolment(ctx, command)
    )
    if ctx.now - confirmation.asked_at > CONFIRM_WITHIN:
        if not plan.warnings:
            raise Refusal(EXPIRED)
        return _ask(command, plan.warnings, ctx.now, EXPIRED_ASK_AGAIN)
    if not {w.code for w in plan.warnings} <= confirmation.answered:
        return _ask(command, plan.warnings, ctx.now, CHANGED)
    if isinstance(plan, _Pairing):
        return await _pair(ctx, plan)
    return await _enrol(ctx, plan)


NO_LONGER = "That button no longer does anything."
EXPIRED = (
    "That button has expired, so I did nothing. Things may have changed since: type the "
    "command again to go ahead."
)
EXPIRED_ASK_AGAIN = "That button had expired. As things stand now:"
CHANGED = "Something has changed since I asked:"


def greeting(program: Program, role: str, partner: Mention) -> MessageView:
    if role == "mentor":
        opening = section("You are now mentoring ", partner, " in ", bold(program.name), ".")
        focus = "Your mentee owns the agenda and the goals; you support them."
    else:
        opening = section("Your mentor is ", partner, " in ", bold(program.name), ".")
        focus = "You own the agenda and the goals: bring what you want to work on."
    blocks = [opening]
    if program.purpose:
        blocks.append(section("The program's purpose: ", program.purpose))
    blocks += [
        section(focus + " What you say to each other stays between you."),
        section(
            "If something is not working, tell the program manager privately at any time: ",
            CommandHint(text="concern <kind> [what happened]"),
            ". Your partner is not told.",
        ),
    ]
    return MessageView(
        notification=f"You have a new mentoring partner in {program.name}.",
        title="Welcome to your mentoring pair",
        blocks=blocks,
    )


async def _mentor_first(ctx: Context, program: Program, first: Person, second: Person) -> None:
    """The two named the other way round: say so, rather than offer to enrol a mentee as a
    mentor (a step that would then need confirming)."""
    if await has_role(ctx, program, first, "mentor") or await has_role(
        ctx, program, second, "mentee"
    ):
        return
    if await has_role(ctx, program, first, "mentee") and await has_role(
        ctx, program, second, "mentor"
    ):
        raise Refusal(
            f"{second.display_name} is the mentor and {first.display_name} the mentee in "
            f"{program.name}: the mentor comes first.",
            USAGE["pair"],
        )


async def _require_role(
    ctx: Context, program: Program, person: Person, role: str, named: str | None
) -> None:
    if not await has_role(ctx, program, person, role):
        raise Refusal(
            f"{person.display_name} is not enrolled as a {role} in {program.name}.",
            enrol_form(person, role, named),
        )


def enrol_form(person: Person, role: str, program: str | None) -> str:
    """The command that enrols them, typeable as shown: their address where known, since
    a display name after @ ("@Sam Carter") would not parse; else a placeholder."""
    ref = Email(person.email) if person.email else Name("user")
    return Enrol(ref, role, program).to_text()


async def _active_pair(ctx: Context, program: Program, mentor: Person, mentee: Person) -> bool:
    """Either way round: two people who mentor each other would be two pairs, and a concern
    from either could not say which one it is about."""
    both = {mentor.id, mentee.id}
    query = select(Pair.id).where(
        Pair.program_id == program.id,
        col(Pair.mentor_id).in_(both),
        col(Pair.mentee_id).in_(both),
        Pair.state == PairState.ACTIVE,
    )
    return (await ctx.session.exec(query)).first() is not None


async def active_pairs_of(ctx: Context, person: Person) -> list[Pair]:
    query = (
        select(Pair)
        .where(
            Pair.state == PairState.ACTIVE,
            or_(col(Pair.mentor_id) == person.id, col(Pair.mentee_id) == person.id),
        )
        .order_by(Pair.id)
    )
    return list((await ctx.session.exec(query)).all())
