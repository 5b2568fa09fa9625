"""A form for tests only, never shipped to users (the check-in of issue 8 will be the first
real one): registered in handlers.form_router.FORMS by the `survey` fixture
(tests/conftest.py), it proves the path from a click to a use case on every platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.context import Context
from handlers.form_router import FormUse
from handlers.forms import Answers, Choice, ChoiceField, DateField, Form, TextField, ToggleField
from handlers.views import MessageView, section, simple

SURVEY = "test.survey"  # the action of its button, and of the form
CLOSED = "closed"  # a button value the survey refuses to open for
THANKS = "Thank you: your answers were recorded."
IS_CLOSED = "This survey is closed."
OBSTACLES = [
    ("nothing", "Nothing"),
    ("not-meeting", "We are not meeting"),
    ("not-preparing", "My partner doesn't prepare"),
    ("confidentiality", "Confidentiality"),
    ("mismatch", "Not a good match"),
    ("other", "Something else"),
]


def survey_form(value: str) -> Form:
    return Form(
        action=SURVEY,
        value=value,
        title="Quick survey",
        intro=[section("A few questions about your week.")],
        fields=[
            ChoiceField(
                name="mood",
                label="How is it going?",
                choices=[
                    Choice(value="good", label="Good"),
                    Choice(value="okay", label="Okay"),
                    Choice(value="struggling", label="Struggling"),
                ],
                required=True,
            ),
            ChoiceField(
                name="obstacle",
                label="What gets in the way?",
                choices=[Choice(value=v, label=label) for v, label in OBSTACLES],
            ),
            TextField(
                name="words",
                label="Anything else?",
                multiline=True,
                max_length=200,
                placeholder="Optional",
            ),
            ToggleField(name="share", label="Share my words with the program manager"),
            DateField(name="until", label="Until when?"),
        ],
        submit="Send",
    )


@dataclass
class Survey:
    """What the survey's use case received: (who, the form's value, the answers)."""

    received: list[tuple[str, str, Answers]] = field(default_factory=list)

    async def open(self, ctx: Context, value: str) -> Form | MessageView:
        return simple(IS_CLOSED) if value == CLOSED else survey_form(value)

    async def accept(self, ctx: Context, form: Form, answers: Answers) -> MessageView:
        self.received.append((ctx.caller.external_id, form.value, answers))
        ctx.audit("test.survey.answered", f"survey:{form.value}")  # a change, in the transaction
        return simple(THANKS)

    def use(self) -> FormUse:
        return FormUse(open=self.open, accept=self.accept)
