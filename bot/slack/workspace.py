"""One workspace: the one the bot's token belongs to, as auth.test names it. A signed
request from another (the same app installed elsewhere shares its signing secret) is
refused, and MENTORBOT_ADMINS ids count only in this one: Slack user ids are unique per
workspace, not across Slack, and an address in another organisation's directory proves
nothing here.

Until auth.test has answered (Slack unreachable since the start), requests are served,
so that people keep working, but nobody is taken for an admin: the safe side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.payload_utils import is_slash_command

from bot.slack.authorize import BotAuthorize
from bot.slack.failures import request_kind
from bot.slack.parse import command_caller

log = structlog.get_logger("mentorbot.slack")
HOME = "home_workspace"  # the context key listeners read: True, or False while unknown
ELSEWHERE = (
    "mentorbot is not set up for this Slack workspace, so it did nothing. "
    "Ask whoever runs mentorbot in your organisation."
)
Middleware = Callable[..., Awaitable[BoltResponse | None]]


def home_only(authorize: BotAuthorize) -> Middleware:
    async def only_home_workspace(
        body: dict[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if is_slash_command(body) and command_caller(body) is None:
            await next_()  # not a command as Slack sends one: its listener refuses it (400)
            return None
        known = authorize.identity
        if known is not None and not _same(known, context.team_id, context.enterprise_id):
            log.warning(
                "slack_other_workspace",
                team=_id(context.team_id),
                enterprise=_id(context.enterprise_id),
                request=request_kind(body),
            )
            if is_slash_command(body):
                # A 403 would show the person only "/mentoring failed with the error
                # http_client_error"; a private sentence says what happened.
                return BoltResponse(
                    status=200, body={"response_type": "ephemeral", "text": ELSEWHERE}
                )
            # An event or a click: answered, so that Slack does not retry it; nothing done.
            return BoltResponse(status=200, body="")
        context[HOME] = known is not None
        await next_()
        return None

    return only_home_workspace


def _same(known: Any, team_id: str | None, enterprise_id: str | None) -> bool:
    """An org-wide install (Enterprise Grid) serves every workspace of its organisation:
    the enterprise id decides; otherwise the workspace (team) id."""
    if known.get("is_enterprise_install"):
        return bool(enterprise_id) and enterprise_id == known.get("enterprise_id")
    return bool(team_id) and team_id == known.get("team_id")


def _id(value: object) -> str | None:
    """A Slack id, to log: a signed but odd body may hold anything there."""
    return value[:40] if isinstance(value, str) else None
