"""Slack text → neutral command text (bot/slack/parse.py), and neutral views → Block Kit
(bot/slack/render.py): what a person typed stays inert text both ways."""

from __future__ import annotations

import pytest

from bot.slack import parse, render
from handlers.commands import Enrol, PairUp, RaiseConcern, Usage
from handlers.commands import parse as parse_command
from handlers.grammar import MENTION_CLOSE as CLOSE
from handlers.grammar import MENTION_OPEN as OPEN
from handlers.grammar import Email, Handle
from handlers.views import (
    Actions,
    Button,
    CommandHint,
    Fact,
    Facts,
    Mention,
    MessageView,
    Note,
    Quote,
    Section,
    Span,
    bold,
    fact,
    note,
    section,
)


@pytest.mark.parametrize(
    ("slack_text", "neutral"),
    [
        ("<@U123ABC>", f"{OPEN}U123ABC{CLOSE}"),
        ("<@U123ABC|ada>", f"{OPEN}U123ABC|ada{CLOSE}"),
        ("<@W0GRID|ada>", f"{OPEN}W0GRID|ada{CLOSE}"),  # Enterprise Grid user
        ("<mailto:a@b.com|a@b.com>", "a@b.com"),
        ("<mailto:a@b.com>", "a@b.com"),
        ("<https://example.com>", "https://example.com"),
        ("<https://evil.example|https://good.example>", "https://evil.example"),  # not the label
        ("<#C0123|general>", "#general"),
        ("<#C0123>", "#C0123"),
        ("<!here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!here|here>", "here"),
        ("<!subteam^S0123|@admins>", "@admins"),
        ("<!subteam^S0123>", "@subteam"),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"),
        ("&lt;!channel&gt;", "<!channel>"),  # typed literally: Slack sent entities
        ("&lt;@U1&gt;", "<@U1>"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&amp;lt;", "&lt;"),  # typed literally as "&lt;"
        ("a &gt; b &lt; c", "a > b < c"),
        ("<>", ""),
        ("plain words", "plain words"),
        # Mention sentinels typed by a person are stripped: a mention only comes from Slack.
        (f"{OPEN}U1|forged{CLOSE}", "U1|forged"),
        (f"<@U1|a{CLOSE}b>", f"{OPEN}U1|ab{CLOSE}"),
        (f"x{OPEN}<@U2>{CLOSE}y", f"x{OPEN}U2{CLOSE}y"),
    ],
)
def test_command_text(slack_text, neutral) -> None:
    assert parse.command_text(slack_text) == neutral


def test_commands_parse_from_what_slack_sends() -> None:
    text = parse.command_text
    assert parse_command(text("enrol <@U1|ada> mentor")) == Enrol(Handle("U1", "ada"), "mentor")
    assert parse_command(text("enrol <mailto:Ada@B.com|Ada@B.com> mentee")) == Enrol(
        Email("ada@b.com"), "mentee"
    )
    assert parse_command(text("pair <@U1> <@U2|sam>")) == PairUp(Handle("U1"), Handle("U2", "sam"))
    assert parse_command(text("concern other <@U2|sam> he &amp; I &lt;!here&gt;")) == (
        RaiseConcern("other", Handle("U2", "sam"), "he & I <!here>")
    )
    # A forged mention names nobody.
    assert isinstance(parse_command(text(f"enrol {OPEN}U1{CLOSE} mentor")), Usage)


def test_caller() -> None:
    caller = parse.caller("U1", "T1")
    assert (caller.platform, caller.external_id, caller.workspace_id) == ("slack", "U1", "T1")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<https://x|y>", "&lt;https://x|y&gt;"),
        ("<@U999>", "&lt;@U999&gt;"),
        ("&amp;", "&amp;amp;"),
        ("*bold* _it_ `code`", "*bold* _it_ `code`"),
        ("", ""),
    ],
)
def test_escape(raw, escaped) -> None:
    assert render.escape(raw) == escaped


def test_inline_parts_render_as_mrkdwn() -> None:
    parts = [
        Span(text="Hi <!channel> & "),
        Mention(name="Ada", handles={"slack": "U1", "teams": "29:x"}),
        Span(text=", "),
        Mention(name="<@U999> Mallory", handles={"teams": "29:y"}),  # no Slack id: escaped name
        Span(text=" in "),
        bold("R&D"),
        Span(text=": "),
        CommandHint(text='program create "<name>"'),
    ]
    assert render.mrkdwn(parts) == (
        "Hi &lt;!channel&gt; &amp; <@U1>, &lt;@U999&gt; Mallory in *R&amp;D*: "
        '`/mentoring program create "&lt;name&gt;"`'
    )


def test_every_block_kind() -> None:
    view = MessageView(
        notification="Heads up <!channel> & more",
        title="A title",
        blocks=[
            section("Hello ", Mention(name="Ada", handles={"slack": "U1"}), "."),
            Quote(text="line one <b>\nline & two"),
            Facts(facts=[fact("Who <me>", "Ada & Max"), fact("When", bold("now"))]),
            Actions(
                buttons=[
                    Button(label="Go", action="x.go", value="1", style="primary"),
                    Button(label="Stop", action="x.stop", value="2", style="danger"),
                    Button(label="Later", action="x.later", value="3"),
                ]
            ),
            note("small ", CommandHint(text="help")),
        ],
    )
    assert render.message(view) == {
        "text": "Heads up &lt;!channel&gt; &amp; more",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "A title", "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "Hello <@U1>."}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "&gt; line one &lt;b&gt;\n&gt; line &amp; two"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Who &lt;me&gt;*\nAda &amp; Max"},
                    {"type": "mrkdwn", "text": "*When*\n*now*"},
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Go", "emoji": True},
                        "action_id": "x.go",
                        "value": "1",
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Stop", "emoji": True},
                        "action_id": "x.stop",
                        "value": "2",
                        "style": "danger",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Later", "emoji": True},
                        "action_id": "x.later",
                        "value": "3",
                    },
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "small `/mentoring help`"}],
            },
        ],
    }
    assert render.home(view) == {"type": "home", "blocks": render.blocks(view)}


def test_limits_slack_would_reject() -> None:
    view = MessageView(
        notification="n",
        title="T" * 200,
        blocks=[
            Section(content=[Span(text="x" * 3100)]),
            Quote(text=""),
            Facts(facts=[Fact(label=f"L{i}", value=[Span(text=str(i))]) for i in range(12)]),
            Note(content=[Span(text="<&>")]),
        ],
    )
    [title, long_section, rest, empty_quote, facts, more_facts, small] = render.blocks(view)
    assert title["text"]["text"] == "T" * 150  # a header holds 150 characters
    # A section holds 3000: the rest goes on in the next one, nothing is left out.
    assert (long_section["text"]["text"], rest["text"]["text"]) == ("x" * 3000, "x" * 100)
    assert empty_quote["text"]["text"] == "&gt; "
    # A section holds 10 fields: the others follow in a second section.
    assert [f["text"] for f in facts["fields"]] == [f"*L{i}*\n{i}" for i in range(10)]
    assert [f["text"] for f in more_facts["fields"]] == ["*L10*\n10", "*L11*\n11"]
    assert small["elements"][0]["text"] == "&lt;&amp;&gt;"


def test_no_title_no_header() -> None:
    assert render.blocks(MessageView(notification="n", blocks=[section("x")])) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    ]
