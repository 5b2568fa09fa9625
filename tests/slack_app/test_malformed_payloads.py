"""Signed requests that do not say who sent them (or whose fields are not text) are
refused with 400 and no traceback: never a KeyError in a listener and a 500."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fakes.slack_harness import SlackHarness

from bot.slack.listeners.commands import MALFORMED


def _tracebacks(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> list[str]:
    logged = [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    printed = capsys.readouterr()
    return logged + [text for text in (printed.out, printed.err) if "Traceback" in text]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda form: form.pop("user_id"), id="no-user_id"),
        pytest.param(lambda form: form.update(user_id=""), id="empty-user_id"),
        pytest.param(lambda form: form.update(user_id="   "), id="blank-user_id"),
    ],
)
async def test_a_form_command_without_a_user_is_a_400(
    slack: SlackHarness, change: Any, caplog, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    form = slack.command_form("UADA", "help")
    change(form)
    reply = await slack.post_form(form)
    assert (reply.status, reply.json) == (400, MALFORMED)
    assert _tracebacks(caplog, capsys) == []
    assert slack.fake.responses == [] and slack.fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda body: body.pop("user_id"), id="no-user_id"),
        pytest.param(lambda body: body.update(user_id=42), id="user_id-a-number"),
        pytest.param(lambda body: body.update(team_id=["T1"]), id="team_id-a-list"),
        pytest.param(lambda body: body.update(text=["help"]), id="text-a-list"),
        pytest.param(lambda body: body.update(text=None), id="text-null"),
    ],
)
async def test_a_json_command_with_odd_fields_is_a_400(
    slack: SlackHarness, change: Any, caplog, capsys
) -> None:
    body: dict[str, Any] = dict(slack.command_form("UADA", "help"))
    change(body)
    reply = await slack.post_json(body)
    if body.get("text", "") is None:  # JSON null: as good as no text, the overview
        assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    else:
        assert (reply.status, reply.json) == (400, MALFORMED)
    assert _tracebacks(caplog, capsys) == []


async def test_a_command_without_team_or_text_is_answered(slack: SlackHarness) -> None:
    form = slack.command_form("UADA", "help")
    del form["team_id"], form["text"]
    reply = await slack.post_form(form)
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda payload: payload.pop("user"), id="no-user"),
        pytest.param(lambda payload: payload.update(user={"name": "ada"}), id="user-without-id"),
        pytest.param(lambda payload: payload.update(user="UADA"), id="user-a-string"),
    ],
)
async def test_a_click_without_a_user_is_acked_and_ignored_without_a_traceback(
    slack: SlackHarness, change: Any, caplog, capsys
) -> None:
    """Not a click as Slack sends one: acked (so Slack shows no error), nobody to answer,
    nothing done, nothing logged as a failure."""
    payload = slack.click_payload("UADA", "concern:ack", "1", response_id="odd-click")
    change(payload)
    reply = await slack.post_form({"payload": json.dumps(payload)})
    assert (reply.status, reply.text) == (200, "")
    assert slack.fake.responses_to("odd-click") == []
    assert _tracebacks(caplog, capsys) == []
    assert slack.fake.calls_to("chat.update") == []
