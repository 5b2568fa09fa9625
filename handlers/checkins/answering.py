"""Answering a check-in: the form opens only for its own person while it is open, takes
one submission, updates the prompt in place (without the words), and raises a concern at
once when the answer calls for one. The partner is told nothing, ever."""

from __future__ import annotations

import structlog
from sqlmodel import col, update

from handlers.checkins.answers import answered_view, checkin_form, concern_kind
from handlers.checkins.prompts import reminder_key
from handlers.concerns.raising import receipt, record_concern
from handlers.context import Context
from handlers.forms import Answers, Form
from handlers.people import mention
from handlers.text import row_id
from handlers.timefmt import when
from handlers.views import MessageView, section, simple
from storage import outbox
from storage.models import Checkin, Concern, Pair, PairState, Person, Program, Subject

log = structlog.get_logger("mentorbot.checkins")
NOT_OPEN = "That check-in is not open to you. Nothing was changed."
PAIR_ENDED = "That pair has ended, so this check-in is closed."
THANKS = (
    "Thank you: your check-in is recorded. Your partner is never told; your program "
    "managers see it only in a concern it raised, or as an at-risk note in their status."
)


async def open_form(ctx: Context, value: str) -> Form | MessageView:
    found = await _open_checkin(ctx, value)
    if isinstance(found, MessageView):
        return found
    checkin, pair = found
    partner = await ctx.session.get(Person, _partner_id(pair, ctx.me))
    assert partner is not None
    return checkin_form(checkin, partner.display_name)


async def _open_checkin(ctx: Context, value: str) -> tuple[Checkin, Pair] | MessageView:
    number = row_id(value)
    checkin = await ctx.session.get(Checkin, number) if number is not None else None
    if checkin is None or checkin.person_id != ctx.me.id:
        return simple(NOT_OPEN)  # someone else's: say nothing of it
    if checkin.answered_at is not None:
        return simple(
            f"You answered this check-in on {when(checkin.answered_at, ctx.me.timezone)}. "
            "Nothing was changed."
        )
    pair = await ctx.session.get(Pair, checkin.pair_id)
    if pair is None or pair.state != PairState.ACTIVE:
        return simple(PAIR_ENDED)
    return checkin, pair


async def accept(ctx: Context, form: Form, answers: Answers) -> MessageView:
    found = await _open_checkin(ctx, form.value)
    if isinstance(found, MessageView):
        return found
    checkin, pair = found
    # Answered once: a second submission arriving at the same moment changes no row.
    taken = await ctx.session.exec(  # type: ignore[call-overload]
        update(Checkin)
        .where(col(Checkin.id) == checkin.id, col(Checkin.answered_at).is_(None))
        .values(answered_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return simple(NOT_OPEN)
    checkin.answered_at = ctx.now
    checkin.feeling = str(answers["feeling"])
    checkin.obstacle = str(answers["obstacle"]) if answers.get("obstacle") else None
    checkin.words = str(answers["words"]) if answers.get("words") else None
    checkin.share_words = bool(answers.get("share_words"))
    checkin.wants_contact = bool(answers.get("wants_contact"))
    ctx.session.add(checkin)
    await _update_prompt(ctx, checkin, pair)
    # A reminder decided but still waiting (for the morning, or for room under the weekly
    # cap) would now ask about a check-in that is answered: it never goes.
    await outbox.cancel_unsent(ctx.session, [reminder_key(checkin.id)])
    ctx.audit("checkin.answer", f"checkin:{checkin.id}", pair.program_id)
    log.info("checkin_answered", checkin=checkin.id, pair=pair.id)
    kind = concern_kind(checkin)
    if kind is None:
        return simple(THANKS)
    return await _raise(ctx, checkin, pair, kind)


async def _update_prompt(ctx: Context, checkin: Checkin, pair: Pair) -> None:
    partner = await ctx.session.get(Person, _partner_id(pair, ctx.me))
    assert partner is not None
    await ctx.say(
        f"checkin:{checkin.id}:answered",
        ctx.me,
        answered_view(checkin, await mention(ctx.session, partner), ctx.me.timezone),
        subject=Subject.CHECKIN,
        program_id=pair.program_id,
        pair_id=pair.id,
        replaces_id=checkin.prompt_id,
        urgent=True,  # the answer to what they just did
    )


async def _raise(ctx: Context, checkin: Checkin, pair: Pair, kind: str) -> MessageView:
    """The concern, through the same path as one typed: the choices, and the words only
    if the person chose to share them."""
    program = await ctx.session.get(Program, pair.program_id)
    assert program is not None
    words = checkin.words if checkin.share_words else None

    def link(concern: Concern) -> None:
        checkin.concern_id = concern.id
        ctx.session.add(checkin)

    _, told = await record_concern(ctx, program, pair, kind, words, before_sending=link)
    log.info("checkin_raised_concern", checkin=checkin.id, concern=checkin.concern_id, kind=kind)
    shared = "the choices you made and your words" if words else "the choices you made"
    passed_on = section(
        "Your check-in is recorded. From your answers, I have passed a concern on at once, "
        f"with {shared}."
    )
    answer = receipt(program, told)
    return answer.model_copy(update={"blocks": [passed_on, *answer.blocks]})


def _partner_id(pair: Pair, me: Person) -> int:
    return pair.mentee_id if pair.mentor_id == me.id else pair.mentor_id
