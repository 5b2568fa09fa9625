"""Neutral forms ↔ Slack modals: a Form as the view `views.open` takes, a submitted view's
state back as answers, and the shape a `view_submission` must have to be read at all.

Each field is an `input` block whose block_id is the field's name, so that the core's
problems (per field name) are Slack's `errors` (per block_id) as they are. Every text is
cut to Slack's limit for where it goes: a longer one fails the whole views.open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import render
from handlers.forms import (
    Answers,
    ChoiceField,
    DateField,
    Form,
    FormField,
    TextField,
    ToggleField,
)
from handlers.views import MessageView, simple

# https://docs.slack.dev/reference/views and …/block-kit/block-elements
TITLE_LIMIT = 24  # a modal's title, and its submit and close labels
LABEL_LIMIT = 2000
OPTION_LIMIT = 75
PLACEHOLDER_LIMIT = 150
RADIO_MOST = 5  # more choices than this are a list (Slack's radio buttons take 10)
MODAL_BLOCKS = 100
ANSWER = "answer"  # every input's action_id: the block_id says which field it is
TICKED = "yes"
CLOSE, DONE = "Cancel", "Done"


def modal(form: Form) -> dict[str, Any]:
    """The modal to open for `form`: callback_id its action, private_metadata its value."""
    intro = MessageView(notification=form.title, blocks=form.intro)
    blocks = render.blocks(intro, most=MODAL_BLOCKS - len(form.fields)) if form.intro else []
    view = View(
        type="modal",
        callback_id=form.action,
        private_metadata=form.value,
        title=cut(form.title, TITLE_LIMIT),
        submit=cut(form.submit, TITLE_LIMIT),
        close=CLOSE,
        blocks=[*blocks, *(_input(f).to_dict() for f in form.fields)],
    )
    return view.to_dict()


def answered(answer: MessageView, title: str) -> dict[str, Any]:
    """The modal after a submission: the core's answer, where the form was."""
    return View(
        type="modal",
        title=cut(answer.title or title or "mentorbot", TITLE_LIMIT),
        close=DONE,
        blocks=render.blocks(answer.model_copy(update={"title": None}), most=MODAL_BLOCKS),
    ).to_dict()


def apology(body: Mapping[str, Any], words: str) -> dict[str, Any]:
    """The acknowledgement of a submission that failed: `words` by its first question, so
    the modal stays open with every answer in it (or in place of a form with none)."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    state = view.get("state") if isinstance(view.get("state"), dict) else {}
    values = state.get("values") if isinstance(state.get("values"), dict) else {}
    if values:
        return {"response_action": "errors", "errors": {next(iter(values)): words}}
    return {"response_action": "update", "view": answered(simple(words), title_of(view))}


def title_of(view: Mapping[str, Any]) -> str:
    """A submitted modal's title (to keep it when the modal is answered), or ""."""
    title = view.get("title")
    text = title.get("text") if isinstance(title, dict) else None
    return text if isinstance(text, str) else ""


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters as Slack counts them (UTF-16), "…" if cut."""
    if _length(text) <= limit:
        return text
    kept, size = "", _length("…")
    for char in text:
        size += _length(char)
        if size > limit:
            break
        kept += char
    return kept + "…"


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _input(f: FormField) -> InputBlock:
    element: Any
    if isinstance(f, ChoiceField):
        options = [Option(value=c.value, label=cut(c.label, OPTION_LIMIT)) for c in f.choices]
        initial = next(
            (o for o, c in zip(options, f.choices, strict=True) if c.value == f.initial), None
        )
        kind = RadioButtonsElement if len(options) <= RADIO_MOST else StaticSelectElement
        extra = {} if kind is RadioButtonsElement else {"placeholder": "Choose one"}
        element = kind(action_id=ANSWER, options=options, initial_option=initial, **extra)
    elif isinstance(f, TextField):
        element = PlainTextInputElement(
            action_id=ANSWER,
            multiline=f.multiline,
            max_length=f.max_length,
            placeholder=cut(f.placeholder, PLACEHOLDER_LIMIT) if f.placeholder else None,
            initial_value=f.initial,
        )
    elif isinstance(f, ToggleField):
        yes = Option(value=TICKED, label="Yes")
        element = CheckboxesElement(
            action_id=ANSWER, options=[yes], initial_options=[yes] if f.initial else None
        )
    else:
        assert isinstance(f, DateField)
        initial_date = f.initial.isoformat() if f.initial else None
        element = DatePickerElement(action_id=ANSWER, initial_date=initial_date)
    required = not isinstance(f, ToggleField) and f.required
    return InputBlock(
        block_id=f.name,
        label=cut(f.label, LABEL_LIMIT),
        element=element,
        optional=not required,
    )


def answers(values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Answers:
    """`view.state.values` as answers by field name (a block_id), read by each element's
    type; nothing chosen or typed is None, an unticked box False. Shapes are checked
    before this runs (`malformed_submission`)."""
    found: Answers = {}
    for block_id, inputs in values.items():
        state = inputs.get(ANSWER)
        if state is None:
            continue  # not one of ours: a form of another version
        kind = state.get("type")
        if kind in ("radio_buttons", "static_select"):
            selected = state.get("selected_option")
            found[block_id] = selected["value"] if selected else None
        elif kind == "plain_text_input":
            found[block_id] = state.get("value")
        elif kind == "checkboxes":
            found[block_id] = any(o["value"] == TICKED for o in state.get("selected_options", []))
        elif kind == "datepicker":
            found[block_id] = state.get("selected_date")
    return found


# What each element's state may hold, as Slack sends it.
OPTION = (dict, type(None))
TEXT_OR_NONE = (str, type(None))
STATE_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "value": TEXT_OR_NONE,
    "selected_option": OPTION,
    "selected_options": (list,),
    "selected_date": TEXT_OR_NONE,
}


def malformed_submission(payload: Mapping[str, Any]) -> str | None:
    """For a `view_submission`: the first field not shaped as Slack sends it (its path,
    for the log; never a value), or None. Anything else is not this check's business."""
    if payload.get("type") != "view_submission":
        return None
    user, view = payload.get("user"), payload.get("view")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "user"
    if not isinstance(view, dict):
        return "view"
    if not isinstance(view.get("callback_id"), str):
        return "view.callback_id"  # Bolt's matcher reads it before any listener runs
    if not isinstance(view.get("type"), str):
        return "view.type"  # so does Bolt's own check of what kind of request it is
    if not isinstance(view.get("private_metadata", ""), str):
        return "view.private_metadata"
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return "view.state.values"
    for inputs in values.values():
        if not isinstance(inputs, dict) or not all(isinstance(s, dict) for s in inputs.values()):
            return "view.state.values"
        for element in inputs.values():
            problem = _malformed_state(element)
            if problem:
                return f"view.state.values.{problem}"
    return None


def _malformed_state(state: Mapping[str, Any]) -> str | None:
    for name, allowed in STATE_FIELDS.items():
        if name in state and not isinstance(state[name], allowed):
            return name
    options = [state.get("selected_option"), *state.get("selected_options", [])]
    if not all(
        o is None or (isinstance(o, dict) and isinstance(o.get("value"), str)) for o in options
    ):
        return "selected_option"
    return None
