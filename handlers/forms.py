"""Platform-neutral forms: questions a person answers in one go (a check-in, an agreement).

Each platform shows a Form its own way (a Slack modal, an Adaptive Card, questions in the
console) and hands back what was answered as a Submission. Answers are never trusted:
`validate` checks them against the form the core builds again for that submission, and
platforms learn the problems in words, one per field, to show next to each question.

The limits below are what every platform can show (Slack's are the tightest: an option's
value at most 150 characters, a list at most 100 options, an input at most 3,000)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from handlers.text import clean
from handlers.views import Actions, Block, Text

MOST_CHOICES = 100
MOST_TEXT = 3000
MOST_FIELDS = 50  # a Slack modal holds 100 blocks: the rest is room for the introduction
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ChoiceValue = Annotated[str, StringConstraints(min_length=1, max_length=150)]
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Answer = str | bool | None
Answers = dict[str, Answer]


class Choice(BaseModel):
    value: ChoiceValue
    label: Text


class ChoiceField(BaseModel):
    """One of a few choices (shown as radio buttons when few, as a list when many)."""

    type: Literal["choice"] = "choice"
    name: FieldName
    label: Text
    choices: list[Choice] = Field(min_length=1, max_length=MOST_CHOICES)
    required: bool = False
    initial: str | None = None

    @model_validator(mode="after")
    def _choices_make_sense(self) -> ChoiceField:
        values = [c.value for c in self.choices]
        if len(set(values)) != len(values):
            raise ValueError("two choices share a value")
        if self.initial is not None and self.initial not in values:
            raise ValueError("the initial choice is not among the choices")
        return self


class TextField(BaseModel):
    type: Literal["text"] = "text"
    name: FieldName
    label: Text
    multiline: bool = False
    max_length: int = Field(default=MOST_TEXT, ge=1, le=MOST_TEXT)
    required: bool = False
    placeholder: Text | None = None
    initial: Text | None = None

    @model_validator(mode="after")
    def _initial_fits(self) -> TextField:
        if self.initial is not None and len(self.initial) > self.max_length:
            raise ValueError("the initial text is longer than max_length")
        return self


class ToggleField(BaseModel):
    """Yes or no, answered by ticking (or not): never missing, so never required."""

    type: Literal["toggle"] = "toggle"
    name: FieldName
    label: Text
    initial: bool = False


class DateField(BaseModel):
    """A calendar day (an agreement's end), as ISO yyyy-mm-dd."""

    type: Literal["date"] = "date"
    name: FieldName
    label: Text
    required: bool = False
    initial: date | None = None


FormField = Annotated[
    ChoiceField | TextField | ToggleField | DateField, Field(discriminator="type")
]


class Form(BaseModel):
    """`action` names the use case that opens and accepts it (handlers.form_router.FORMS);
    `value` says what it is for (a check-in round): the core checks both again on submit,
    since a submission could claim any."""

    action: str = Field(min_length=1, max_length=255)
    value: str = Field(default="", max_length=2000)
    title: Text = Field(min_length=1)
    intro: list[Block] = Field(default_factory=list)
    fields: list[FormField] = Field(min_length=1, max_length=MOST_FIELDS)
    submit: Text = "Submit"

    @field_validator("intro")
    @classmethod
    def _no_buttons(cls, intro: list[Block]) -> list[Block]:
        # A form's one action is its submit: a button inside a Slack modal would send a
        # click with nowhere to answer it.
        if any(isinstance(block, Actions) for block in intro):
            raise ValueError("a form's intro has no buttons")
        return intro

    @field_validator("fields")
    @classmethod
    def _names_differ(cls, fields: list[FormField]) -> list[FormField]:
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError("two fields share a name")
        return fields

    def with_answers(self, answers: Mapping[str, object]) -> Form:
        """This form showing `answers` (as submitted) where each would be accepted as an
        initial value: asked again after an error, nobody types everything twice."""
        return self.model_copy(
            update={"fields": [_with_answer(f, answers.get(f.name)) for f in self.fields]}
        )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Form:
        return cls.model_validate(data)


def _with_answer(f: FormField, raw: object) -> FormField:
    if isinstance(f, TextField) and isinstance(raw, str):
        # Kept even when too long (cut to fit the box), so that it can be shortened.
        return f.model_copy(update={"initial": clean(raw).strip()[: f.max_length] or None})
    answer = check(f, raw)
    if isinstance(answer, Problem):
        return f
    if isinstance(f, DateField) and isinstance(answer, str):
        return f.model_copy(update={"initial": date.fromisoformat(answer)})
    return f.model_copy(update={"initial": answer})


class Submission(BaseModel):
    """What a platform read from a submitted form, not yet checked: answers as sent (a
    choice's value, a text, a toggle's bool, a date's yyyy-mm-dd, None for nothing). Who
    sent it travels beside it, as with every request (a Caller)."""

    action: str
    value: str = ""
    answers: dict[str, str | bool | None] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Submission:
        return cls.model_validate(data)


class FormErrors(BaseModel):
    """The answers were refused and nothing changed: a problem in words per field name,
    and the form again, filled in with what was sent, for platforms that show it anew."""

    form: Form
    errors: dict[str, str]


@dataclass(frozen=True)
class Problem:
    """Why one answer cannot be taken, in words for the person who gave it."""

    words: str


REQUIRED = Problem("Please answer this question.")
CHOICE_REQUIRED = Problem("Please choose one.")
DATE_REQUIRED = Problem("Please pick a date.")
NOT_A_CHOICE = Problem("Please choose one of the options given.")
NOT_A_DATE = Problem("Please give a date as yyyy-mm-dd, for example 2026-12-31.")
NOT_YES_OR_NO = Problem("Please answer yes or no.")
NOT_TEXT = Problem("Please answer this question with text.")


def too_long(limit: int, length: int) -> Problem:
    return Problem(f"Please keep this to {limit:,} characters; it has {length:,}.")


def validate(form: Form, raw: Mapping[str, object]) -> Answers | FormErrors:
    """Every field's answer, cleaned and typed (None where an optional one was left
    empty, a toggle's bool), or the problem with each field that has one. Pure: a
    platform may call it before acknowledging, the core calls it before any change.
    Names the form does not ask are ignored: a platform may send more (a card's data)."""
    answers: Answers = {}
    errors: dict[str, str] = {}
    for f in form.fields:
        answer = check(f, raw.get(f.name))
        if isinstance(answer, Problem):
            errors[f.name] = answer.words
        else:
            answers[f.name] = answer
    return FormErrors(form=form.with_answers(raw), errors=errors) if errors else answers


def check(f: FormField, raw: object) -> Answer | Problem:
    """One field's answer as the core keeps it, or why it cannot be taken."""
    if isinstance(f, ToggleField):
        return _toggle(f, raw)
    if raw is not None and not isinstance(raw, str):
        return NOT_TEXT
    text = clean(raw).strip() if raw is not None else ""
    if not text:
        return missing(f) if f.required else None
    if isinstance(f, ChoiceField):
        return text if any(c.value == text for c in f.choices) else NOT_A_CHOICE
    if isinstance(f, DateField):
        return text if _is_date(text) else NOT_A_DATE
    return text if len(text) <= f.max_length else too_long(f.max_length, len(text))


def missing(f: ChoiceField | TextField | DateField) -> Problem:
    """What to say when a required question is left unanswered."""
    if isinstance(f, ChoiceField):
        return CHOICE_REQUIRED
    return DATE_REQUIRED if isinstance(f, DateField) else REQUIRED


def _toggle(f: ToggleField, raw: object) -> bool | Problem:
    if raw is None:
        return False  # not ticked: every platform leaves an unticked box out
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return NOT_YES_OR_NO


def _is_date(text: str) -> bool:
    if not ISO_DATE.fullmatch(text):
        return False  # fromisoformat also takes 20261231 and week dates
    try:
        date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return False
    return True
