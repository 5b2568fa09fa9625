"""Neutral forms: what a form may hold, how it travels as JSON, and how raw answers become
the core's typed answers or a problem in words per question."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fakes.forms import survey_form
from pydantic import ValidationError

from handlers.forms import (
    Choice,
    ChoiceField,
    DateField,
    Form,
    FormErrors,
    FormField,
    Submission,
    TextField,
    ToggleField,
    check,
    validate,
)
from handlers.views import Actions, Button, section

YES_NO = [Choice(value="yes", label="Yes"), Choice(value="no", label="No")]


def _form(*fields: FormField, **options: Any) -> Form:
    return Form(
        **{"action": "test.form", "value": "7", "title": "A form", **options}, fields=list(fields)
    )


# ---------------------------------------------------------------------- as JSON


def test_a_form_travels_as_json_and_comes_back_the_same() -> None:
    form = _form(
        ChoiceField(name="pick", label="Pick", choices=YES_NO, required=True, initial="no"),
        TextField(
            name="words",
            label="Words",
            multiline=True,
            max_length=20,
            placeholder="Say it",
            initial="hello",
        ),
        ToggleField(name="share", label="Share", initial=True),
        DateField(name="until", label="Until", required=True, initial=date(2026, 12, 31)),
        intro=[section("Read this first.")],
        submit="Send",
    )
    data = form.to_json()
    assert data == {
        "action": "test.form",
        "value": "7",
        "title": "A form",
        "intro": [
            {
                "type": "section",
                "content": [{"type": "span", "text": "Read this first.", "bold": False}],
            }
        ],
        "fields": [
            {
                "type": "choice",
                "name": "pick",
                "label": "Pick",
                "choices": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
                "required": True,
                "initial": "no",
            },
            {
                "type": "text",
                "name": "words",
                "label": "Words",
                "multiline": True,
                "max_length": 20,
                "required": False,
                "placeholder": "Say it",
                "initial": "hello",
            },
            {"type": "toggle", "name": "share", "label": "Share", "initial": True},
            {
                "type": "date",
                "name": "until",
                "label": "Until",
                "required": True,
                "initial": "2026-12-31",
            },
        ],
        "submit": "Send",
    }
    assert Form.from_json(data) == form
    assert Form.from_json(survey_form("week-1").to_json()) == survey_form("week-1")


def test_a_submission_travels_as_json() -> None:
    submission = Submission(
        action="test.form", value="7", answers={"pick": "yes", "share": True, "until": None}
    )
    assert submission.to_json() == {
        "action": "test.form",
        "value": "7",
        "answers": {"pick": "yes", "share": True, "until": None},
    }
    assert Submission.from_json(submission.to_json()) == submission


def test_every_text_shown_is_cleaned() -> None:
    form = _form(
        ChoiceField(name="pick", label="Pick\x1b[2J", choices=[Choice(value="a", label="\u202eA")]),
        TextField(name="words", label="W", placeholder="P\x00", initial="I\x07"),
        title="Title\u202e",
        submit="Send\x7f",
    )
    choice, text = form.fields
    assert (form.title, form.submit) == ("Title", "Send\u2421")
    assert isinstance(choice, ChoiceField) and (choice.label, choice.choices[0].label) == (
        "Pick\u241b[2J",
        "A",
    )
    assert isinstance(text, TextField) and (text.placeholder, text.initial) == (
        "P\u2400",
        "I\u2407",
    )


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: _form(TextField(name="a", label="A"), TextField(name="a", label="B")), "name"),
        (lambda: _form(TextField(name="Not A Name", label="A")), "pattern"),
        (lambda: _form(TextField(name="words", label="A", max_length=3001)), "3000"),
        (lambda: _form(TextField(name="w", label="A", max_length=2, initial="abc")), "initial"),
        (lambda: _form(ChoiceField(name="c", label="C", choices=YES_NO * 2)), "share a value"),
        (lambda: _form(ChoiceField(name="c", label="C", choices=YES_NO, initial="x")), "initial"),
        (lambda: _form(ChoiceField(name="c", label="C", choices=[])), "at least 1"),
        (
            lambda: _form(
                ChoiceField(
                    name="c",
                    label="C",
                    choices=[Choice(value=str(n), label=str(n)) for n in range(101)],
                )
            ),
            "at most 100",
        ),
        (
            lambda: _form(
                ChoiceField(name="c", label="C", choices=[Choice(value="v" * 151, label="x")])
            ),
            "150",
        ),
        (
            lambda: _form(
                TextField(name="w", label="W"),
                intro=[Actions(buttons=[Button(label="Go", action="go", value="1")])],
            ),
            "no buttons",
        ),
        (lambda: Form(action="", title="T", fields=[TextField(name="w", label="W")]), "action"),
        (lambda: Form(action="a", title="T", fields=[]), "at least 1"),
        (lambda: _form(*(TextField(name=f"q{n}", label="Q") for n in range(51))), "at most 50"),
    ],
)
def test_a_form_that_no_platform_could_show_is_refused_when_built(build, problem) -> None:
    with pytest.raises(ValidationError, match=problem):
        build()


# ---------------------------------------------------------------------- validation

SURVEY = survey_form("week-1")


def test_good_answers_come_back_cleaned_and_typed() -> None:
    answers = validate(
        SURVEY,
        {
            "mood": "struggling",
            "obstacle": "not-meeting",
            "words": "  We have not met\r\nsince May\u202e \x00 ",
            "share": True,
            "until": "2027-01-31",
            "unasked": "ignored",
        },
    )
    assert answers == {
        "mood": "struggling",
        "obstacle": "not-meeting",
        "words": "We have not met\nsince May \u2400",
        "share": True,
        "until": "2027-01-31",
    }


def test_optional_questions_left_empty_are_none_and_an_unticked_toggle_is_false() -> None:
    assert validate(SURVEY, {"mood": "good", "words": "   ", "until": ""}) == {
        "mood": "good",
        "obstacle": None,
        "words": None,
        "share": False,
        "until": None,
    }


@pytest.mark.parametrize(
    ("field", "raw", "problem"),
    [
        ("mood", None, "Please choose one."),
        ("mood", "  ", "Please choose one."),
        ("mood", "great", "Please choose one of the options given."),
        ("mood", 3, "Please answer this question with text."),
        ("words", "x" * 201, "Please keep this to 200 characters; it has 201."),
        ("until", "2027/01/31", "Please give a date as yyyy-mm-dd, for example 2026-12-31."),
        ("until", "20270131", "Please give a date as yyyy-mm-dd, for example 2026-12-31."),
        ("until", "2027-02-30", "Please give a date as yyyy-mm-dd, for example 2026-12-31."),
        ("share", "maybe", "Please answer yes or no."),
        ("share", 1.5, "Please answer yes or no."),
    ],
)
def test_each_problem_is_said_in_words_for_its_question(field, raw, problem) -> None:
    answers = {"mood": "good", field: raw}
    result = validate(SURVEY, answers)
    assert isinstance(result, FormErrors)
    assert result.errors == {field: problem}


def test_required_text_and_date_say_what_is_missing() -> None:
    form = _form(
        TextField(name="goal", label="Goal", required=True),
        DateField(name="end", label="End", required=True),
    )
    result = validate(form, {})
    assert isinstance(result, FormErrors)
    assert result.errors == {"goal": "Please answer this question.", "end": "Please pick a date."}


def test_a_toggle_takes_what_each_platform_sends() -> None:
    field = ToggleField(name="share", label="Share")
    assert [check(field, raw) for raw in (True, False, "true", "false", "True", None)] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]


def test_a_refused_form_comes_back_filled_in_with_what_was_sent() -> None:
    result = validate(
        SURVEY,
        {
            "mood": "great",
            "obstacle": "other",
            "words": "x" * 250,
            "share": "true",
            "until": "2027-01-31",
        },
    )
    assert isinstance(result, FormErrors)
    assert set(result.errors) == {"mood", "words"}
    initial = {f.name: f.initial for f in result.form.fields}
    assert initial == {
        "mood": None,  # not a choice it has: not shown as chosen
        "obstacle": "other",
        "words": "x" * 200,  # kept, cut to fit its box, to be shortened
        "share": True,
        "until": date(2027, 1, 31),
    }
    assert result.form.model_copy(update={"fields": SURVEY.fields}) == SURVEY
