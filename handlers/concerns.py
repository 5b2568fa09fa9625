"""Concerns: a pair member tells the program's managers something is wrong, at once.

The reporter's words go to the managers' DM body only: never to a notification text,
a log, or the other member of the pair."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, select, update

from handlers.commands import USAGE, RaiseConcern
from handlers.context import Context, Refusal
from handlers.mentions import mentions_of
from handlers.pairing import active_pairs_of
from handlers.people import mention, resolve
from handlers.programs import managers_of, name_key, role_of
from handlers.timefmt import when
from handlers.views import (
    Actions,
    Button,
    Facts,
    Mention,
    MessageView,
    Quote,
    Section,
    bold,
    fact,
    note,
    section,
)
from storage import outbox
from storage.models import (
    Concern,
    ConcernStatus,
    OutboxMessage,
    OutboxStatus,
    Pair,
    Person,
    Program,
    Role,
    Subject,
)

HIGH_SEVERITY = ("confidentiality", "conduct")
ACKNOWLEDGE = "concern.acknowledge"
RESOLVE = "concern.resolve"


async def raise_concern(ctx: Context, command: RaiseConcern) -> MessageView:
    pair = await _reporters_pair(ctx, command)
    program = await ctx.session.get(Program, pair.program_id)
    assert program is not None
    concern = Concern(
        program_id=program.id,
        pair_id=pair.id,
        reporter_id=ctx.me.id,
        kind=command.kind,
        severity="high" if command.kind in HIGH_SEVERITY else "normal",
        words=command.words,
        created_at=ctx.now,
    )
    ctx.session.add(concern)
    await ctx.session.flush()
    recipients = await recipients_for(ctx, program, pair)
    people = await pair_mentions(ctx, pair)
    for manager in recipients.people:
        view = await concern_view(ctx, concern, manager, people)
        await _send_dm(ctx, concern, manager, view)
    ctx.audit(f"concern.raise.{command.kind}", f"concern:{concern.id}", program.id)
    return _receipt(program, recipients)


async def _reporters_pair(ctx: Context, command: RaiseConcern) -> Pair:
    pairs = await active_pairs_of(ctx, ctx.me)
    if not pairs:
        raise Refusal(
            "You are not in a mentoring pair, so there is no pair to raise a concern about. "
            "If something is wrong, contact your program manager directly."
        )
    if command.partner is not None:
        partner = await resolve(ctx, command.partner)
        if partner.id == ctx.me.id:
            raise Refusal("Name your partner, not yourself.", USAGE["concern"])
        pairs = [p for p in pairs if partner.id in (p.mentor_id, p.mentee_id)]
        if not pairs:
            raise Refusal("You are not in a pair with that person.", USAGE["concern"])
    if command.program is not None:
        pairs = await _in_program(ctx, pairs, command.program)
    partners = {(await _partner(ctx, p)).id for p in pairs}
    if len(pairs) > 1 and len(partners) == 1:
        raise Refusal(
            "You and your partner are a pair in more than one program; say which: "
            + ", ".join(f"“{name}”" for name in await _program_names(ctx, pairs))
            + ".",
            USAGE["concern program"],
        )
    if len(pairs) > 1:
        # Display names, not "@Name": a multi-word name typed after @ would not parse.
        names = [(await _partner(ctx, p)).display_name for p in pairs]
        raise Refusal(
            "You are in more than one pair; mention the partner it is about: "
            + ", ".join(names[:-1])
            + f" or {names[-1]}.",
            USAGE["concern"],
        )
    return pairs[0]


async def _in_program(ctx: Context, pairs: list[Pair], program: str) -> list[Pair]:
    key = name_key(program)
    named = [p for p in pairs if (await _program_of(ctx, p)).name_key == key]
    if not named:
        raise Refusal(f"You are in no pair in a program called “{program}”.", USAGE["concern"])
    return named


async def _program_names(ctx: Context, pairs: list[Pair]) -> list[str]:
    return [(await _program_of(ctx, p)).name for p in pairs]


async def _program_of(ctx: Context, pair: Pair) -> Program:
    program = await ctx.session.get(Program, pair.program_id)
    assert program is not None
    return program


async def _partner(ctx: Context, pair: Pair) -> Person:
    other = pair.mentee_id if pair.mentor_id == ctx.me.id else pair.mentor_id
    person = await ctx.session.get(Person, other)
    assert person is not None
    return person


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


async def hand_over(ctx: Context, program: Program, manager: Person) -> int:
    """Send a newly added manager every unresolved concern they would have been told of
    had they managed the program when it was raised: a concern no one could be told
    waits for them; a manager added back gets their emptied copy back. Returns how many
    the caller may know of: a concern about the caller's own pair is sent but not
    counted, or the count would tell them it was raised."""
    query = (
        select(Concern)
        .where(Concern.program_id == program.id, Concern.status != ConcernStatus.RESOLVED)
        .order_by(Concern.id)
    )
    handed = 0
    for concern in (await ctx.session.exec(query)).all():
        pair = await ctx.session.get(Pair, concern.pair_id)
        assert pair is not None
        if manager.id not in {p.id for p in (await recipients_for(ctx, program, pair)).people}:
            continue
        view = await concern_view(ctx, concern, manager)
        given = await _send_dm(ctx, concern, manager, view)
        given = given or await _restore(ctx, concern, manager, view)
        handed += int(given and ctx.me.id not in (pair.mentor_id, pair.mentee_id))
    return handed


async def _send_dm(ctx: Context, concern: Concern, manager: Person, view: MessageView) -> bool:
    return await ctx.say(
        f"concern:{concern.id}:manager:{manager.id}",
        manager,
        view,
        subject=Subject.CONCERN,
        program_id=concern.program_id,
        pair_id=concern.pair_id,
        concern_id=concern.id,
        urgent=True,
    )


def _dms_of(concern_id: int | None) -> ColumnElement[bool]:
    """The DMs managers were sent about a concern (not their updates)."""
    return and_(
        col(OutboxMessage.subject) == Subject.CONCERN, col(OutboxMessage.concern_id) == concern_id
    )


async def _restore(ctx: Context, concern: Concern, manager: Person, view: MessageView) -> bool:
    """Show a manager added back the concern their copy was emptied of when removed.
    False when their copy still shows it (a backup made a manager, say)."""
    original = (
        await ctx.session.exec(
            select(OutboxMessage).where(
                _dms_of(concern.id), OutboxMessage.recipient_id == manager.id
            )
        )
    ).one()
    newest = (
        await ctx.session.exec(
            select(OutboxMessage.view)
            .where(
                OutboxMessage.replaces_id == original.id, OutboxMessage.status != outbox.SUPERSEDED
            )
            .order_by(col(OutboxMessage.id).desc())
            .limit(1)
        )
    ).first()
    if (newest or original.view) != WITHDRAWN.to_json():
        return False
    await _show(ctx, original, manager, view, state=f"restored@{ctx.now:%Y%m%dT%H%M%S}")
    return True


def seen_by(manager: Person) -> ColumnElement[bool]:
    """Concerns a manager may see in lists and counts (joined with Pair): never one about a
    pair they are in, so its other member does not learn that it was raised."""
    return and_(col(Pair.mentor_id) != manager.id, col(Pair.mentee_id) != manager.id)


PARTNER_NOT_TOLD = "Your partner has not been told."
NEVER_IN_THE_PAIR = "a concern never goes to someone in the pair it is about"


def _receipt(program: Program, told: Recipients) -> MessageView:
    """What the reporter is told: exactly who heard of it, and what to do if no one did."""
    if told.role == Role.MANAGER:
        return MessageView(
            notification="Your concern was recorded.",
            blocks=[
                section(
                    f"Thank you. The {_managers_of(program, told)} been told and will "
                    f"follow up with you. {PARTNER_NOT_TOLD}"
                )
            ],
        )
    if told.role == Role.BACKUP_MANAGER:
        many = len(told.people) > 1
        who = f"backup manager{'s' if many else ''} of {program.name} {'have' if many else 'has'}"
        return MessageView(
            notification="Your concern was recorded.",
            blocks=[
                section(
                    f"Thank you. The {who} been told and will follow up with you. "
                    f"{PARTNER_NOT_TOLD}"
                ),
                note(f"No manager in your pair was told: {NEVER_IN_THE_PAIR}."),
            ],
        )
    return _no_one_told(program)


def _managers_of(program: Program, told: Recipients) -> str:
    if len(told.people) > 1:
        return f"program managers of {program.name} have"
    return f"program manager of {program.name} has"


def _no_one_told(program: Program) -> MessageView:
    # The concern stays open, so a manager added later sees it in `status` and their
    # overview; until then the reporter must know that nobody has it.
    return MessageView(
        notification="Your concern was recorded, but no one could be told yet.",
        blocks=[
            section(
                f"Thank you. Your concern is recorded, but no one has been told yet: "
                f"{program.name} has no manager outside your pair, and {NEVER_IN_THE_PAIR}. "
                f"{PARTNER_NOT_TOLD}"
            ),
            section(
                "A manager added to the program later will be sent it. If it cannot wait, "
                "please tell someone you trust directly, such as your HR contact or "
                "whoever runs mentorbot here."
            ),
        ],
    )


async def concern_view(
    ctx: Context,
    concern: Concern,
    viewer: Person,
    people: dict[int, Mention] | None = None,
) -> MessageView:
    """The managers' message about one concern, as it stands now. `people`: the pair's
    mentions (pair_mentions), when one request renders it for several managers."""
    program = await ctx.session.get(Program, concern.program_id)
    pair = await ctx.session.get(Pair, concern.pair_id)
    assert program and pair
    people = people or await pair_mentions(ctx, pair)
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    urgent = concern.severity == "high"
    title = f"{'Urgent concern' if urgent else 'Concern'}: {concern.kind.replace('-', ' ')}"
    blocks = [
        Facts(
            facts=[
                fact("Program", program.name),
                fact("Pair", mentor, " (mentor) and ", mentee, " (mentee)"),
                fact("Raised by", people[concern.reporter_id]),
                fact("Raised", when(concern.created_at, viewer.timezone)),
            ]
        ),
        Quote(text=concern.words) if concern.words else note("They added no words."),
        *await _progress(ctx, concern, viewer),
    ]
    return MessageView(
        notification=f"{title} in {program.name}. Open mentorbot to respond.",
        title=title,
        blocks=blocks,
    )


async def pair_mentions(ctx: Context, pair: Pair) -> dict[int, Mention]:
    """Both members as mentions, in one query (the reporter is one of them)."""
    return await mentions_of(ctx.session, (pair.mentor_id, pair.mentee_id))


async def _progress(ctx: Context, concern: Concern, viewer: Person) -> list:
    value = str(concern.id)
    acknowledge = Button(label="Acknowledge", action=ACKNOWLEDGE, value=value, style="primary")
    resolve_button = Button(label="Resolve", action=RESOLVE, value=value)
    if concern.status == ConcernStatus.OPEN:
        return [
            Actions(buttons=[acknowledge, resolve_button]),
            note("The other member of the pair has not been told."),
        ]
    blocks = []
    if concern.acknowledged_by_id:
        blocks.append(
            await _stamp(
                ctx, "Acknowledged", concern.acknowledged_by_id, concern.acknowledged_at, viewer
            )
        )
    if concern.status == ConcernStatus.RESOLVED:
        blocks.append(
            await _stamp(ctx, "Resolved", concern.resolved_by_id, concern.resolved_at, viewer)
        )
    else:
        blocks.append(Actions(buttons=[resolve_button]))
    return blocks


async def _stamp(
    ctx: Context, verb: str, person_id: int | None, at: datetime | None, viewer: Person
) -> Section:
    if person_id == viewer.id:
        return section(bold(f"{verb} by you"), f" · {when(at, viewer.timezone)}")
    who = await mention(ctx.session, await _person(ctx, person_id))
    return section(bold(f"{verb} by"), " ", who, f" · {when(at, viewer.timezone)}")


async def _person(ctx: Context, person_id: int) -> Person:
    person = await ctx.session.get(Person, person_id)
    assert person is not None
    return person


async def acknowledge(ctx: Context, concern_id: str) -> MessageView:
    concern = await _concern_for_manager(ctx, concern_id)
    changed = await _move(
        ctx,
        concern,
        col(Concern.status) == ConcernStatus.OPEN,
        status=ConcernStatus.ACKNOWLEDGED,
        acknowledged_by_id=ctx.me.id,
        acknowledged_at=ctx.now,
    )
    if not changed:
        return await _already(ctx, concern)
    await _refresh_dms(ctx, concern)
    ctx.audit("concern.acknowledge", f"concern:{concern.id}", concern.program_id)
    return MessageView(
        notification="You acknowledged the concern.",
        blocks=[
            section("You acknowledged the concern. The other managers can see that you have it.")
        ],
    )


async def resolve_concern(ctx: Context, concern_id: str) -> MessageView:
    concern = await _concern_for_manager(ctx, concern_id)
    changed = await _move(
        ctx,
        concern,
        col(Concern.status) != ConcernStatus.RESOLVED,
        status=ConcernStatus.RESOLVED,
        resolved_by_id=ctx.me.id,
        resolved_at=ctx.now,
    )
    if not changed:
        return await _already(ctx, concern)
    await _refresh_dms(ctx, concern)
    ctx.audit("concern.resolve", f"concern:{concern.id}", concern.program_id)
    return MessageView(
        notification="You resolved the concern.",
        blocks=[section("You marked the concern resolved.")],
    )


async def _move(
    ctx: Context, concern: Concern, allowed: ColumnElement[bool], **values: object
) -> bool:
    """Change the concern only if it is still in a state that allows it: of two managers
    clicking at once, one wins and the other is told who did. (Reading, then writing, would
    let a late Acknowledge reopen a resolved concern.)"""
    statement = update(Concern).where(col(Concern.id) == concern.id, allowed).values(**values)
    result = await ctx.session.exec(statement)  # type: ignore[call-overload]
    await ctx.session.refresh(concern)
    return bool(result.rowcount)


# One answer whether the concern does not exist, is another program's, or is about the
# caller's own pair: a different answer would let a manager in a pair probe the
# (sequential) ids and learn that a concern about their pair was raised.
NOT_YOURS = "Only the program's managers can act on this concern."
CONCERN_ID = re.compile(r"[0-9]{1,18}")  # str.isdigit() also takes "²", which int() refuses


async def _concern_for_manager(ctx: Context, concern_id: str) -> Concern:
    number = int(concern_id) if CONCERN_ID.fullmatch(concern_id) else None
    concern = await ctx.session.get(Concern, number) if number is not None else None
    program = await ctx.session.get(Program, concern.program_id) if concern else None
    if concern is None or program is None or await role_of(ctx, program, ctx.me) is None:
        raise Refusal(NOT_YOURS)
    pair = await ctx.session.get(Pair, concern.pair_id)
    if pair and ctx.me.id in (pair.mentor_id, pair.mentee_id):
        raise Refusal(NOT_YOURS)
    return concern


async def _already(ctx: Context, concern: Concern) -> MessageView:
    done_by = (
        concern.resolved_by_id
        if concern.status == ConcernStatus.RESOLVED
        else concern.acknowledged_by_id
    )
    who = "you" if done_by == ctx.me.id else (await _person(ctx, done_by)).display_name
    return MessageView(
        notification=f"Already {concern.status}.",
        blocks=[section(f"This concern was already {concern.status} by {who}.")],
    )


async def _refresh_dms(ctx: Context, concern: Concern) -> None:
    """Every current manager's copy shows the new state: in place once sent, or before it
    is sent. A former manager's copy was emptied when they were removed (`withdraw`)."""
    ctx.session.add(concern)
    query = select(OutboxMessage).where(_dms_of(concern.id))
    program = await ctx.session.get(Program, concern.program_id)
    assert program is not None
    for original in (await ctx.session.exec(query)).all():
        recipient = await _person(ctx, original.recipient_id)
        if await role_of(ctx, program, recipient) is not None:
            view = await concern_view(ctx, concern, recipient)
            await _show(ctx, original, recipient, view, state=concern.status)


async def withdraw(ctx: Context, program: Program, former: Person) -> None:
    """A manager removed from a program keeps no concern's words: every DM they were sent
    about one of its concerns is emptied in place (or before it is sent)."""
    query = select(OutboxMessage).where(
        OutboxMessage.program_id == program.id,
        OutboxMessage.recipient_id == former.id,
        OutboxMessage.subject == Subject.CONCERN,
    )
    for original in (await ctx.session.exec(query)).all():
        # Dated: a manager removed, added back and removed again is emptied again.
        await _show(ctx, original, former, WITHDRAWN, state=f"withdrawn@{ctx.now:%Y%m%dT%H%M%S}")


async def _show(
    ctx: Context, original: OutboxMessage, recipient: Person, view: MessageView, *, state: str
) -> None:
    """Make `original` (a concern DM) show `view`: rewritten if not sent yet, else updated
    in place by a newer message that supersedes any update still waiting."""
    if await _rewrite_unsent(ctx, original, view):
        return
    if original.status in (OutboxStatus.PENDING, OutboxStatus.SENT):
        await outbox.supersede_pending_updates(ctx.session, original.id)
        await ctx.say(
            f"concern:{original.concern_id}:{state}:update:{recipient.id}",
            recipient,
            view,
            subject=Subject.CONCERN_UPDATE,
            program_id=original.program_id,
            pair_id=original.pair_id,
            concern_id=original.concern_id,
            replaces_id=original.id,
            urgent=True,
        )


WITHDRAWN = MessageView(
    notification="A concern in a program you no longer manage.",
    blocks=[note("This concern is handled by the program's managers.")],
)


async def _rewrite_unsent(ctx: Context, original: OutboxMessage, view: MessageView) -> bool:
    """Give a DM not yet sent its new content, so it goes out as it stands. Only while no
    dispatcher holds it: a claimed row may be on its way with the old content, and then
    an update of the sent message follows it instead."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == original.id,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.attempts) == 0,
            col(OutboxMessage.claimed_until).is_(None),
        )
        .values(view=view.to_json())
    )
    result = await ctx.session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)
