"""Slack text → neutral command text. Slack escapes `&`, `<` and `>` as entities and
wraps mentions, links and addresses in `<…>`; user mentions become neutral mention
tokens, everything else plain text. Anything a person typed stays inert text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from handlers.context import Caller
from handlers.grammar import MENTION_CLOSE, MENTION_OPEN

PLATFORM = "slack"
ANGLE = re.compile(r"<([^<>]*)>")


def command_text(text: str) -> str:
    text = text.replace(MENTION_OPEN, "").replace(MENTION_CLOSE, "")
    text = ANGLE.sub(_angle, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _angle(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):  # <@U123> or <@U123|name>; W… ids are Enterprise Grid users
        return f"{MENTION_OPEN}{target[1:]}{'|' + label if label else ''}{MENTION_CLOSE}"
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return target  # a link: keep the address itself, never a label that hides it


def caller(user_id: str, team_id: str | None, *, home: bool = True) -> Caller:
    """`home`: the request comes from the workspace the bot is installed in (bot.slack.
    workspace checked it); only then are the caller's ids MENTORBOT_ADMINS ids."""
    return Caller(
        platform=PLATFORM, external_id=user_id, workspace_id=team_id, from_home_workspace=home
    )


def request_key(body: Mapping[str, object], raw_body: str) -> str:
    """What makes a retried or replayed request the same one: Slack's trigger_id (one per
    command typed or button clicked), else the signed body itself."""
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and TRIGGER.fullmatch(trigger):
        return f"slack:trigger:{trigger}"
    return f"slack:body:{hashlib.sha256(raw_body.encode()).hexdigest()}"


TRIGGER = re.compile(r"[\w.-]{1,150}")


def reply_to(body: Mapping[str, object]) -> dict[str, str] | None:
    """Where a late answer goes: the request's response_url (an outbox row's reply_to)."""
    url = body.get("response_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) < 2000:
        return {"platform": PLATFORM, "response_url": url}
    return None


def command_caller(command: Mapping[str, object], *, home: bool = True) -> Caller | None:
    """Who typed a slash command, or None when the payload does not say as Slack always
    does: `user_id` a non-empty string, `team_id` a string if present, `text` a string if
    present. A signed request can still be odd (a replayed test, a proxy that mangles
    forms); it is refused, never half-read."""
    user_id, team_id, text = command.get("user_id"), command.get("team_id"), command.get("text")
    if not isinstance(user_id, str) or not user_id.strip():
        return None
    if team_id is not None and not isinstance(team_id, str):
        return None
    if text is not None and not isinstance(text, str):
        return None
    return caller(user_id, team_id or None, home=home)
