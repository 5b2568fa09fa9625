"""A Form as an Adaptive Card 1.5, and a card's submit back as answers."""

from __future__ import annotations

from datetime import date

from bot.teams.forms import answers, card
from handlers.forms import Choice, ChoiceField, DateField, Form, TextField, ToggleField

FORM = Form(
    action="test.initial",
    value="9",
    title="Initial",
    fields=[
        ChoiceField(
            name="pick",
            label="Pick",
            choices=[Choice(value="a", label="A"), Choice(value="b", label="B")],
            initial="b",
        ),
        TextField(name="goal", label="Goal", initial="As before", required=True, max_length=80),
        ToggleField(name="share", label="Share", initial=True),
        DateField(name="end", label="End", initial=date(2027, 3, 1), required=True),
    ],
    submit="Save",
)


def test_initial_values_required_questions_and_the_submit() -> None:
    built = card(FORM)
    assert built["body"][1:] == [
        {
            "type": "Input.ChoiceSet",
            "id": "answer:pick",
            "label": "Pick",
            "isRequired": False,
            "style": "expanded",
            "choices": [{"title": "A", "value": "a"}, {"title": "B", "value": "b"}],
            "value": "b",
        },
        {
            "type": "Input.Text",
            "id": "answer:goal",
            "label": "Goal",
            "isRequired": True,
            "errorMessage": "Please answer this question.",
            "isMultiline": False,
            "maxLength": 80,
            "value": "As before",
        },
        {"type": "Input.Toggle", "id": "answer:share", "title": "Share", "value": "true"},
        {
            "type": "Input.Date",
            "id": "answer:end",
            "label": "End",
            "isRequired": True,
            "errorMessage": "Please pick a date.",
            "value": "2027-03-01",
        },
    ]
    assert built["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Save",
            "data": {"action": "test.initial", "value": "9", "form": True},
        }
    ]


def test_a_submit_is_read_by_input_id_and_nothing_else_is_an_answer() -> None:
    submitted = {
        "action": "test.initial",
        "value": "9",
        "form": True,
        "answer:pick": "a",
        "answer:goal": "",
        "answer:share": "false",
        "answer:end": {"not": "text"},
        "pick": "b",
    }
    assert answers(submitted) == {"pick": "a", "goal": "", "share": "false"}
