"""Forms on Teams: an Adaptive Card 1.5 whose inputs are the questions and whose one
Action.Submit sends them back. Teams has no modal without a task module, so a button that
opens a form answers with the form's card in the turn.

A refused submission is answered with the card again, the answers kept and each problem
in words under its question: the person corrects what is marked and sends it again. (The
card's own `isRequired` and `errorMessage` catch an empty required question before it is
even sent, in clients that check; the core checks again whatever the client did.)

Each input's id is `answer:<field name>`: Teams merges the inputs into the submit's data,
so the ids must never collide with the data's own keys (`action`, `value`, `form`)."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.teams import render
from handlers.context import Caller, Deps
from handlers.form_router import handle_open_form, handle_submission, opens_form
from handlers.forms import (
    Answers,
    ChoiceField,
    DateField,
    Form,
    FormErrors,
    FormField,
    Submission,
    TextField,
    ToggleField,
    missing,
)
from handlers.views import MessageView

ANSWER = "answer:"
FORM = "form"  # in the submit's data: these are a form's answers, not a button's click
EXPANDED_MOST = 5  # more choices than this are a drop-down list
CHECK = "Please check the answers marked below."


async def handled(
    turn: TurnContext, deps: Deps, caller: Caller, data: dict[str, Any], event_key: str
) -> bool:
    """Answer a card submit that is a form's, or a click on a button that opens one;
    False for anything else (a button that acts at once)."""
    action, value = str(data.get("action", "")), str(data.get("value", ""))
    answer: Form | FormErrors | MessageView | None
    if data.get(FORM) is True:
        submission = Submission(action=action, value=value, answers=answers(data))
        answer = await handle_submission(deps, caller, submission, event_key=event_key)
    elif opens_form(action):
        answer = await handle_open_form(deps, caller, action, value, event_key=event_key)
    else:
        return False
    if answer is None:  # Teams redelivered an activity already handled
        return True
    if isinstance(answer, FormErrors):
        await turn.send_activity(activity(answer.form, answer.errors))
    elif isinstance(answer, Form):
        await turn.send_activity(activity(answer))
    else:
        await turn.send_activity(render.activity(answer))
    return True


def answers(data: dict[str, Any]) -> Answers:
    """The inputs of a submitted form card, by field name. Teams sends each as text
    (a toggle "true"/"false", an empty input ""); anything else is not an answer."""
    return {
        key.removeprefix(ANSWER): found
        for key, found in data.items()
        if key.startswith(ANSWER) and isinstance(found, str | bool)
    }


def activity(form: Form, errors: dict[str, str] | None = None) -> Activity:
    attachment = Attachment(content_type=render.CARD_CONTENT_TYPE, content=card(form, errors))
    return Activity(type=ActivityTypes.message, attachments=[attachment], summary=form.title)


def card(form: Form, errors: dict[str, str] | None = None) -> dict[str, Any]:
    errors = errors or {}
    intro = render.card(MessageView(notification=form.title, title=form.title, blocks=form.intro))
    body: list[dict[str, Any]] = intro["body"]
    if errors:
        body.append(_problem(CHECK))
    for f in form.fields:
        body.append(_input(f))
        if f.name in errors:
            body.append(_problem(errors[f.name]))
    submit = {
        "type": "Action.Submit",
        "title": form.submit,
        "data": {"action": form.action, "value": form.value, FORM: True},
    }
    return {**intro, "body": body, "actions": [submit]}


def _input(f: FormField) -> dict[str, Any]:
    common: dict[str, Any] = {"id": ANSWER + f.name}
    if isinstance(f, ToggleField):
        initial = "true" if f.initial else "false"
        return {"type": "Input.Toggle", **common, "title": f.label, "value": initial}
    common |= {"label": f.label, "isRequired": f.required}
    if f.required:
        common["errorMessage"] = missing(f).words
    if isinstance(f, ChoiceField):
        expanded = len(f.choices) <= EXPANDED_MOST
        element = {
            "type": "Input.ChoiceSet",
            **common,
            "style": "expanded" if expanded else "compact",
            "choices": [{"title": c.label, "value": c.value} for c in f.choices],
        }
        if not expanded:
            element["placeholder"] = "Choose one"
        initial: str | None = f.initial
    elif isinstance(f, TextField):
        element = {
            "type": "Input.Text",
            **common,
            "isMultiline": f.multiline,
            "maxLength": f.max_length,
        }
        if f.placeholder:
            element["placeholder"] = f.placeholder
        initial = f.initial
    else:
        assert isinstance(f, DateField)
        element = {"type": "Input.Date", **common}
        initial = f.initial.isoformat() if f.initial else None
    if initial is not None:
        element["value"] = initial
    return element


def _problem(words: str) -> dict[str, Any]:
    run = {"type": "TextRun", "text": words, "color": "Attention"}
    return {"type": "RichTextBlock", "inlines": [run]}
