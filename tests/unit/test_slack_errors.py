"""Slack's answers, classified once by the messenger (the real client against the fake
Slack): the recipient unreachable, the message refused, the app itself unable to send,
rate limited or temporary; each reason in words with Slack's code kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes.delivery import WaitableSlackApi

from bot.settings import Settings
from bot.slack.app import build_client
from bot.slack.messenger import SlackMessenger
from handlers.ports import (
    Address,
    AppCannotSend,
    DeliveryError,
    PermanentFailure,
    RateLimited,
    RecipientUnreachable,
    TemporaryFailure,
)
from handlers.views import simple

MAYA = Address("slack", "UMAYA", "T0001", {})


@pytest.fixture
async def slack():
    async with WaitableSlackApi() as api:
        yield api


@pytest.fixture
def messenger(slack):
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)  # type: ignore[call-arg]
    return SlackMessenger(build_client(settings))


@pytest.mark.parametrize(
    ("code", "kind", "reason"),
    [
        ("user_not_found", RecipientUnreachable, "their Slack account was not found"),
        ("user_disabled", RecipientUnreachable, "their Slack account is deactivated"),
        (
            "channel_not_found",
            RecipientUnreachable,
            "the bot could not open a direct message with them",
        ),
        (
            "cannot_dm_bot",
            RecipientUnreachable,
            "they are a bot, and bots cannot get direct messages",
        ),
        # The message itself is the problem (a bug): that row fails too.
        ("msg_too_long", PermanentFailure, "the message was too long for Slack"),
        ("invalid_blocks", PermanentFailure, "Slack refused the message's layout"),
        # The app itself cannot send: an alarm, never a failed row.
        ("invalid_auth", AppCannotSend, "Slack refused the bot token"),
        ("not_authed", AppCannotSend, "no Slack bot token was sent"),
        ("token_revoked", AppCannotSend, "the Slack bot token was revoked"),
        (
            "account_inactive",
            AppCannotSend,
            "the bot's Slack account or workspace is no longer active",
        ),
        ("missing_scope", AppCannotSend, "the Slack app lacks a permission it needs"),
    ],
)
async def test_each_slack_error_is_one_class_with_a_reason_in_words(
    code, kind, reason, slack, messenger
):
    slack.fail_next("chat.postMessage", error=code)
    with pytest.raises(DeliveryError) as raised:
        await messenger.post(MAYA, simple("hello"), outbox_id=1)
    assert type(raised.value) is kind
    assert raised.value.reason == f"{reason} ({code})"


async def test_a_missing_permission_is_named(slack, messenger):
    slack.answer_next(
        "conversations.open",
        status=200,
        body='{"ok": false, "error": "missing_scope", "needed": "im:write", "provided": "x"}',
        content_type="application/json",
    )
    with pytest.raises(AppCannotSend) as raised:
        await messenger.find_sent(MAYA, 1, datetime(2026, 11, 23, tzinfo=UTC))
    assert raised.value.reason == (
        "the Slack app lacks the im:write permission: add it and reinstall the app (missing_scope)"
    )


@pytest.mark.parametrize(
    ("answer", "kind", "reason"),
    [
        ({"status": 429, "retry_after": 7}, RateLimited, "rate limited; retry after 7s"),
        ({"status": 503}, TemporaryFailure, "slack answered 503"),
        ({"status": 200, "error": "some_new_code"}, TemporaryFailure, "some_new_code"),
    ],
)
async def test_limits_outages_and_unknown_codes_are_retried(answer, kind, reason, slack, messenger):
    slack.fail_next("chat.postMessage", **answer)
    with pytest.raises(kind) as raised:
        await messenger.post(MAYA, simple("hello"), outbox_id=1)
    assert raised.value.reason == reason
