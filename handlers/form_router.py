"""The core's door for forms. A button whose action names a form here opens that form for
whoever clicks it; the form's submission comes back through the same entry.

Opening asks the use case for the form afresh (so a form is only offered while it makes
sense: a check-in still open, for this person), and so does a submission: its action and
value are what the platform says was submitted, never trusted, so the form is built again
from them and the answers are checked against that, before anything changes.

Each platform shows the form its own way, because only the edge can: Slack opens a modal
with the click's trigger id (valid 3 seconds, never seen by the core), Teams sends the
form as a card in the turn, the console asks the questions one by one. So the Messenger
port does not grow (handlers/ports.py): the core answers "this form", the edge opens it.

The check-in (handlers/checkins) is the first form shipped; tests register their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import overload

from handlers.checkins import answering
from handlers.checkins.answers import ANSWER as CHECKIN_ANSWER
from handlers.context import Caller, Context, Deps, Refusal
from handlers.forms import Answers, Form, FormErrors, Submission, validate
from handlers.router import run
from handlers.views import MessageView

# A use case's refusal to open (or to accept) a form is a MessageView, like any private answer.
Opener = Callable[[Context, str], Awaitable[Form | MessageView]]
Acceptor = Callable[[Context, Form, Answers], Awaitable[MessageView]]
NO_LONGER = "That form is no longer in use. Nothing was changed."


@dataclass(frozen=True)
class FormUse:
    """`open(ctx, value)` builds the form for the caller, or says why not; `accept(ctx, form,
    answers)` acts on answers already checked against that very form. A form that may be
    answered once must refuse a second submission itself (the card or modal may be old)."""

    open: Opener
    accept: Acceptor


# action id -> the form it opens and accepts.
FORMS: dict[str, FormUse] = {
    CHECKIN_ANSWER: FormUse(open=answering.open_form, accept=answering.accept),
}


def opens_form(action: str) -> bool:
    """Does a button with this action open a form (rather than act at once)?"""
    return action in FORMS


@overload
async def handle_open_form(
    deps: Deps, caller: Caller, action: str, value: str
) -> Form | MessageView: ...


@overload
async def handle_open_form(
    deps: Deps, caller: Caller, action: str, value: str, *, event_key: str | None
) -> Form | MessageView | None: ...


async def handle_open_form(
    deps: Deps, caller: Caller, action: str, value: str, *, event_key: str | None = None
) -> Form | MessageView | None:
    """The form a click on a button with `action` and `value` opens, or a private answer
    saying why not. With an event key, None means this click was handled already."""
    use = FORMS.get(action)
    if use is None:
        return await run(deps, caller, _no_longer, event_key=event_key)
    return await run(deps, caller, lambda ctx: use.open(ctx, value), event_key=event_key)


@overload
async def handle_submission(
    deps: Deps, caller: Caller, submission: Submission
) -> MessageView | FormErrors: ...


@overload
async def handle_submission(
    deps: Deps, caller: Caller, submission: Submission, *, event_key: str | None
) -> MessageView | FormErrors | None: ...


async def handle_submission(
    deps: Deps, caller: Caller, submission: Submission, *, event_key: str | None = None
) -> MessageView | FormErrors | None:
    """Check the answers against the form as the core builds it now, then accept them, in
    one transaction; FormErrors (nothing changed) when any answer is refused, or a
    private answer. With an event key, None means this submission was handled already."""
    use = FORMS.get(submission.action)
    if use is None:
        return await run(deps, caller, _no_longer, event_key=event_key)

    async def check_and_accept(ctx: Context) -> MessageView | FormErrors:
        form = await use.open(ctx, submission.value)
        if isinstance(form, MessageView):
            return form  # no longer open to this person: say why, accept nothing
        answers = validate(form, submission.answers)
        if isinstance(answers, FormErrors):
            return answers
        return await use.accept(ctx, form, answers)

    return await run(deps, caller, check_and_accept, event_key=event_key)


async def _no_longer(ctx: Context) -> MessageView:
    # A refusal like any other: a redelivered request is answered once, nothing changes.
    raise Refusal(NO_LONGER)
