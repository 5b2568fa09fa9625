"""What `/slack/events` checks before Bolt sees a request, in this order:

1. the body is a Slack form or JSON object (UTF-8, not absurdly deep): else 400, signed
   or not (nothing to verify a signature of);
2. the signature: a numeric, fresh timestamp and Slack's HMAC over the raw bytes, else
   401 (Bolt checks it again; its own check answers a non-numeric timestamp with a 200
   apology, and compares non-ASCII signatures with an exception);
3. the shape of what Bolt and the listeners read (`event` an object, `user` an object or
   an id, `actions` a list of objects …): else 400. Slack retries a 500, so a signed but
   malformed request must never reach a listener that would raise on it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from bot.bodies import BadBody, json_object, text_of

SLACK_WINDOW = 5 * 60  # seconds a signed request stays valid, as Bolt and Slack have it
TIMESTAMP = re.compile(r"[0-9]{1,12}")
FORM = "application/x-www-form-urlencoded"


def slack_body(content_type: str, charset: str | None, raw: bytes) -> dict[str, Any]:
    """The payload Bolt will read (a form's fields, or the JSON object); BadBody if the
    body is no Slack request body at all."""
    text = text_of(raw, charset)
    if not text:
        raise BadBody("empty")
    if content_type == "application/json":
        return json_object(text)
    if content_type != FORM:
        raise BadBody("content_type")
    try:
        fields = parse_qs(text, strict_parsing=True, keep_blank_values=True)
    except ValueError:
        raise BadBody("not_a_form") from None
    if "payload" in fields:
        if len(fields["payload"]) != 1:
            raise BadBody("payload_twice")
        return json_object(fields["payload"][0])
    if not ({"command", "ssl_check", "type"} & fields.keys()):
        raise BadBody("form_without_command")
    return {name: values[-1] for name, values in fields.items()}


def as_bolt_reads_it(content_type: str, charset: str | None, raw: bytes) -> str:
    """The body for Bolt, whose parse_body takes a form body containing "payload" anywhere
    for an interactive payload (`payload=…`), and one starting with "{" for JSON: a slash
    command whose text, user name or workspace domain held the word was dropped. In a form
    without a payload field those characters are percent-encoded: it parses the same.
    Call after slack_body, on a body it accepted (and after the signature: Bolt's own
    check would see the changed bytes, so the app leaves checking to the edge)."""
    text = text_of(raw, charset)
    if content_type != FORM or "payload" in parse_qs(text, keep_blank_values=True):
        return text
    text = text.replace("payload", "p%61yload")
    return "%7B" + text[1:] if text.startswith("{") else text


def may_be_ssl_check(content_type: str, raw: bytes) -> bool:
    """Before parsing: a small form that could be Slack's unsigned certificate check (a
    real one is told apart after parsing, by is_ssl_check; anything else unsigned is 401)."""
    return (
        content_type == "application/x-www-form-urlencoded"
        and len(raw) < 512
        and (raw.startswith(b"ssl_check=1") or b"&ssl_check=1" in raw)
    )


def is_ssl_check(payload: Mapping[str, Any]) -> bool:
    """Slack's certificate check: Bolt answers it without a signature, and so do we."""
    return payload.get("ssl_check") == "1" and "command" not in payload


def signature_problem(
    secret: str, headers: Mapping[str, str], raw: bytes, now: float | None = None
) -> str | None:
    """Why the request is not signed by Slack with `secret` (a word for the log), or None."""
    stamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if stamp is None or signature is None:
        return "unsigned"
    if not TIMESTAMP.fullmatch(stamp):
        return "timestamp_not_a_number"
    if abs((time.time() if now is None else now) - int(stamp)) > SLACK_WINDOW:
        return "stale"
    base = b"v0:" + stamp.encode() + b":" + raw
    expected = b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
        return "bad_signature"
    return None


# What Bolt's context extraction (slack_bolt.request.internals) and the listeners index
# into. Each: a field -> the types Slack sends there.
ID_OR_OBJECT = (str, dict, type(None))
TEXT = (str,)
TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "type": TEXT,
    "enterprise": ID_OR_OBJECT,
    "team": ID_OR_OBJECT,
    "channel": ID_OR_OBJECT,
    "user": ID_OR_OBJECT,
    "event": (dict,),
    "view": (dict,),
    "message": (dict,),
    "container": (dict,),
    "state": (dict,),
    "actions": (list,),
    "authorizations": (list,),
    "response_urls": (list,),
    "response_url": TEXT,
    "trigger_id": TEXT,
    "api_app_id": TEXT,
    "event_id": TEXT,
    "team_id": TEXT,
    "challenge": TEXT,
}
LONGEST_EVENT_ID = 100  # Slack's are ~12 characters; the once-key column holds 200
IN_EVENT: dict[str, tuple[type, ...]] = {
    "type": TEXT,
    "user": ID_OR_OBJECT,  # an id in the events the bot subscribes to (see USER_ID_EVENTS)
    "channel": ID_OR_OBJECT,
    "team": ID_OR_OBJECT,
    "user_team": (str, type(None)),
    "text": TEXT,
    "subtype": TEXT,
    "channel_type": TEXT,
    "tab": TEXT,
    "ts": TEXT,
    "event_ts": TEXT,
    "message": (dict,),
    "previous_message": (dict,),
    "item": (dict,),
}
IN_ACTION: dict[str, tuple[type, ...]] = {"action_id": TEXT, "block_id": TEXT, "value": TEXT}
IN_VIEW: dict[str, tuple[type, ...]] = {
    "id": TEXT,
    "type": TEXT,
    "callback_id": TEXT,
    "private_metadata": TEXT,
    "team_id": (str, type(None)),
    "app_installed_team_id": (str, type(None)),
    "state": (dict,),
}
# The manifest's events: their listeners take `event.user` as the person's id.
USER_ID_EVENTS = frozenset({"message", "app_home_opened"})
INTERACTIVE = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)


def malformed_field(payload: Mapping[str, Any]) -> str | None:
    """The first field not shaped as Slack sends it (its name, for the log), or None.
    A slash command's own fields (`user_id`, `text` …) are the command listener's to
    refuse; every form field is text anyway."""
    found = _wrong(payload, TOP_LEVEL, "") or _control_in_ids(payload)
    if found:
        return found
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and len(event_id) > LONGEST_EVENT_ID:
        return "event_id"
    kind = payload.get("type")
    if kind == "event_callback" and "event" not in payload:
        return "event"
    event = payload.get("event")
    if isinstance(event, dict):
        found = _wrong(event, IN_EVENT, "event.") or _ids("event.", event)
        if found:
            return found
        if not isinstance(event.get("type"), str):
            return "event.type"
        if event["type"] in USER_ID_EVENTS and not isinstance(event.get("user", ""), str):
            return "event.user"
        if event["type"] == "app_home_opened" and "user" not in event:
            return "event.user"
    if kind in INTERACTIVE and not isinstance(payload.get("user", {}), dict):
        return "user"  # a click's or a form's user is an object with the id
    found = _ids("", payload)
    if found:
        return found
    if "actions" in payload:
        actions = payload["actions"]
        if not actions or not all(isinstance(action, dict) for action in actions):
            return "actions"
        for action in actions:
            if not isinstance(action.get("action_id"), str):
                return "actions.action_id"
            found = _wrong(action, IN_ACTION, "actions.")
            if found:
                return found
    for name in ("authorizations", "response_urls"):
        if name in payload and not all(isinstance(item, dict) for item in payload[name]):
            return name
    if isinstance(payload.get("view"), dict):
        return _wrong(payload["view"], IN_VIEW, "view.")
    return None


def _wrong(part: Mapping[str, Any], shapes: Mapping[str, tuple[type, ...]], at: str) -> str | None:
    for name, allowed in shapes.items():
        if name in part and not isinstance(part[name], allowed):
            return at + name
    return None


# Ids a request is remembered or answered by: Slack's never hold a control character, and
# PostgreSQL refuses a NUL in text (SQLite would keep it): refused alike, before anything.
IDS_AS_TEXT = ("event_id", "trigger_id", "team_id", "user_id", "api_app_id")
CONTROL = re.compile("[\x00-\x1f\x7f]")


def _control_in_ids(payload: Mapping[str, Any]) -> str | None:
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    fields = {name: payload.get(name) for name in IDS_AS_TEXT}
    fields |= {"event.user": event.get("user"), "user.id": user.get("id")}
    for name, value in fields.items():
        if isinstance(value, str) and CONTROL.search(value):
            return name
    return None


def _ids(at: str, part: Mapping[str, Any]) -> str | None:
    """An object where an id may stand (`user`, `team` …) carries its id as text."""
    for name in ("enterprise", "team", "channel", "user"):
        value = part.get(name)
        if isinstance(value, dict) and "id" in value and not isinstance(value["id"], str):
            return f"{at}{name}.id"
    return None
