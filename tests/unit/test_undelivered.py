"""Why a message was not delivered, in words a manager reads, with the raw code kept."""

from __future__ import annotations

import pytest

from handlers.undelivered import Failed, read_key, what, why
from handlers.views import Mention


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("user_not_found", "their Slack account was not found (user_not_found)"),
        ("user_disabled", "their Slack account is deactivated (user_disabled)"),
        (
            "MessageWritesBlocked (teams answered 403)",
            "they have blocked the bot / app not installed "
            "(MessageWritesBlocked; teams answered 403)",
        ),
        (
            "ConversationBlockedByUser (teams answered 403)",
            "they have blocked the bot (ConversationBlockedByUser; teams answered 403)",
        ),
        # Reasons already in words, and codes no one has described, are shown as they are.
        (
            "not reachable on a connected platform (known on: slack)",
            "not reachable on a connected platform (known on: slack)",
        ),
        (
            "has not installed the Teams app (no conversation yet)",
            "has not installed the Teams app (no conversation yet)",
        ),
        ("http 403 (teams answered 403)", "http 403 (teams answered 403)"),
        ("some_new_code", "some_new_code"),
        (None, "unknown error"),
        ("", "unknown error"),
    ],
)
def test_why_in_words_with_the_raw_code(reason: str | None, shown: str) -> None:
    assert why(reason) == shown


@pytest.mark.parametrize(
    ("key", "failed"),
    [
        ("pair:7:greeting:3", Failed("greeting", 7)),
        ("concern:12:manager:4", Failed("concern", 12)),
        ("concern:12:acknowledged:update:4", Failed("update", 12, "acknowledged")),
        ("concern:12:withdrawn@20261130T090000:update:4", Failed("update", 12, "withdrawn")),
        ("checkin:1:2:3", Failed("other", None)),
        ("pair:x:greeting:3", Failed("other", None)),
        ("odd", Failed("other", None)),
        ("", Failed("other", None)),
    ],
)
def test_the_dedupe_key_says_which_message_it_was(key: str, failed: Failed) -> None:
    assert read_key(key) == failed


def test_which_message_as_inline_parts() -> None:
    ada, max_, sam = Mention(name="Ada"), Mention(name="Max"), Mention(name="Sam")
    assert what(Failed("greeting", 7), sam, (max_, sam)) == [
        "greeting to ",
        sam,
        " for the pair ",
        max_,
        " & ",
        sam,
    ]
    assert what(Failed("concern", 3), ada, None) == ["concern #3 DM to manager ", ada]
    assert what(Failed("update", 3, "resolved"), ada, None) == [
        "concern #3 update (resolved) to manager ",
        ada,
    ]
    assert what(Failed("greeting", 7), sam, None) == ["message to ", sam]  # pair is gone
    assert what(Failed("other", None), sam, None) == ["message to ", sam]
