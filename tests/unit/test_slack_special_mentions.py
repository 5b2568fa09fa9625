"""Slack's special mentions (<!channel>, <!here>, <!everyone>, <!subteam^…>) in a concern:
words about a crowd, never the partner, and inert text when shown to a manager."""

from __future__ import annotations

import pytest

from bot.slack import parse as slack_parse
from bot.slack import render
from handlers.commands import RaiseConcern, parse
from handlers.grammar import Handle
from handlers.views import MessageView, Quote


@pytest.mark.parametrize(
    ("special", "word"),
    [
        ("<!channel>", "@channel"),
        ("<!here>", "@here"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S0123>", "@subteam"),
    ],
)
def test_a_special_mention_is_words_not_the_partner(special: str, word: str) -> None:
    typed = f"concern confidentiality {special} knows what I said"
    concern = parse(slack_parse.command_text(typed))
    assert concern == RaiseConcern("confidentiality", None, f"{word} knows what I said")

    with_partner = f"concern conduct <@U2|sam> {special} heard it"
    assert parse(slack_parse.command_text(with_partner)) == RaiseConcern(
        "conduct", Handle("U2", "sam"), f"{word} heard it"
    )


def test_the_words_reach_the_manager_as_inert_text() -> None:
    concern = parse(slack_parse.command_text("concern other <!channel> <!here> & you"))
    assert isinstance(concern, RaiseConcern) and concern.words
    [block] = render.message(MessageView(notification="n", blocks=[Quote(text=concern.words)]))[
        "blocks"
    ]
    assert block["text"]["text"] == "&gt; @channel @here &amp; you"
