"""The core's front door: text and button clicks in, a private answer out. Each request
runs in one transaction; a refusal rolls it back, so bad input changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import concerns, overview, pairing, programs, status
from handlers.commands import (
    Command,
    Enrol,
    Help,
    ManagersAdd,
    ManagersRemove,
    Overview,
    PairUp,
    ProgramCreate,
    RaiseConcern,
    Status,
    Usage,
    parse,
)
from handlers.context import Caller, Context, Deps, Refusal
from handlers.people import caller_person, storable
from handlers.views import CommandHint, MessageView, section
from storage.db import attempts, transaction
from storage.models import ProcessedEvent, Subject

Step = Callable[[Context], Awaitable[MessageView]]
Answer = TypeVar("Answer")  # what a step answers: a MessageView, or a form (handlers.form_router)
ACTIONS: dict[str, Callable[[Context, str], Awaitable[MessageView]]] = {
    concerns.ACKNOWLEDGE: concerns.acknowledge,
    concerns.RESOLVE: concerns.resolve_concern,
}


async def handle_text(
    deps: Deps, caller: Caller, text: str, *, event_key: str | None = None
) -> MessageView | None:
    """Run what a person typed. None means this event was already handled."""
    parsed = parse(text)
    if isinstance(parsed, Usage):
        if not await _remember_event(deps, event_key):
            return None
        return usage_view(parsed.problem, parsed.form)
    return await run(deps, caller, _step_for(parsed), event_key=event_key)


async def handle_direct_message(deps: Deps, caller: Caller, text: str, *, event_key: str) -> None:
    """Run what a person typed in a DM, their answer queued in the outbox in the same
    transaction as the event and its effects: once an event is marked handled its retries
    are ignored, so an answer posted afterwards and lost (Slack down) would be lost for good."""
    parsed = parse(text)
    if isinstance(parsed, Usage):
        answer = usage_view(parsed.problem, parsed.form)
        await _remember_event(deps, event_key, answer_to=caller, answer=answer)
        return
    step = _step_for(parsed)

    async def step_and_answer(ctx: Context) -> MessageView:
        answer = await step(ctx)
        await _queue_answer(ctx, event_key, answer)
        return answer

    await run(deps, caller, step_and_answer, event_key=event_key, answer_refusals=True)


@overload
async def handle_action(deps: Deps, caller: Caller, action: str, value: str) -> MessageView: ...


@overload
async def handle_action(
    deps: Deps, caller: Caller, action: str, value: str, *, event_key: str | None
) -> MessageView | None: ...


async def handle_action(
    deps: Deps, caller: Caller, action: str, value: str, *, event_key: str | None = None
) -> MessageView | None:
    """Run a button click. With an event key (a platform that may redeliver, like Teams),
    None means this event was already handled."""
    use_case = ACTIONS.get(action)
    if use_case is None:
        if not await _remember_event(deps, event_key):
            return None
        return usage_view("That button no longer does anything.")
    answer = await run(deps, caller, lambda ctx: use_case(ctx, value), event_key=event_key)
    assert answer is not None or event_key is not None
    return answer


async def home_view(deps: Deps, caller: Caller) -> MessageView:
    answer = await run(deps, caller, overview.home)
    assert answer is not None
    return answer


async def remember(deps: Deps, caller: Caller) -> None:
    """Note how to reach the caller (an app installed, a conversation started)."""
    if not storable(caller):
        return
    async with transaction(deps.sessions) as session:
        await caller_person(session, deps, caller)


def _step_for(command: Command) -> Step:
    match command:
        case Help():
            return overview.help_view
        case Overview():
            return overview.overview
        case ProgramCreate():
            return lambda ctx: programs.create_program(ctx, command)
        case ManagersAdd():
            return lambda ctx: programs.add_manager(ctx, command)
        case ManagersRemove():
            return lambda ctx: programs.remove_manager(ctx, command)
        case Enrol():
            return lambda ctx: pairing.enrol(ctx, command)
        case PairUp():
            return lambda ctx: pairing.pair(ctx, command)
        case Status():
            return lambda ctx: status.status(ctx, command)
        case RaiseConcern():
            return lambda ctx: concerns.raise_concern(ctx, command)
    raise AssertionError(f"unrouted command {type(command).__name__}")


async def run(
    deps: Deps,
    caller: Caller,
    step: Callable[[Context], Awaitable[Answer]],
    *,
    event_key: str | None = None,
    answer_refusals: bool = False,
) -> Answer | MessageView | None:
    """With `answer_refusals`, a refusal's answer is queued to the caller with the event."""
    if not storable(caller):
        return usage_view(UNKNOWN_CALLER)  # nothing to keep, nobody to queue an answer to
    answer_to = caller if answer_refusals else None
    try:
        async for attempt in attempts(deps.sessions):  # once more if the connection was cut
            async with attempt as session:
                if event_key and not await _first_time(session, event_key, deps):
                    return None
                me = await caller_person(session, deps, caller)
                ctx = Context(session=session, deps=deps, caller=caller, me=me)
                answer = await step(ctx)
    except Refusal as refusal:
        answer = usage_view(refusal.problem, refusal.form)
        if not await _remember_event(deps, event_key, answer_to=answer_to, answer=answer):
            return None
        return answer
    except IntegrityError:
        # Two requests changed the same thing at once (or Slack delivered an event twice).
        answer = usage_view("That clashed with a change made at the same moment. Please try again.")
        if not await _remember_event(deps, event_key, answer_to=answer_to, answer=answer):
            return None
        return answer
    if ctx.queued:
        deps.wake_dispatcher()
    return answer


async def _first_time(session: AsyncSession, event_key: str, deps: Deps) -> bool:
    if await session.get(ProcessedEvent, event_key):
        return False
    session.add(ProcessedEvent(event_key=event_key, received_at=deps.clock.now()))
    await session.flush()
    return True


async def _remember_event(
    deps: Deps,
    event_key: str | None,
    *,
    answer_to: Caller | None = None,
    answer: MessageView | None = None,
) -> bool:
    """Record a refused event as handled, so a retry does not answer twice; with
    `answer_to`, queue the answer to that caller with it. False if handled already."""
    if not event_key:
        return True
    try:
        async for attempt in attempts(deps.sessions):  # once more if the connection was cut
            async with attempt as session:
                if not await _first_time(session, event_key, deps):
                    return False
                if answer_to is not None and answer is not None:
                    me = await caller_person(session, deps, answer_to)
                    ctx = Context(session=session, deps=deps, caller=answer_to, me=me)
                    await _queue_answer(ctx, event_key, answer)
    except IntegrityError:
        return False
    if answer_to is not None:
        deps.wake_dispatcher()
    return True


async def _queue_answer(ctx: Context, event_key: str, answer: MessageView) -> None:
    # Urgent: they are waiting.
    await ctx.say(f"answer:{event_key}", ctx.me, answer, subject=Subject.ANSWER, urgent=True)


def usage_view(problem: str, form: str | None = None) -> MessageView:
    blocks = [section(problem)]
    if form:
        blocks.append(section("The form is: ", CommandHint(text=form)))
    # The problem often quotes what was typed: a notification (a lock screen) never
    # carries a person's words, so it says only that something could not be done.
    return MessageView(notification=COULD_NOT, blocks=blocks)


COULD_NOT = "mentorbot could not do that."
UNKNOWN_CALLER = "mentorbot cannot tell who you are from this request, so it did nothing."
