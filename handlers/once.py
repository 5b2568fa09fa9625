"""Requests done once and answered on time: the bookkeeping around a request's one
transaction (handlers.router runs it).

- The directory is asked between two attempts, never inside one (handlers.lookups).
- A keyed request that changes state is recorded with its answer just before commit; a
  replay gets that answer again and changes nothing.
- With a Deadline, the answer goes inline or, late, to the deadline's reply_to through
  the outbox, decided just before the commit of the transaction that queues it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from handlers.context import Caller, Context, Deps
from handlers.deadline import Deadline
from handlers.grammar import PersonRef
from handlers.lookups import Profiles, ProfilesNeeded, look_up
from handlers.people import caller_person
from handlers.views import MessageView
from storage.db import attempts
from storage.models import ProcessedEvent, Subject

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    caller: Caller
    key: str | None  # the platform's id of this delivery: a retry or a replay has the same
    deadline: Deadline | None
    answer_refusals: bool
    people: list[PersonRef]
    record: bool  # record the key with the answer, for a replay to get again


async def looking_up(
    deps: Deps,
    caller: Caller,
    attempt: Callable[[Profiles], Awaitable[T]],
    profiles: Profiles | None = None,
) -> T:
    """`attempt` (one transaction); if it needed profiles it was not given, once more with
    the directory's answers, asked between the two transactions."""
    try:
        return await attempt(profiles or Profiles())
    except ProfilesNeeded as needed:
        directory = deps.directories[caller.platform]  # ProfilesNeeded only where there is one
        answers = await look_up(directory, needed.wanted, deps.directory_timeout)
    return await attempt(answers)


async def settle(ctx: Context, request: Request, answer: T) -> T | None:
    """Just before commit: the answer inline, or (late) queued to the deadline's reply_to;
    and the request recorded with its answer, for a replay to get again (a form's answer,
    which only a platform that redelivers sends, is recorded as handled, without it)."""
    deadline, key = request.deadline, request.key
    inline = deadline is None or deadline.take_inline()
    if not inline:
        assert key is not None
        assert isinstance(answer, MessageView)  # only Slack commands and clicks have deadlines
        await queue_answer(ctx, key, answer, deadline)
    if request.record:
        assert key is not None
        kept = answer.to_json() if isinstance(answer, MessageView) else None
        ctx.session.add(ProcessedEvent(event_key=key, received_at=ctx.now, answer=kept))
        await ctx.session.flush()  # a duplicate committed meanwhile: IntegrityError, here
    return answer if inline else None


def again(done: ProcessedEvent, deadline: Deadline | None) -> MessageView | None:
    """A request handled before: its first answer again, inline only (a late one was
    queued by the first delivery), and nothing else."""
    if done.answer is None or deadline is None or not deadline.take_inline():
        return None
    return MessageView.from_json(done.answer)


async def remember_event(
    deps: Deps,
    caller: Caller,
    event_key: str | None,
    answer: MessageView,
    deadline: Deadline | None = None,
    answer_refusals: bool = False,
    profiles: Profiles | None = None,
) -> MessageView | None:
    """A refused request, after its rollback: its answer inline, or queued (late: to the
    deadline's reply_to; with `answer_refusals`: to the caller). Without a deadline, a
    keyed request is recorded as handled, so a retry does not answer twice. None: nothing
    to answer inline."""
    if deadline is not None and deadline.take_inline():
        return answer  # nothing changed, so there is nothing to record
    record = event_key is not None and deadline is None
    queue = answer_refusals or deadline is not None
    if not (record or queue):
        return answer

    async def attempt(profiles: Profiles) -> bool:
        async for attempt in attempts(deps.sessions):  # again if the connection was cut
            async with attempt as session:
                if record and await session.get(ProcessedEvent, event_key) is not None:
                    return False
                if queue:
                    me = await caller_person(session, deps, caller, profiles)
                    ctx = Context(
                        session=session, deps=deps, caller=caller, me=me, profiles=profiles
                    )
                    assert event_key is not None
                    await queue_answer(ctx, event_key, answer, deadline)
                if record:
                    session.add(
                        ProcessedEvent(
                            event_key=event_key,
                            received_at=deps.clock.now(),
                            answer=answer.to_json(),
                        )
                    )
        return True

    try:
        if not await looking_up(deps, caller, attempt, profiles):
            return None
    except IntegrityError:
        return None  # recorded meanwhile by the same event, delivered twice
    if queue:
        deps.wake_dispatcher()
    return None if deadline is not None else answer


async def queue_answer(
    ctx: Context, event_key: str, answer: MessageView, deadline: Deadline | None = None
) -> None:
    # Urgent: they are waiting. Late, it goes back the way the request came (a Slack
    # response_url), not to the person's DM.
    reply_to = deadline.reply_to if deadline is not None else None
    await ctx.say(
        f"answer:{event_key}",
        ctx.me,
        answer,
        subject=Subject.ANSWER,
        reply_to=reply_to,
        urgent=True,
    )
