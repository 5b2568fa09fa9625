"""The core's front door: text and button clicks in, a private answer out. Each request
runs in one transaction; a refusal rolls it back, so bad input changes nothing.

Three things hold around that transaction:
- People a request names are looked up in the platform's directory before it opens,
  never inside it (handlers.lookups): a slow directory holds no locks.
- A request the platform may deliver again (a retried event, a replayed slash command)
  has a key. One that changes state records the key with its answer in the transaction
  of its effects; a replay gets that answer again and changes nothing.
- With a Deadline (handlers.deadline), the answer goes back inline or, once the edge's
  budget has run out, through the outbox to the request's reply_to, queued in the same
  transaction as the request's effects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, overload

from sqlalchemy.exc import IntegrityError

import handlers.escalation.walk  # noqa: F401  (registers the escalation walk's due work)
from handlers import (
    briefings,
    concerns,
    confirmations,
    once,
    overview,
    pairing,
    pausing,
    programs,
    settings,
    status,
)
from handlers.checkins import requests as checkins
from handlers.commands import (
    READ_ONLY,
    ActOnConcern,
    CheckIn,
    Command,
    Enrol,
    Help,
    ManagersAdd,
    ManagersRemove,
    MyConcerns,
    Overview,
    PairUp,
    Pause,
    ProgramCreate,
    ProgramSet,
    ProgramSettings,
    RaiseConcern,
    Resume,
    Status,
    Usage,
    named_people,
    parse,
)
from handlers.context import Caller, Context, Deps, Refusal
from handlers.deadline import Deadline
from handlers.escalation import settings as escalation_settings
from handlers.escalation.commands import ShowEscalation
from handlers.grammar import PersonRef
from handlers.lookups import Profiles
from handlers.people import caller_person, known_caller, storable
from handlers.views import CommandHint, MessageView, section
from storage.db import attempts
from storage.models import ProcessedEvent

Step = Callable[[Context], Awaitable[MessageView]]
Answer = TypeVar("Answer")  # what a step answers: a MessageView, or a form (handlers.form_router)
ACTIONS: dict[str, Callable[[Context, str], Awaitable[MessageView]]] = {
    concerns.ACKNOWLEDGE: concerns.acknowledge,
    concerns.RESOLVE: concerns.resolve_concern,
    confirmations.CONFIRM: pairing.confirmed,
    briefings.CONFIRM_READ: briefings.confirm_read,
}
CLASHED = "That clashed with a change made at the same moment. Please try again."


async def handle_text(
    deps: Deps,
    caller: Caller,
    text: str,
    *,
    event_key: str | None = None,
    deadline: Deadline | None = None,
) -> MessageView | None:
    """Run what a person typed. None: nothing to answer inline (the request was handled
    before, or it is late and its answer goes to the deadline's reply_to)."""
    parsed = parse(text)
    if isinstance(parsed, Usage):
        answer = usage_view(parsed.problem, parsed.form)
        return await once.remember_event(deps, caller, event_key, answer, deadline=deadline)
    return await run(
        deps,
        caller,
        _step_for(parsed),
        event_key=event_key,
        deadline=deadline,
        people=named_people(parsed),
        changes_state=not isinstance(parsed, READ_ONLY),
    )


async def handle_direct_message(deps: Deps, caller: Caller, text: str, *, event_key: str) -> None:
    """Run what a person typed in a DM, their answer queued in the outbox in the same
    transaction as the event and its effects: once an event is marked handled its retries
    are ignored, so an answer posted afterwards and lost (Slack down) would be lost for good."""
    parsed = parse(text)
    if isinstance(parsed, Usage):
        answer = usage_view(parsed.problem, parsed.form)
        await once.remember_event(deps, caller, event_key, answer, answer_refusals=True)
        return
    step = _step_for(parsed)

    async def step_and_answer(ctx: Context) -> MessageView:
        answer = await step(ctx)
        await once.queue_answer(ctx, event_key, answer)
        return answer

    await run(
        deps,
        caller,
        step_and_answer,
        event_key=event_key,
        answer_refusals=True,
        people=named_people(parsed),
    )


@overload
async def handle_action(deps: Deps, caller: Caller, action: str, value: str) -> MessageView: ...


@overload
async def handle_action(
    deps: Deps,
    caller: Caller,
    action: str,
    value: str,
    *,
    event_key: str | None,
    deadline: Deadline | None = None,
) -> MessageView | None: ...


async def handle_action(
    deps: Deps,
    caller: Caller,
    action: str,
    value: str,
    *,
    event_key: str | None = None,
    deadline: Deadline | None = None,
) -> MessageView | None:
    """Run a button click. With an event key (a platform that may redeliver), None means
    this event was already handled; with a late deadline, that the answer was queued."""
    use_case = ACTIONS.get(action)
    if use_case is None:
        answer = usage_view("That button no longer does anything.")
        return await once.remember_event(deps, caller, event_key, answer, deadline=deadline)
    answer = await run(
        deps, caller, lambda ctx: use_case(ctx, value), event_key=event_key, deadline=deadline
    )
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

    async def attempt(profiles: Profiles) -> None:
        async for attempt in attempts(deps.sessions):  # again if the connection was cut
            async with attempt as session:
                await caller_person(session, deps, caller, profiles)

    await once.looking_up(deps, caller, attempt)


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
        case ActOnConcern():
            return lambda ctx: concerns.act_by_command(ctx, command)
        case MyConcerns():
            return concerns.my_concerns
        case ProgramSet():
            return lambda ctx: settings.program_set(ctx, command)
        case ProgramSettings():
            return lambda ctx: settings.show_settings(ctx, command)
        case ShowEscalation():
            return lambda ctx: escalation_settings.show_policy(ctx, command)
        case Pause():
            return lambda ctx: pausing.pause(ctx, command)
        case Resume():
            return pausing.resume
        case CheckIn():
            return lambda ctx: checkins.check_in(ctx, command)
    raise AssertionError(f"unrouted command {type(command).__name__}")


async def run(
    deps: Deps,
    caller: Caller,
    step: Callable[[Context], Awaitable[Answer]],
    *,
    event_key: str | None = None,
    deadline: Deadline | None = None,
    answer_refusals: bool = False,
    people: Sequence[PersonRef] = (),
    changes_state: bool = True,
) -> Answer | MessageView | None:
    """With `answer_refusals`, a refusal's answer is queued to the caller with the event.
    A request with a deadline is recorded only if it `changes_state`: a replayed `help`
    is simply answered again, and costs no write. A step answers a MessageView, or a
    form (handlers.form_router)."""
    if not storable(caller):
        return usage_view(UNKNOWN_CALLER)  # nothing to keep, nobody to queue an answer to
    record = event_key is not None and (deadline is None or changes_state)
    request = once.Request(caller, event_key, deadline, answer_refusals, list(people), record)

    async def attempt(profiles: Profiles) -> Answer | MessageView | None:
        return await _once(deps, request, step, profiles)

    if event_key is not None:
        if event_key in deps.in_flight:
            return None  # delivered again while the first is running: its answer will come
        deps.in_flight.add(event_key)
    try:
        return await once.looking_up(deps, caller, attempt)
    finally:
        if event_key is not None:
            deps.in_flight.discard(event_key)


async def _once(
    deps: Deps,
    request: once.Request,
    step: Callable[[Context], Awaitable[Answer]],
    profiles: Profiles,
) -> Answer | MessageView | None:
    caller, key, deadline = request.caller, request.key, request.deadline
    try:
        async for attempt in attempts(deps.sessions):  # again if the connection was cut
            async with attempt as session:
                if request.record and (done := await session.get(ProcessedEvent, key)) is not None:
                    return once.again(done, deadline)
                me = await known_caller(session, deps, caller, request.people, profiles)
                ctx = Context(session=session, deps=deps, caller=caller, me=me, profiles=profiles)
                answer = await once.settle(ctx, request, await step(ctx))
    except Refusal as refusal:
        answer = usage_view(refusal.problem, refusal.form)
        return await once.remember_event(
            deps, caller, key, answer, deadline, request.answer_refusals, profiles.final()
        )
    except IntegrityError:
        # Two requests changed the same thing at once, or the same request arrived twice.
        if key is not None:
            async with deps.sessions() as session:
                done = await session.get(ProcessedEvent, key)
            if done is not None:
                return once.again(done, deadline)
        return await once.remember_event(
            deps,
            caller,
            key,
            usage_view(CLASHED),
            deadline,
            request.answer_refusals,
            profiles.final(),
        )
    if ctx.queued:
        deps.wake_dispatcher()
    return answer


def usage_view(problem: str, form: str | None = None) -> MessageView:
    blocks = [section(problem)]
    if form:
        blocks.append(section("The form is: ", CommandHint(text=form)))
    # The problem often quotes what was typed: a notification (a lock screen) never
    # carries a person's words, so it says only that something could not be done.
    return MessageView(notification=COULD_NOT, blocks=blocks)


COULD_NOT = "mentorbot could not do that."
UNKNOWN_CALLER = "mentorbot cannot tell who you are from this request, so it did nothing."
