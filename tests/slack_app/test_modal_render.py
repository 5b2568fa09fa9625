"""A Form as a Slack modal, within every limit Slack sets (a longer text, or one block too
many, fails the whole views.open): titles and labels cut with "…", radio buttons for a few
choices and a list for more, initial values where the form has them."""

from __future__ import annotations

from datetime import date

from bot.slack.modals import cut, modal
from handlers.forms import Choice, ChoiceField, DateField, Form, TextField, ToggleField
from handlers.views import section


def _choices(count: int, label: str = "Choice") -> list[Choice]:
    return [Choice(value=f"c{n}", label=f"{label} {n}") for n in range(count)]


def _inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_titles_and_labels_are_cut_to_slacks_limits() -> None:
    form = Form(
        action="test.long",
        title="A title much longer than Slack allows",
        submit="Send it all off right now please",
        fields=[
            ChoiceField(name="pick", label="L" * 2100, choices=_choices(2, "x" * 80)),
            TextField(name="words", label="Words", placeholder="p" * 200),
        ],
    )
    view = modal(form)
    assert view["title"]["text"] == "A title much longer tha…"
    assert view["submit"]["text"] == "Send it all off right n…"
    assert len(view["title"]["text"]) == len(view["submit"]["text"]) == 24
    pick, words = _inputs(view).values()
    assert pick["label"]["text"] == "L" * 1999 + "…"
    assert [o["text"]["text"] for o in pick["element"]["options"]] == ["x" * 74 + "…"] * 2
    assert words["element"]["placeholder"]["text"] == "p" * 149 + "…"


def test_slack_counts_an_emoji_as_two() -> None:
    assert cut("😀" * 12, 24) == "😀" * 12
    assert cut("😀" * 13, 24) == "😀" * 11 + "…"


def test_a_few_choices_are_radio_buttons_and_more_a_list() -> None:
    form = Form(
        action="test.choices",
        title="Choices",
        fields=[
            ChoiceField(name="few", label="Few", choices=_choices(5)),
            ChoiceField(name="many", label="Many", choices=_choices(100)),
        ],
    )
    few, many = _inputs(modal(form)).values()
    assert few["element"]["type"] == "radio_buttons"
    assert (many["element"]["type"], len(many["element"]["options"])) == ("static_select", 100)


def test_initial_values_and_what_is_optional() -> None:
    form = Form(
        action="test.initial",
        title="Initial",
        fields=[
            ChoiceField(
                name="pick", label="Pick", choices=_choices(3), initial="c1", required=True
            ),
            TextField(name="words", label="Words", initial="As before", required=True),
            ToggleField(name="share", label="Share", initial=True),
            DateField(name="end", label="End", initial=date(2027, 3, 1), required=True),
        ],
    )
    inputs = _inputs(modal(form))
    option = {"text": {"type": "plain_text", "text": "Choice 1", "emoji": True}, "value": "c1"}
    assert inputs["pick"]["element"]["initial_option"] == option
    assert inputs["words"]["element"]["initial_value"] == "As before"
    assert inputs["share"]["element"]["initial_options"] == [
        {"text": {"type": "plain_text", "text": "Yes", "emoji": True}, "value": "yes"}
    ]
    assert inputs["end"]["element"]["initial_date"] == "2027-03-01"
    assert {name: block["optional"] for name, block in inputs.items()} == {
        "pick": False,
        "words": False,
        "share": True,  # a toggle is always answered: unticked is "no"
        "end": False,
    }


def test_a_long_introduction_leaves_room_for_every_question() -> None:
    fields = [TextField(name=f"q{n}", label=f"Question {n}") for n in range(10)]
    intro = [section(f"Paragraph {n}") for n in range(120)]
    view = modal(Form(action="test.intro", title="Intro", intro=intro, fields=fields))
    assert len(view["blocks"]) == 100
    assert list(_inputs(view)) == [f"q{n}" for n in range(10)]
