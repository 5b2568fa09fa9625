"""Forms on Teams, through the test-only survey (tests/fakes/forms.py): a click on its
button answers with the form as an Adaptive Card; a submit with a problem gets the card
again, answers kept, each problem under its question; a good one is taken once."""

from __future__ import annotations

from typing import Any

from fakes.forms import CLOSED, IS_CLOSED, OBSTACLES, SURVEY, THANKS, Survey
from fakes.teams_harness import (
    TeamsHarness,
    adaptive_card,
    card_message,
    content,
    heading,
    plain,
    refused,
    rich,
)

from handlers.form_router import NO_LONGER


def choice_set(name: str, label: str, choices: list[tuple[str, str]], **more: Any) -> dict:
    return {
        "type": "Input.ChoiceSet",
        "id": f"answer:{name}",
        "label": label,
        **more,
        "choices": [{"title": title, "value": value} for value, title in choices],
    }


MOOD = [("good", "Good"), ("okay", "Okay"), ("struggling", "Struggling")]


def survey_body(mood: str | None = None, words: str | None = None, share: bool = False) -> list:
    mood_input = choice_set(
        "mood",
        "How is it going?",
        MOOD,
        isRequired=True,
        errorMessage="Please choose one.",
        style="expanded",
    )
    words_input = {
        "type": "Input.Text",
        "id": "answer:words",
        "label": "Anything else?",
        "isRequired": False,
        "isMultiline": True,
        "maxLength": 200,
        "placeholder": "Optional",
    }
    return [
        heading("Quick survey"),
        rich("A few questions about your week."),
        {**mood_input, **({"value": mood} if mood else {})},
        {
            **choice_set(
                "obstacle", "What gets in the way?", OBSTACLES, isRequired=False, style="compact"
            ),
            "placeholder": "Choose one",  # six choices: a drop-down list
        },
        {**words_input, **({"value": words} if words else {})},
        {
            "type": "Input.Toggle",
            "id": "answer:share",
            "title": "Share my words with the program manager",
            "value": "true" if share else "false",
        },
        {"type": "Input.Date", "id": "answer:until", "label": "Until when?", "isRequired": False},
    ]


SEND = {
    "type": "Action.Submit",
    "title": "Send",
    "data": {"action": SURVEY, "value": "week-1", "form": True},
}
SURVEY_CARD = adaptive_card(survey_body(), [SEND])


def problem(words: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": words, "color": "Attention"}],
    }


async def _opened(teams: TeamsHarness, who: str = "sam") -> dict[str, Any]:
    [reply] = await teams.click(who, SURVEY, "week-1")
    assert content(reply) == card_message(SURVEY_CARD, "Quick survey")
    return reply["attachments"][0]["content"]


async def test_a_click_answers_with_the_form_as_a_card(demo: TeamsHarness, survey: Survey) -> None:
    await _opened(demo)
    assert survey.received == []


async def test_a_form_that_will_not_open_says_why(demo: TeamsHarness, survey: Survey) -> None:
    assert [content(r) for r in await demo.click("sam", SURVEY, CLOSED)] == [plain(IS_CLOSED)]


async def test_a_missing_answer_gets_the_card_again_with_the_problem_under_it(
    demo: TeamsHarness, survey: Survey
) -> None:
    card = await _opened(demo)
    before = await demo.counts()
    replies = await demo.send(
        demo.card_submit("sam", card, {"answer:words": "We keep missing", "answer:share": True})
    )
    body = survey_body(words="We keep missing", share=True)  # what was given is kept
    body[2:3] = [
        problem("Please check the answers marked below."),
        body[2],
        problem("Please choose one."),
    ]
    assert [content(r) for r in replies] == [
        card_message(adaptive_card(body, [SEND]), "Quick survey")
    ]
    assert survey.received == []
    assert await demo.counts() == {**before, "processed_event": before["processed_event"] + 1}


async def test_a_good_submit_is_taken_once(demo: TeamsHarness, survey: Survey) -> None:
    card = await _opened(demo)
    activity = demo.card_submit(
        "sam",
        card,
        {"answer:mood": "okay", "answer:obstacle": "mismatch", "answer:until": "2027-01-31"},
    )
    assert [content(r) for r in await demo.send(activity)] == [plain(THANKS)]
    expected = (
        "29:1sam",
        "week-1",
        {
            "mood": "okay",
            "obstacle": "mismatch",
            "words": None,
            "share": False,
            "until": "2027-01-31",
        },
    )
    assert survey.received == [expected]
    assert await demo.send(activity) == []  # Teams redelivering it: handled already
    assert survey.received == [expected]


async def test_the_value_is_checked_again_on_submit(demo: TeamsHarness, survey: Survey) -> None:
    card = await _opened(demo)
    activity = demo.card_submit("sam", card, {"answer:mood": "good"})
    activity["value"]["value"] = CLOSED  # a forged or stale card: its data is not trusted
    assert [content(r) for r in await demo.send(activity)] == [plain(IS_CLOSED)]
    assert survey.received == []


async def test_answers_of_a_form_no_longer_in_use(demo: TeamsHarness) -> None:
    activity = demo.card_submit("sam", SURVEY_CARD, {"answer:mood": "good"})
    assert [content(r) for r in await demo.send(activity)] == [refused(NO_LONGER)]
    assert await demo.send(activity) == []  # redelivered: answered once
