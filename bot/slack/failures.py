"""A listener's failure, said once: logged by the error's type, its cause's type, which
listener and which kind of request, never by the error's message (a database error's
message, SQLAlchemy's `[parameters: …]`, holds what a person wrote); and a short private
apology where Slack has a private way back."""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from slack_bolt.async_app import AsyncRespond
from slack_bolt.request.payload_utils import is_slash_command

log = structlog.get_logger("mentorbot.slack")
SORRY = "Something went wrong; please try again."
SORRY_PAYLOAD = {"response_type": "ephemeral", "text": SORRY}
LISTENERS = "bot.slack.listeners."


def log_failure(error: BaseException, *, listener: str | None, request: str) -> None:
    cause = error.__cause__ or error.__context__
    log.error(
        "slack_listener_failed",
        error=type_name(error),
        cause=type_name(cause) if cause else None,
        listener=listener,
        request=request,
    )


async def apologise(respond: AsyncRespond) -> None:
    """Through the request's response_url; the way back may be what failed."""
    try:
        await respond(**SORRY_PAYLOAD, replace_original=False)
    except Exception as apology_error:
        log.error("slack_apology_failed", error=type_name(apology_error))


def type_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def listener_of(error: BaseException) -> str | None:
    """The listener function the error came through (the outermost of our listeners'
    frames: Bolt called it): a name in our code, never a value."""
    for frame, _line in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module.startswith(LISTENERS):
            return f"{module}.{frame.f_code.co_name}"
    return None


def request_kind(body: dict[str, Any]) -> str:
    """Slack's own words for the request: command, block_actions, event:<type>."""
    if is_slash_command(body):
        return "command"
    if body.get("type") == "event_callback":
        event = body.get("event")
        return f"event:{event.get('type') if isinstance(event, dict) else None}"
    return str(body.get("type", "unknown"))
