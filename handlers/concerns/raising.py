"""Raising a concern: a pair member tells the program's managers something is wrong,
at once. The reporter's words go to the managers' DM body only: never to a notification
text, a log, or the other member of the pair."""

from __future__ import annotations

from collections.abc import Callable

from handlers.commands import USAGE, RaiseConcern
from handlers.concerns.copies import send_dm
from handlers.concerns.recipients import recipients_for
from handlers.concerns.view import facts_of, pair_mentions, render
from handlers.context import Context, Refusal
from handlers.escalation.policy import policy_of, severity_of
from handlers.escalation.start import begin, level_of
from handlers.pairing import active_pairs_of
from handlers.people import resolve
from handlers.roles import Recipients, name_key
from handlers.views import (
    CommandHint,
    MessageView,
    note,
    section,
)
from storage.models import (
    Concern,
    Pair,
    Person,
    Program,
    Role,
)


async def raise_concern(ctx: Context, command: RaiseConcern) -> MessageView:
    pair = await _reporters_pair(ctx, command)
    program = await ctx.session.get(Program, pair.program_id)
    assert program is not None
    _, recipients = await record_concern(ctx, program, pair, command.kind, command.words)
    return receipt(program, recipients)


async def record_concern(
    ctx: Context,
    program: Program,
    pair: Pair,
    kind: str,
    words: str | None,
    before_sending: Callable[[Concern], None] | None = None,
) -> tuple[Concern, Recipients]:
    """Record a concern by the caller about their pair and tell the managers at once.
    `before_sending` sees the new concern before its DMs are rendered (a check-in links
    itself to it, so that the DM can say where it came from)."""
    concern = Concern(
        program_id=program.id,
        pair_id=pair.id,
        reporter_id=ctx.me.id,
        kind=kind,
        severity=severity_of(kind),
        words=words,
        created_at=ctx.now,
    )
    ctx.session.add(concern)
    await ctx.session.flush()
    if before_sending is not None:
        before_sending(concern)
        await ctx.session.flush()
    recipients = await recipients_for(ctx, program, pair)
    level = level_of(recipients.role)
    facts = await facts_of(ctx, concern, await pair_mentions(ctx, pair))
    for manager in recipients.people:
        assert level is not None
        await send_dm(ctx, concern, manager, render(facts, manager), level)
    await begin(ctx, concern, level, policy_of(program))
    ctx.audit(f"concern.raise.{kind}", f"concern:{concern.id}", program.id)
    return concern, recipients


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


PARTNER_NOT_TOLD = "Your partner has not been told."
NEVER_IN_THE_PAIR = "a concern never goes to someone in the pair it is about"
KEPT_INFORMED = "I will let you know when it is acknowledged and when it is resolved, and by whom."


def receipt(program: Program, told: Recipients) -> MessageView:
    """What the reporter is told: exactly who heard of it, what they will hear next, and
    what to do if no one could be told."""
    if told.role is None:
        return _no_one_told(program)
    many = len(told.people) > 1
    level = "program manager" if told.role == Role.MANAGER else "backup manager"
    who = f"{level}{'s' if many else ''} of {program.name} {'have' if many else 'has'}"
    blocks: list = [section(f"Thank you. The {who} been told. {KEPT_INFORMED} {PARTNER_NOT_TOLD}")]
    if told.role == Role.BACKUP_MANAGER:
        blocks.append(note(f"No manager in your pair was told: {NEVER_IN_THE_PAIR}."))
    blocks.append(STATUS_HINT)
    return MessageView(notification="Your concern was recorded.", blocks=blocks)


STATUS_HINT = note("To see where your concerns stand: ", CommandHint(text="concern status"))


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
                "A manager or backup manager added to the program later will be sent it, and I "
                "will let you know when it is acknowledged. If it cannot wait, please tell "
                "someone you trust directly, such as your HR contact or whoever runs mentorbot "
                "here."
            ),
            STATUS_HINT,
        ],
    )
