"""Slack's auth.test failing, or Slack unreachable, when a command arrives: Bolt's default
single-workspace authorize would fail the request. The bot knows its own token: it still
answers (in the HTTP response, no Slack call needed), and the outbox delivers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import structlog
from fakes.slack_harness import IN_A_PAIR, SlackHarness, ephemeral, header

import bot.slack.authorize
from bot.slack.authorize import RETRY_AFTER_SECONDS

HELP_FOR_A_MENTOR = ephemeral("What mentorbot can do", [header("mentorbot"), IN_A_PAIR])


def _drop(slack: SlackHarness) -> str:
    slack.fake.drop_next("auth.test")
    return "ServerDisconnectedError"


def _server_error(slack: SlackHarness) -> str:
    slack.fake.fail_next("auth.test", status=500)
    return "internal_error"


def _invalid_auth(slack: SlackHarness) -> str:
    slack.fake.fail_next("auth.test", error="invalid_auth")
    return "invalid_auth"


def _hang(slack: SlackHarness) -> str:
    slack.fake.hang_next("auth.test")
    return "TimeoutError"


def _timeout_for(failure: Callable[[SlackHarness], str]) -> float:
    # The hang waits out the budget: keep it short there, and real everywhere else.
    return 0.05 if failure is _hang else bot.slack.authorize.AUTH_TEST_SECONDS


class Later:
    """The authorize's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("failure", [_drop, _server_error, _invalid_auth, _hang])
async def test_a_command_is_answered_when_auth_test_fails(
    demo: SlackHarness, failure: Callable[[SlackHarness], str], monkeypatch
) -> None:
    monkeypatch.setattr(bot.slack.authorize, "AUTH_TEST_SECONDS", _timeout_for(failure))
    later = Later()
    authorize = demo.edge.authorize
    assert authorize is not None
    authorize.monotonic = later
    asked = []
    auth_test = authorize.client.auth_test

    async def counted_auth_test(**kwargs: object):
        asked.append(kwargs)
        return await auth_test(**kwargs)

    monkeypatch.setattr(authorize.client, "auth_test", counted_auth_test)
    reason = failure(demo)
    with structlog.testing.capture_logs() as logs:
        reply = await demo.command("UOMAR", "help")
    assert (reply.status, reply.json) == (200, HELP_FOR_A_MENTOR)
    assert logs == [{"event": "slack_auth_test_failed", "reason": reason, "log_level": "warning"}]

    # A command that makes the bot write: answered, and the outbox delivers with the token.
    reply = await demo.command("UOMAR", "concern missed-meeting Sam did not come")
    assert (reply.status, reply.json["text"]) == (200, "Your concern was recorded.")
    assert await demo.deliver() == 2
    assert [(c.args["channel"], c.token) for c in demo.fake.calls_to("chat.postMessage")] == [
        ("UADA", "xoxb-test"),
        ("UMAX", "xoxb-test"),
    ]
    # Slack was asked once: requests do not wait on a failing auth.test again at once.
    assert len(asked) == 1

    # Later Slack answers, and the bot learns who it is.
    later.now += RETRY_AFTER_SECONDS
    assert (await demo.command("UOMAR", "help")).json == HELP_FOR_A_MENTOR
    assert len(asked) == 2
    assert authorize.identity is not None
    assert authorize.identity["user_id"] == "UBOT"
    later.now += RETRY_AFTER_SECONDS
    await demo.command("UOMAR", "help")
    assert len(asked) == 2  # known now: never asked again


async def test_a_dm_command_is_answered_when_slack_was_unreachable(demo: SlackHarness) -> None:
    demo.fake.drop_next("auth.test")
    reply = await demo.event(demo.dm_event("UOMAR", "help"))
    assert (reply.status, reply.text) == (200, "")
    assert await demo.deliver() == 1
    [answer] = demo.fake.calls_to("chat.postMessage")
    assert (answer.token, answer.args) == (
        "xoxb-test",
        {
            "channel": "UOMAR",
            "text": "What mentorbot can do",
            "blocks": [header("mentorbot"), IN_A_PAIR],
            "metadata": await demo.metadata_of(answer),
        },
    )


async def test_starting_makes_no_slack_call_and_the_first_request_asks_once(
    slack: SlackHarness,
) -> None:
    # AsyncApp cannot await in its constructor: Bolt checks the token on the first request.
    assert slack.fake.received == []
    for _ in range(3):
        assert (await slack.command("ULENA", "help")).status == 200
    [auth] = slack.fake.calls_to("auth.test")
    assert auth.token == "xoxb-test"
