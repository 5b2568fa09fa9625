"""Role briefings: on enrolment each mentor and mentee is told, privately, what the
program is for, what their role asks of them, the confidentiality rule and how to raise
a concern, and confirms with a button that they read it. Unconfirmed after 3 working
days, they get one reminder (a due item scheduled at enrolment)."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Context, Refusal, Work
from handlers.due_work import on_due
from handlers.text import row_id
from handlers.timefmt import when
from handlers.views import (
    Actions,
    Button,
    CommandHint,
    MessageView,
    Note,
    Section,
    bold,
    note,
    section,
)
from handlers.working_time import add_working_days, zone_for
from storage import due, outbox
from storage.models import (
    DueItem,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Program,
    Role,
    Subject,
)

CONFIRM_READ = "briefing.confirm"  # the button's action id; its value is the membership id
REMINDER = "briefing-reminder"  # the due item's kind
REMIND_AFTER_WORKING_DAYS = 3
NOT_YOURS = "That button is for someone else's briefing."
GONE = "That briefing is no longer current: you are not enrolled in that role any more."


async def brief(ctx: Context, program: Program, person: Person, membership: Membership) -> None:
    """Queue the briefing, and its one reminder for 3 working days after it goes out."""
    assert membership.id is not None and person.id is not None
    await ctx.say(
        _key(membership),
        person,
        briefing(program, membership),
        subject=Subject.BRIEFING,
        program_id=program.id,
    )
    zone = zone_for(person.timezone, program.timezone)
    # Counted from when the briefing reaches them (after a pause they are on, say).
    _, goes_at = await outbox.queued_at(ctx.session, _key(membership))
    await due.schedule(
        ctx.session,
        key=f"{REMINDER}:{membership.id}",
        kind=REMINDER,
        due_at=add_working_days(goes_at, REMIND_AFTER_WORKING_DAYS, zone),
        now=ctx.now,
        program_id=program.id,
        person_id=person.id,
    )


def _key(membership: Membership) -> str:
    return f"briefing:{membership.id}"


def _reminder_key(membership: Membership) -> str:
    return f"{_key(membership)}:reminder"


def briefing(program: Program, membership: Membership, *, reminder: bool = False) -> MessageView:
    blocks: list[Section | Actions | Note] = []
    if reminder:
        blocks.append(section("A reminder: please read your briefing and confirm it."))
    blocks.append(section(f"You are enrolled as a {membership.role} in ", bold(program.name), "."))
    if program.purpose:
        blocks.append(section("The program's purpose: ", program.purpose))
    blocks += [
        section(_expected(membership.role)),
        section(
            "What you and your partner say to each other stays between you. If you raise a "
            "concern, only the program's managers see it: I never tell your partner."
        ),
        section(
            "If something is not working, tell the program manager privately at any time: ",
            CommandHint(text="concern <kind> [what happened]"),
            ".",
        ),
        Actions(
            buttons=[
                Button(
                    label="I've read it",
                    action=CONFIRM_READ,
                    value=str(membership.id),
                    style="primary",
                )
            ]
        ),
    ]
    return MessageView(
        notification=f"Your role as a {membership.role} in {program.name}: please read.",
        title=f"Your briefing as a {membership.role}",
        blocks=blocks,
    )


def _expected(role: str) -> str:
    if role == Role.MENTOR:
        return (
            "As a mentor, you support: your mentee owns the agenda and the goals. Meet "
            "regularly, listen, share what you know, and help them find their own way."
        )
    return (
        "As a mentee, you own the agenda and the goals: decide what you want to work on, "
        "prepare for each meeting, and keep them going."
    )


def confirmed_view(program: Program, membership: Membership, reader: Person) -> MessageView:
    """The briefing as it reads once confirmed: the button gone, and when."""
    view = briefing(program, membership)
    blocks = [b for b in view.blocks if not isinstance(b, Actions)]
    blocks.append(
        note(f"You confirmed this on {when(membership.briefing_confirmed_at, reader.timezone)}.")
    )
    return view.model_copy(update={"blocks": blocks})


async def confirm_read(ctx: Context, value: str) -> MessageView:
    number = row_id(value)
    membership = await ctx.session.get(Membership, number) if number is not None else None
    if membership is None:
        raise Refusal(GONE)
    if membership.person_id != ctx.me.id:
        raise Refusal(NOT_YOURS)
    program = await ctx.session.get(Program, membership.program_id)
    assert program is not None
    if membership.briefing_confirmed_at is not None:
        on = when(membership.briefing_confirmed_at, ctx.me.timezone)
        return MessageView(
            notification="You have already confirmed your briefing.",
            blocks=[section(f"You already confirmed this briefing on {on}. Thank you.")],
        )
    membership.briefing_confirmed_at = ctx.now
    ctx.session.add(membership)
    ctx.audit("briefing.confirm", f"membership:{membership.id}", program.id)
    await _show_confirmed(ctx, program, membership)
    return MessageView(
        notification="Thank you for reading your briefing.",
        blocks=[
            section(
                f"Thank you: your briefing as a {membership.role} in ",
                bold(program.name),
                " is confirmed.",
            )
        ],
    )


async def _show_confirmed(ctx: Context, program: Program, membership: Membership) -> None:
    """The briefing (and any reminder sent) updated in place: rewritten if not sent yet,
    else replaced by an update. A reminder still waiting for the recipient's working hours
    is not sent at all: it would be one more message about something done."""
    view = confirmed_view(program, membership, ctx.me)
    reminder = _reminder_key(membership)
    await outbox.cancel_unsent(ctx.session, [reminder])
    keys = [_key(membership), reminder]
    query = select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).in_(keys), col(OutboxMessage.status) != outbox.CANCELLED
    )
    rows = (await ctx.session.exec(query)).all()
    for row in rows:
        if await outbox.rewrite_unsent(ctx.session, row.id, view.to_json()):
            continue
        if row.status == OutboxStatus.SENT:
            await ctx.say(
                f"{row.dedupe_key}:confirmed",
                ctx.me,
                view,
                subject=Subject.BRIEFING,
                program_id=program.id,
                replaces_id=row.id,
                urgent=True,  # the answer to their click
            )


@on_due(REMINDER)
async def remind(work: Work, item: DueItem) -> None:
    """One reminder per unconfirmed briefing; none once confirmed or no longer enrolled."""
    query = select(Membership).where(
        Membership.program_id == item.program_id,
        Membership.person_id == item.person_id,
        col(Membership.role).in_([Role.MENTOR, Role.MENTEE]),
        col(Membership.briefing_confirmed_at).is_(None),
    )
    memberships = (await work.session.exec(query)).all()
    person = await work.session.get(Person, item.person_id) if item.person_id else None
    program = await work.session.get(Program, item.program_id) if item.program_id else None
    if person is None or program is None:
        return
    for membership in memberships:
        await work.say(
            _reminder_key(membership),
            person,
            briefing(program, membership, reminder=True),
            subject=Subject.BRIEFING,
            program_id=program.id,
        )
