"""Signed requests that do not say who sent them (or whose fields are not text) are
refused with 400 and no traceback: never a KeyError in a listener and a 500. Bodies that
are not UTF-8, JSON nested absurdly deep, and signed payloads of the wrong shape are
refused before Bolt sees them (400), with one log line naming what was wrong; a timestamp
that is no number is a 401. An unsigned body of the wrong shape is a 401: the signature
is checked before the shape (only a body that is no Slack body at all is a 400 unsigned)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from fakes.slack_harness import SIGNING_SECRET, SlackHarness, ephemeral, header, section
from fakes.slack_harness import signature as sign
from structlog.testing import capture_logs

from bot.slack.listeners.commands import MALFORMED
from bot.slack.workspace import ELSEWHERE

# No text: the overview, for someone in no program yet.
NOT_IN_A_PROGRAM = ephemeral(
    "Your mentoring",
    [
        header("Your mentoring"),
        section(
            "You are not in a mentoring program yet. When a program manager pairs you, "
            "I will introduce you to your partner here."
        ),
    ],
)


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
        assert (reply.status, reply.json) == (200, NOT_IN_A_PROGRAM)
    elif not isinstance(body.get("team_id"), str):  # refused by the edge, before Bolt
        assert (reply.status, reply.json) == (400, {"error": "not a Slack request body"})
    else:
        assert (reply.status, reply.json) == (400, MALFORMED)
    assert _tracebacks(caplog, capsys) == []


async def test_a_command_without_team_or_text_is_answered(slack: SlackHarness) -> None:
    form = slack.command_form("UADA", "help")
    del form["text"]
    reply = await slack.post_form(form)
    assert (reply.status, reply.json) == (200, NOT_IN_A_PROGRAM)
    del form["team_id"]  # from no workspace: not this one
    reply = await slack.post_form(form)
    assert (reply.status, reply.json) == (200, {"response_type": "ephemeral", "text": ELSEWHERE})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda payload: payload.pop("user"), id="no-user"),
        pytest.param(lambda payload: payload.update(user={"name": "ada"}), id="user-without-id"),
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


# ---------------------------------------------------------------------- before Bolt

SHARED = pytest.mark.asyncio(loop_scope="module")  # the tests of the one shared app
FORM = "application/x-www-form-urlencoded"
BAD_BODY = {"error": "not a Slack request body"}
UNSIGNED = {"error": "invalid request"}
DEEP = "[" * 150_000 + "]" * 150_000


@pytest.fixture
def unchanged(unchanged_empty):
    """Nothing here changes anything (each test checks): one app serves them all."""
    return unchanged_empty


async def _nothing_happened(slack: SlackHarness, before: dict[str, int]) -> None:
    assert await slack.counts() == before
    assert slack.fake.received == [] and slack.fake.responses == []
    assert await slack.deliver() == 0


def _refusals(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in entry.items() if k != "log_level"}
        for entry in logs
        if entry["event"] == "slack_request_refused"
    ]


@SHARED
@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        pytest.param(
            b'{"type": "event_callback", "x": "\xff"}',
            "application/json",
            "not_utf8",
            id="json-not-utf8",
        ),
        pytest.param(
            "command=%2Fmentoring&text=\xe9".encode("latin-1"), FORM, "not_utf8", id="form-not-utf8"
        ),
        pytest.param(b"command=%2Fmentoring&text=\xff\xfe", FORM, "not_utf8", id="form-raw-bytes"),
        pytest.param(DEEP.encode(), "application/json", "json_too_deep", id="json-150000-deep"),
        pytest.param(
            ("payload=" + "%5B" * 150_000).encode(), FORM, "json_too_deep", id="payload-150000-deep"
        ),
        pytest.param(
            ("{" + '"a":{' * 70 + "}" * 71).encode(),
            "application/json",
            "json_too_deep",
            id="json-71-deep",
        ),
        pytest.param(
            b'{"type": "event_callback"}',
            "application/json; charset=latin-1",
            "charset_not_utf8",
            id="charset-latin-1",
        ),
        pytest.param(
            b'{"type": "event_callback"}',
            "application/json; charset=bogus",
            "charset_not_utf8",
            id="charset-unknown",
        ),
    ],
)
async def test_bodies_no_library_should_parse_are_400_if_signed_401_if_not(
    unchanged: SlackHarness, body, content_type, reason, sign, caplog, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    before = await unchanged.counts()
    with capture_logs() as logs:
        reply = await unchanged.post(body, content_type, sign=sign)
    if not sign:  # the signature is checked first: a stranger's body is never parsed
        assert (reply.status, reply.json) == (401, UNSIGNED)
        assert _refusals(logs) == [
            {"event": "slack_request_refused", "status": 401, "reason": "unsigned"}
        ]
    else:
        assert (reply.status, reply.json) == (400, BAD_BODY)
        assert _refusals(logs) == [
            {"event": "slack_request_refused", "status": 400, "reason": reason}
        ]
    assert _tracebacks(caplog, capsys) == []
    await _nothing_happened(unchanged, before)


def _event(slack: SlackHarness, change: Any) -> dict[str, Any]:
    body = slack.event_body(slack.dm_event("UADA", "help"))
    change(body)
    return body


def _click(slack: SlackHarness, change: Any) -> dict[str, Any]:
    payload = slack.click_payload("UADA", "concern:ack", "1", response_id="odd")
    change(payload)
    return payload


def _set(path: str, value: Any) -> Any:
    """A change that sets body[a][b]… = value for path 'a.b'."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            body = body[part]
        body[last] = value

    return change


# (which request, the change, the field the log names)
SHAPES = [
    pytest.param(_event, _set("event", "message"), "event", id="event-a-string"),
    pytest.param(_event, _set("team_id", 5), "team_id", id="team-id-a-number"),
    pytest.param(_event, _set("event_id", "E" * 300), "event_id", id="event-id-300-long"),
    pytest.param(_event, _set("event", None), "event", id="event-null"),
    pytest.param(_event, _set("event", ["message"]), "event", id="event-a-list"),
    pytest.param(_event, lambda b: b.pop("event"), "event", id="event-missing"),
    pytest.param(_event, _set("event.user", 42), "event.user", id="event-user-a-number"),
    pytest.param(
        _event, _set("event.user", {"id": "UADA"}), "event.user", id="event-user-an-object"
    ),
    pytest.param(_event, _set("event.type", None), "event.type", id="event-type-null"),
    pytest.param(_event, _set("event.text", ["help"]), "event.text", id="event-text-a-list"),
    pytest.param(_event, _set("event.channel", 7), "event.channel", id="event-channel-a-number"),
    pytest.param(
        _event, _set("authorizations", [1]), "authorizations", id="authorizations-not-objects"
    ),
    pytest.param(
        _event, _set("authorizations", "T1"), "authorizations", id="authorizations-a-string"
    ),
    pytest.param(_event, _set("team", 7), "team", id="team-a-number"),
    pytest.param(_event, _set("type", ["event_callback"]), "type", id="type-a-list"),
    pytest.param(_click, _set("actions", []), "actions", id="actions-empty"),
    pytest.param(_click, _set("actions", [1]), "actions", id="actions-not-objects"),
    pytest.param(_click, _set("actions", {"action_id": "x"}), "actions", id="actions-an-object"),
    pytest.param(_click, _set("actions", None), "actions", id="actions-null"),
    pytest.param(
        _click,
        lambda p: p["actions"][0].pop("action_id"),
        "actions.action_id",
        id="action-id-missing",
    ),
    pytest.param(
        _click,
        lambda p: p["actions"][0].update(action_id=5),
        "actions.action_id",
        id="action-id-a-number",
    ),
    pytest.param(
        _click,
        lambda p: p["actions"][0].update(value=["1"]),
        "actions.value",
        id="action-value-a-list",
    ),
    pytest.param(_click, _set("user", "UADA"), "user", id="user-a-string"),
    pytest.param(_click, _set("user", 42), "user", id="user-a-number"),
    pytest.param(_click, _set("user", ["UADA"]), "user", id="user-a-list"),
    pytest.param(_click, _set("user.id", 42), "user.id", id="user-id-a-number"),
    pytest.param(_click, _set("channel", ["D1"]), "channel", id="channel-a-list"),
    pytest.param(_click, _set("message", "hi"), "message", id="message-a-string"),
    pytest.param(_click, _set("view", "modal"), "view", id="view-a-string"),
    pytest.param(
        _click, _set("view", {"callback_id": 3}), "view.callback_id", id="view-callback-id-a-number"
    ),
    pytest.param(_click, _set("response_url", 5), "response_url", id="response-url-a-number"),
    # PostgreSQL refuses a NUL in text, SQLite keeps it: ids holding one are refused alike.
    pytest.param(_event, _set("event_id", "Ev1\x00"), "event_id", id="event-id-with-a-nul"),
    pytest.param(_event, _set("event.user", "U\x00B"), "event.user", id="event-user-with-a-nul"),
    pytest.param(_click, _set("user.id", "UADA\x00"), "user.id", id="user-id-with-a-nul"),
    pytest.param(_click, _set("trigger_id", "1.2\x1b"), "trigger_id", id="trigger-id-escape"),
]


def _post(slack: SlackHarness, make: Any, payload: dict[str, Any], **options: Any) -> Any:
    if make is _click:
        return slack.post_form({"payload": json.dumps(payload)}, **options)
    return slack.post_json(payload, **options)


@SHARED
@pytest.mark.parametrize(("make", "change", "field"), SHAPES)
async def test_a_signed_payload_of_the_wrong_shape_is_400_before_bolt(
    unchanged: SlackHarness, make, change, field, caplog, capsys
) -> None:
    """Slack would retry a 500 (and a listener raising on such a payload answers 500)."""
    caplog.set_level(logging.DEBUG)
    before = await unchanged.counts()
    with capture_logs() as logs:
        reply = await _post(unchanged, make, make(unchanged, change))
    assert (reply.status, reply.json) == (400, BAD_BODY)
    assert _refusals(logs) == [
        {"event": "slack_request_refused", "status": 400, "reason": "malformed", "field": field}
    ]
    assert _tracebacks(caplog, capsys) == []
    await _nothing_happened(unchanged, before)


@SHARED
@pytest.mark.parametrize(("make", "change", "field"), SHAPES[:2] + SHAPES[13:14])
async def test_an_unsigned_payload_of_the_wrong_shape_is_401(
    unchanged: SlackHarness, make, change, field
) -> None:
    """The signature is checked before the shape: who is not Slack learns nothing more."""
    before = await unchanged.counts()
    with capture_logs() as logs:
        reply = await _post(unchanged, make, make(unchanged, change), sign=False)
    assert (reply.status, reply.json) == (401, UNSIGNED)
    assert _refusals(logs) == [
        {"event": "slack_request_refused", "status": 401, "reason": "unsigned"}
    ]
    await _nothing_happened(unchanged, before)


@SHARED
@pytest.mark.parametrize(
    ("stamp", "signature", "reason"),
    [
        pytest.param("soon", None, "timestamp_not_a_number", id="timestamp-a-word"),
        pytest.param("", None, "timestamp_not_a_number", id="timestamp-empty"),
        pytest.param("-1", None, "timestamp_not_a_number", id="timestamp-negative"),
        pytest.param("1e9", None, "timestamp_not_a_number", id="timestamp-exponent"),
        pytest.param("١٧٠٠٠٠٠٠٠٠", None, "timestamp_not_a_number", id="timestamp-arabic-digits"),
        pytest.param(None, "v0=ñ", "bad_signature", id="signature-not-ascii"),
    ],
)
async def test_a_timestamp_or_signature_of_the_wrong_form_is_401(
    unchanged: SlackHarness, stamp, signature, reason, caplog, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    before = await unchanged.counts()
    body = urlencode(unchanged.command_form("UADA", "help"))
    stamp = str(int(time.time())) if stamp is None else stamp
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or sign(SIGNING_SECRET, stamp, body),
    }
    with capture_logs() as logs:
        reply = await unchanged.post(body, FORM, sign=False, headers=headers)
    assert (reply.status, reply.json) == (401, UNSIGNED)
    assert _refusals(logs) == [{"event": "slack_request_refused", "status": 401, "reason": reason}]
    assert _tracebacks(caplog, capsys) == []
    await _nothing_happened(unchanged, before)


@SHARED
async def test_after_all_that_the_bot_still_answers(unchanged: SlackHarness) -> None:
    reply = await unchanged.command("UADA", "help")
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert reply.json["text"] == "What mentorbot can do"  # the help, not an apology
