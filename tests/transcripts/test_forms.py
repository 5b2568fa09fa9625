# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Forms in the console, through the test-only survey (tests/fakes/forms.py): pressing its
button asks the questions one by one, numbered choices, a typed line, y/n, a date; a
wrong answer is said why and asked again; `cancel` abandons; the answers go to the core."""

from __future__ import annotations

from dataclasses import replace
from textwrap import dedent

from fakes.forms import CLOSED, SURVEY, Survey, survey_form

from bot.console.session import DEMO_SETUP
from handlers.form_router import FORMS
from handlers.forms import TextField
from handlers.ports import Address
from handlers.views import Actions, Button, MessageView, section

X201 = "x" * 201


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def _offered(console, value: str = "week-1") -> str:
    """The survey's button, in a DM to @sam; returns the `press` that presses it."""
    await console.setup(DEMO_SETUP)
    view = MessageView(
        notification="A quick survey",
        blocks=[
            section("A quick survey for you."),
            Actions(buttons=[Button(label="Answer", action=SURVEY, value=value)]),
        ],
    )
    await console.session.messenger.post(Address("console", "sam"), view)
    [number] = [n for n, b in console.session.messenger.buttons.items() if b.action == SURVEY]
    return f"press {number}"


async def chat(console, who: str, *lines: str) -> str:
    """`who` types each line in turn: the transcript, each line shown as typed."""
    out = []
    for line in lines:
        out.append(f"@{who} › {line}".rstrip())
        out.append(await console.say(who, line))
    return "\n".join(out)


async def test_the_questions_one_by_one(console, survey: Survey) -> None:
    press = await _offered(console)
    transcript = await chat(
        console, "sam", press, "5", "3", "2", "We keep missing", "y", "2027-13-01", "2027-01-31"
    )
    assert transcript == said(f"""
        @sam › {press}
           @sam pressed [Answer]
        📝 Quick survey (only you see this; `cancel` stops)
           A few questions about your week.
           How is it going?
           1. Good  2. Okay  3. Struggling
        @sam › 5
           (Please type a number from 1 to 3.)
           How is it going?
           1. Good  2. Okay  3. Struggling
        @sam › 3
           What gets in the way? (Enter skips)
           1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
        @sam › 2
           Anything else? (Enter skips; at most 200 characters)
        @sam › We keep missing
           Share my words with the program manager? (y/n)
        @sam › y
           Until when? (yyyy-mm-dd; Enter skips)
        @sam › 2027-13-01
           (Please give a date as yyyy-mm-dd, for example 2026-12-31.)
           Until when? (yyyy-mm-dd; Enter skips)
        @sam › 2027-01-31
        🔒 mentorbot (only you see this):
           Thank you: your answers were recorded.
    """)
    assert survey.received == [
        (
            "sam",
            "week-1",
            {
                "mood": "struggling",
                "obstacle": "not-meeting",
                "words": "We keep missing",
                "share": True,
                "until": "2027-01-31",
            },
        )
    ]


async def test_enter_skips_what_may_be_skipped_and_only_that(console, survey: Survey) -> None:
    press = await _offered(console)
    await console.say("sam", press)
    transcript = await chat(console, "sam", "", "okay", "", "", "", "")
    assert transcript == said("""
        @sam ›
           (Please choose one.)
           How is it going?
           1. Good  2. Okay  3. Struggling
        @sam › okay
           What gets in the way? (Enter skips)
           1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
        @sam ›
           Anything else? (Enter skips; at most 200 characters)
        @sam ›
           Share my words with the program manager? (y/n)
        @sam ›
           Until when? (yyyy-mm-dd; Enter skips)
        @sam ›
        🔒 mentorbot (only you see this):
           Thank you: your answers were recorded.
    """)
    assert survey.received == [
        (
            "sam",
            "week-1",
            {"mood": "okay", "obstacle": None, "words": None, "share": False, "until": None},
        )
    ]


async def test_answers_that_cannot_be_taken_are_asked_again(console, survey: Survey) -> None:
    press = await _offered(console)
    await console.say("sam", press)
    transcript = await chat(console, "sam", "Good", "7", "nothing", X201, "maybe", "perhaps")
    assert transcript == said(f"""
        @sam › Good
           What gets in the way? (Enter skips)
           1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
        @sam › 7
           (Please type a number from 1 to 6.)
           What gets in the way? (Enter skips)
           1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
        @sam › nothing
           Anything else? (Enter skips; at most 200 characters)
        @sam › {X201}
           (Please keep this to 200 characters; it has 201.)
           Anything else? (Enter skips; at most 200 characters)
        @sam › maybe
           Share my words with the program manager? (y/n)
        @sam › perhaps
           (Please answer y or n.)
           Share my words with the program manager? (y/n)
    """)
    assert survey.received == []


async def test_cancel_abandons_the_form_and_changes_nothing(console, survey: Survey, rows) -> None:
    press = await _offered(console)
    async with rows.unchanged(contact_may_change=True):
        await console.say("sam", press)
        assert await chat(console, "sam", "1", "cancel") == said("""
            @sam › 1
               What gets in the way? (Enter skips)
               1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
            @sam › cancel
               (Form cancelled: nothing was sent.)
        """)
    assert survey.received == []
    # Sam's lines are commands again.
    assert (await console.say("sam", "help")).startswith("🔒 mentorbot (only you see this):")


async def test_others_type_commands_while_a_form_is_open(console, survey: Survey) -> None:
    press = await _offered(console)
    await console.say("sam", press)
    assert (await console.say("maya", "help")).startswith("🔒 mentorbot (only you see this):")
    await chat(console, "sam", "1", "", "", "n", "")
    assert [who for who, _, _ in survey.received] == ["sam"]


async def test_a_form_that_will_not_open_says_why(console, survey: Survey) -> None:
    press = await _offered(console, CLOSED)
    assert await chat(console, "sam", press) == said(f"""
        @sam › {press}
           @sam pressed [Answer]
        🔒 mentorbot (only you see this):
           This survey is closed.
    """)
    assert (await console.say("sam", "help")).startswith("🔒 mentorbot (only you see this):")


async def test_what_the_core_refuses_on_submit_is_asked_again(
    console, survey: Survey, monkeypatch
) -> None:
    press = await _offered(console)
    await console.say("sam", press)
    # Meanwhile the form gains a required question (a new version of the bot, say).
    goal = TextField(name="goal", label="Your goal", required=True)

    async def grown(ctx, value: str):
        form = survey_form(value)
        return form.model_copy(update={"fields": [*form.fields, goal]})

    monkeypatch.setitem(FORMS, SURVEY, replace(FORMS[SURVEY], open=grown))
    await chat(console, "sam", "1", "", "", "")
    transcript = await chat(console, "sam", "", "Meet monthly")
    assert transcript == said("""
        @sam ›
           (Please answer this question.)
           Your goal (at most 3,000 characters)
        @sam › Meet monthly
        🔒 mentorbot (only you see this):
           Thank you: your answers were recorded.
    """)
    [(_, _, answers)] = survey.received
    assert answers == {
        "mood": "good",
        "obstacle": None,
        "words": None,
        "share": False,
        "until": None,
        "goal": "Meet monthly",
    }
