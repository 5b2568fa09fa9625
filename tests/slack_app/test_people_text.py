"""People's text in Slack: their names and words never turn into mrkdwn formatting, and
however long (up to what the parser accepts) they reach the manager whole, split over
section blocks within Slack's limits, never cut inside an entity."""

from __future__ import annotations

from typing import Any

from fakes.slack_harness import SlackHarness, context, ephemeral, header, section
from sqlmodel import select

from bot.slack import render
from handlers.commands import MAX_WORDS
from handlers.views import (
    Actions,
    Button,
    CommandHint,
    Facts,
    Mention,
    MessageView,
    Note,
    Quote,
    Section,
    Span,
    bold,
    fact,
)
from storage.db import session_factory
from storage.models import Concern

# What people typed → what Slack is sent: each mark's lookalike, never a mark.
STAR, LOW, TILDE, GRAVE = "\u2217", "\u02cd", "\u223c", "\u02cb"


async def _words(slack: SlackHarness) -> str | None:
    async with session_factory(slack.runtime.engine)() as session:
        return (await session.exec(select(Concern))).one().words


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


# ---------------------------------------------------------------------- formatting marks


def test_people_text_keeps_its_marks_as_lookalikes() -> None:
    assert render.neutral("*urgent* _x_ ~gone~ ```code``` `x`") == (
        f"{STAR}urgent{STAR} {LOW}x{LOW} {TILDE}gone{TILDE} "
        f"{GRAVE * 3}code{GRAVE * 3} {GRAVE}x{GRAVE}"
    )
    # `_` between letters or digits cannot format: snake_case and addresses stay as typed.
    assert render.neutral("jo_ng@example.org my_file_2 _lead") == (
        f"jo_ng@example.org my_file_2 {LOW}lead"
    )
    assert render.neutral("a<b> & c") == "a&lt;b&gt; &amp; c"  # entities as before
    assert render.escape("*bold*") == "*bold*"  # `escape` is entities only


def test_names_and_words_are_neutral_the_bots_bold_and_code_are_not() -> None:
    view = MessageView(
        notification="Concern in *Pilot* my_team",
        blocks=[
            Section(
                content=[
                    Span(text="From "),
                    Mention(name="*Boss* _Big_", handles={"teams": "29:x"}),  # no Slack id
                    Span(text=" and "),
                    Mention(name="*Ignored*", handles={"slack": "U1"}),
                    Span(text=" in "),
                    bold("*Pilot* `2`"),
                    Span(text=". Type `help` or "),
                    CommandHint(text="status"),
                    Span(text=" (user_not_found)."),
                ]
            ),
            Quote(text="*urgent* ```rm -rf``` ~x~\n_please_"),
            Note(content=[Span(text="A ~note~ by "), Mention(name="`Eve`")]),
        ],
    )
    assert render.message(view) == {
        "text": f"Concern in {STAR}Pilot{STAR} my_team",
        "blocks": [
            section(
                f"From {STAR}Boss{STAR} {LOW}Big{LOW} and <@U1> in "
                f"*{STAR}Pilot{STAR} {GRAVE}2{GRAVE}*. Type `help` or `/mentoring status` "
                "(user_not_found)."
            ),
            section(
                f"&gt; {STAR}urgent{STAR} {GRAVE * 3}rm -rf{GRAVE * 3} {TILDE}x{TILDE}\n"
                f"&gt; {LOW}please{LOW}"
            ),
            context(f"A {TILDE}note{TILDE} by {GRAVE}Eve{GRAVE}"),
        ],
    }


def test_fact_values_are_neutral_too() -> None:
    view = MessageView(notification="n", blocks=[Facts(facts=[fact("Program", "*Big* ~Q~")])])
    [facts] = render.blocks(view)
    assert facts["fields"] == [
        {"type": "mrkdwn", "text": f"*Program*\n{STAR}Big{STAR} {TILDE}Q{TILDE}"}
    ]


async def test_formatting_in_words_reaches_the_manager_as_text(demo) -> None:
    typed = "concern other *urgent* _x_ ~no~ ```code``` and my_file"
    await demo.command("UOMAR", typed)
    assert await _words(demo) == "*urgent* _x_ ~no~ ```code``` and my_file"
    assert await demo.deliver() == 2
    for dm in demo.dms_to("UADA") + demo.dms_to("UMAX"):
        assert dm.args["blocks"][2] == section(
            f"&gt; {STAR}urgent{STAR} {LOW}x{LOW} {TILDE}no{TILDE} "
            f"{GRAVE * 3}code{GRAVE * 3} and my_file"
        )
        assert dm.args["text"] == "Concern: other in Demo. Open mentorbot to respond."


async def test_a_program_name_and_purpose_stay_text_in_the_ack_status_and_app_home(slack) -> None:
    reply = await slack.command("UADA", 'program create "*Big* _Q_" purpose "```be``` ~kind~"')
    name = f"{STAR}Big{STAR} {LOW}Q{LOW}"
    assert reply.json == ephemeral(
        f"Created the program {name}.",
        [
            section(f"Created the program *{name}*. You manage it."),
            section(
                "Next: `/mentoring enrol @person mentor` or `/mentoring enrol @person mentee`, "
                "then `/mentoring pair @mentor @mentee`."
            ),
        ],
    )
    status = (await slack.command("UADA", "status")).json
    assert status["text"] == f"Status of {name}"
    assert status["blocks"][:2] == [
        header("*Big* _Q_: status"),  # a header is plain_text: Slack never formats it
        section(f"Purpose: ```be``` {TILDE}kind{TILDE}"),
    ]
    await slack.event(slack.home_event("UADA"))
    [publish] = slack.fake.calls_to("views.publish")
    assert section(f"You manage *{name}*.") in publish.args["view"]["blocks"]


# ---------------------------------------------------------------------- length


async def test_the_longest_words_reach_the_manager_whole_never_cut_in_an_entity(demo) -> None:
    # 2000 `<` (the most the parser takes) are 8000 characters escaped: Slack sends each
    # typed `<` as `&lt;`, and the DM carries every one, over three sections.
    await demo.command("UOMAR", "concern other " + "&lt;" * MAX_WORDS)
    assert await _words(demo) == "<" * MAX_WORDS
    assert await demo.deliver() == 2
    [dm] = demo.dms_to("UADA")
    blocks = dm.args["blocks"]
    assert blocks[2:5] == [
        section("&gt; " + "&lt;" * 747),
        section("&gt; " + "&lt;" * 748),
        section("&gt; " + "&lt;" * 505),
    ]
    assert [b["type"] for b in blocks[5:]] == ["actions", "context"]  # buttons and note follow
    assert all(len(text) <= 3000 for text in _texts(blocks))


async def test_long_words_are_split_at_spaces_and_lines(demo) -> None:
    line = "word " * 399 + "end"  # 1998 characters
    await demo.command("UOMAR", f"concern other {line}")
    await demo.deliver()
    [dm] = demo.dms_to("UADA")
    assert _texts(dm.args["blocks"]) == ["&gt; " + line]  # fits: one section

    words = "\n".join(["x & y " * 40] * 8) + "."  # 1928 characters, 3248 escaped
    await demo.command("USAM", f"concern other {words.replace('&', '&amp;')}")
    await demo.deliver()
    [_, second] = demo.dms_to("UADA")
    texts = _texts(second.args["blocks"])
    assert all(len(t) <= 3000 for t in texts) and len(texts) == 2
    assert all(t.startswith("&gt; ") for t in texts)
    # Split at a line break; together they are the words, quoted line by line.
    quoted = "\n".join("&gt; " + part.replace("&", "&amp;") for part in words.split("\n"))
    assert "\n".join(texts) == quoted


def test_every_worst_case_of_the_longest_words_fits_one_message() -> None:
    def quoted(words: str) -> list[str]:
        view = MessageView(notification="n", blocks=[Quote(text=words)])
        texts = _texts(render.message(view)["blocks"])
        assert all(len(t) <= render.SECTION_LIMIT for t in texts)
        return texts

    # Every character an entity: split anywhere but inside one, each part quoted.
    assert quoted("&" * MAX_WORDS) == [
        "&gt; " + "&amp;" * 598,
        "&gt; " + "&amp;" * 599,
        "&gt; " + "&amp;" * 599,
        "&gt; " + "&amp;" * 204,
    ]
    # Every character a line: split between lines.
    lines = "&\n" * (MAX_WORDS // 2)
    texts = quoted(lines)
    assert len(texts) == 4
    assert "\n".join(texts) == "\n".join(["&gt; &amp;"] * (MAX_WORDS // 2))


def test_a_long_section_is_split_and_its_bold_parts_stay_whole() -> None:
    view = MessageView(
        notification="n",
        blocks=[Section(content=[Span(text="a" * 2990), bold("Program name"), Span(text=" ok")])],
    )
    assert render.blocks(view) == [
        section("a" * 2990),
        section("*Program name* ok"),
    ]


def test_a_long_notification_is_cut_after_an_entity_not_inside_one() -> None:
    text = render.message(MessageView(notification="<" * 1500))["text"]
    assert text == "&lt;" * 999 + "…"  # 3997 characters: the fallback holds 4000


def test_more_blocks_than_slack_takes_keep_the_buttons() -> None:
    view = MessageView(
        notification="n",
        blocks=[
            *[Section(content=[Span(text=str(i))]) for i in range(60)],
            Actions(buttons=[Button(label="Go", action="x.go", value="1")]),
        ],
    )
    blocks = render.blocks(view)
    assert len(blocks) == 50
    assert [b["text"]["text"] for b in blocks[:48]] == [str(i) for i in range(48)]
    assert blocks[48]["type"] == "actions"
    assert blocks[49] == context(
        "(Shortened: Slack shows at most 50 parts in a message; the rest is left out.)"
    )
    assert len(render.home(view)["blocks"]) == 61  # App Home holds 100


def test_a_line_split_over_two_sections_is_quoted_in_both_and_keeps_a_typed_gt() -> None:
    words = "x" * 2989 + " > hi"  # the split falls just before the person's own `>`
    view = MessageView(notification="n", blocks=[Quote(text=words)])
    assert render.blocks(view) == [
        section("&gt; " + "x" * 2989 + " "),
        section("&gt; &gt; hi"),
    ]
