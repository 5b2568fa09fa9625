"""Neutral views → Teams: an Adaptive Card 1.5 where there is something to click, plain text
otherwise. A person's words are TextRuns, which Teams never reads as markdown or HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes.teams_harness import CARD, adaptive_card, bold, rich, run, submit

from bot.teams import render
from handlers.concerns import ACKNOWLEDGE, RESOLVE
from handlers.pairing import greeting
from handlers.views import (
    Actions,
    Button,
    CommandHint,
    Facts,
    Mention,
    MessageView,
    Quote,
    fact,
    note,
    section,
    simple,
)
from handlers.views import bold as strong
from storage.models import Program

OMAR = Mention(name="Omar Khayyam", handles={"teams": "29:1omar"})
SAM = Mention(name="Sam Cooke", handles={"slack": "USAM"})
TRICKY = "See [x](http://evil) and **b** <at>x</at> &amp; <b>bold</b>"
TITLE = {"type": "TextRun", "text": "", "weight": "Bolder", "size": "Medium"}


def title(text: str) -> dict:
    return rich({**TITLE, "text": text})


def concern_dm(words: str | None) -> MessageView:
    """As handlers.concerns.concern_view builds it for an open concern."""
    return MessageView(
        notification="Concern: missed meeting in Demo. Open mentorbot to respond.",
        title="Concern: missed meeting",
        blocks=[
            Facts(
                facts=[
                    fact("Program", "Demo"),
                    fact("Pair", OMAR, " (mentor) and ", SAM, " (mentee)"),
                    fact("Raised by", OMAR),
                    fact("Raised", "Mon 23 Nov 2026, 09:00 UTC"),
                ]
            ),
            Quote(text=words) if words else note("They added no words."),
            Actions(
                buttons=[
                    Button(label="Acknowledge", action=ACKNOWLEDGE, value="7", style="primary"),
                    Button(label="Resolve", action=RESOLVE, value="7"),
                ]
            ),
            note("The other member of the pair has not been told."),
        ],
    )


def status_view() -> MessageView:
    """As handlers.status.status builds it."""
    return MessageView(
        notification="Status of Demo",
        title="Demo: status",
        blocks=[
            section("Purpose: ", "Help graduates settle in"),
            Facts(
                facts=[
                    fact("Managers", Mention(name="Ada Lovelace"), ", ", Mention(name="Max")),
                    fact("Mentors", "1"),
                    fact("Mentees", "1"),
                ]
            ),
            section(strong("Active pairs: 1"), "\n• ", OMAR, " mentors ", SAM),
            section(strong("Open concerns: 0")),
            section(
                strong("Messages that could not be delivered: 1"),
                "\n• to ",
                Mention(name="Max Planck"),
                ": MessageWritesBlocked (teams answered 403)",
            ),
        ],
    )


def greeting_view() -> MessageView:
    program = Program(
        name="Demo",
        name_key="demo",
        purpose="Help graduates settle in",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    return greeting(program, "mentee", OMAR)


def test_a_concern_dm_is_a_version_1_5_card_with_submit_buttons() -> None:
    outgoing = render.activity(concern_dm("We have not met for a month."))
    assert outgoing.serialize() == {
        "type": "message",
        "summary": "Concern: missed meeting in Demo. Open mentorbot to respond.",
        "attachments": [
            {
                "contentType": CARD,
                "content": adaptive_card(
                    [
                        title("Concern: missed meeting"),
                        {
                            "type": "Container",
                            "items": [
                                rich(bold("Program: "), "Demo"),
                                rich(
                                    bold("Pair: "),
                                    bold("Omar Khayyam"),
                                    " (mentor) and ",
                                    bold("Sam Cooke"),
                                    " (mentee)",
                                ),
                                rich(bold("Raised by: "), bold("Omar Khayyam")),
                                rich(bold("Raised: "), "Mon 23 Nov 2026, 09:00 UTC"),
                            ],
                        },
                        {
                            "type": "Container",
                            "style": "emphasis",
                            "items": [rich(run("We have not met for a month.", italic=True))],
                        },
                        rich(run("The other member of the pair has not been told.", isSubtle=True)),
                    ],
                    [
                        submit("Acknowledge", ACKNOWLEDGE, "7", "positive"),
                        submit("Resolve", RESOLVE, "7"),
                    ],
                ),
            }
        ],
    }


def test_a_concern_without_words_says_so_in_small_print() -> None:
    content = render.card(concern_dm(None))
    assert content["body"][2] == rich(run("They added no words.", isSubtle=True))


def test_status_as_a_card() -> None:
    assert render.card(status_view()) == adaptive_card(
        [
            title("Demo: status"),
            rich("Purpose: ", "Help graduates settle in"),
            {
                "type": "Container",
                "items": [
                    rich(bold("Managers: "), bold("Ada Lovelace"), ", ", bold("Max")),
                    rich(bold("Mentors: "), "1"),
                    rich(bold("Mentees: "), "1"),
                ],
            },
            rich(
                bold("Active pairs: 1"),
                "\n• ",
                bold("Omar Khayyam"),
                " mentors ",
                bold("Sam Cooke"),
            ),
            rich(bold("Open concerns: 0")),
            rich(
                bold("Messages that could not be delivered: 1"),
                "\n• to ",
                bold("Max Planck"),
                ": MessageWritesBlocked (teams answered 403)",
            ),
        ],
        [],
    )


def test_status_has_nothing_to_click_so_it_is_sent_as_plain_text() -> None:
    assert render.activity(status_view()).serialize() == {
        "type": "message",
        "textFormat": "plain",
        "summary": "Status of Demo",
        "text": (
            "Demo: status\n\n"
            "Purpose: Help graduates settle in\n\n"
            "Managers: Ada Lovelace, Max\nMentors: 1\nMentees: 1\n\n"
            "Active pairs: 1\n• Omar Khayyam mentors Sam Cooke\n\n"
            "Open concerns: 0\n\n"
            "Messages that could not be delivered: 1\n"
            "• to Max Planck: MessageWritesBlocked (teams answered 403)"
        ),
    }


def test_the_greeting_as_a_card_and_as_plain_text() -> None:
    view = greeting_view()
    hint = run("concern <kind> [what happened]", fontType="Monospace")
    assert render.card(view) == adaptive_card(
        [
            title("Welcome to your mentoring pair"),
            rich("Your mentor is ", bold("Omar Khayyam"), " in ", bold("Demo"), "."),
            rich("The program's purpose: ", "Help graduates settle in"),
            rich(
                "You own the agenda and the goals: bring what you want to work on. "
                "What you say to each other stays between you."
            ),
            rich(
                "If something is not working, tell the program manager privately at any time: ",
                hint,
                ". Your partner is not told.",
            ),
        ],
        [],
    )
    assert render.activity(view).serialize() == {
        "type": "message",
        "textFormat": "plain",
        "summary": "You have a new mentoring partner in Demo.",
        "text": (
            "Welcome to your mentoring pair\n\n"
            "Your mentor is Omar Khayyam in Demo.\n\n"
            "The program's purpose: Help graduates settle in\n\n"
            "You own the agenda and the goals: bring what you want to work on. "
            "What you say to each other stays between you.\n\n"
            "If something is not working, tell the program manager privately at any time: "
            "`concern <kind> [what happened]`. Your partner is not told."
        ),
    }


def test_an_update_stays_a_card_once_its_buttons_are_gone() -> None:
    view = MessageView(
        notification="Concern resolved",
        title="Concern: missed meeting",
        blocks=[section(strong("Resolved by you"), " · Mon 23 Nov 2026, 10:00 UTC")],
    )
    assert render.activity(view).attachments is None
    outgoing = render.activity(view, as_card=True).serialize()
    assert outgoing == {
        "type": "message",
        "summary": "Concern resolved",
        "attachments": [
            {
                "contentType": CARD,
                "content": adaptive_card(
                    [
                        title("Concern: missed meeting"),
                        rich(bold("Resolved by you"), " · Mon 23 Nov 2026, 10:00 UTC"),
                    ],
                    [],
                ),
            }
        ],
    }


def test_a_persons_words_stay_literal_text_runs() -> None:
    view = concern_dm(TRICKY)
    card = render.card(view)
    assert card["body"][2]["items"] == [rich(run(TRICKY, italic=True))]
    # No TextBlock anywhere: Teams would read its text as markdown.
    assert "'TextBlock'" not in str(card)
    # The notification (the card's summary) is the bot's words only.
    assert "evil" not in render.activity(view).summary


def test_words_in_a_section_or_a_name_are_runs_too() -> None:
    view = MessageView(
        notification="n",
        blocks=[
            section("Purpose: ", TRICKY),
            section(Mention(name="**Eve** [me](http://evil)"), " wrote"),
            Actions(buttons=[Button(label="<at>x</at>", action="a", value="**v**")]),
        ],
    )
    assert render.card(view)["body"] == [
        rich("Purpose: ", TRICKY),
        rich(bold("**Eve** [me](http://evil)"), " wrote"),
    ]
    assert render.card(view)["actions"] == [submit("<at>x</at>", "a", "**v**")]


def test_plain_text_keeps_words_as_they_were_typed() -> None:
    view = MessageView(
        notification="n",
        title="A title",
        blocks=[
            section("Purpose: ", TRICKY, " — try ", CommandHint(text="help")),
            Quote(text="line one\nline two"),
            note("small print"),
        ],
    )
    outgoing = render.activity(view).serialize()
    assert outgoing["textFormat"] == "plain"
    assert outgoing["text"] == (
        f"A title\n\nPurpose: {TRICKY} — try `help`\n\n> line one\n> line two\n\nsmall print"
    )


def test_a_simple_message_is_plain_text_whose_summary_is_itself() -> None:
    assert render.activity(simple("Hello there.")).serialize() == {
        "type": "message",
        "text": "Hello there.",
        "textFormat": "plain",
        "summary": "Hello there.",
    }


def test_danger_buttons_are_destructive() -> None:
    view = MessageView(
        notification="n",
        blocks=[Actions(buttons=[Button(label="End", action="a", value="1", style="danger")])],
    )
    assert render.card(view)["actions"] == [submit("End", "a", "1", "destructive")]
