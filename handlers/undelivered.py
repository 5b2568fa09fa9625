"""Messages that could not be delivered, as a manager reads them: which message it was,
to whom, and why in words, with the platform's own code kept for whoever digs further.

What a failed row was is read from its typed columns (subject, pair, concern)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.views import Mention
from storage.models import Subject

REASONS = {
    # Slack's error codes (the console speaks Slack's too).
    "user_not_found": "their Slack account was not found",
    "user_disabled": "their Slack account is deactivated",
    "account_inactive": "the Slack account or workspace is no longer active",
    "channel_not_found": "the bot could not open a direct message with them",
    "cannot_dm_bot": "they are a bot, and bots cannot get direct messages",
    "is_archived": "the conversation is archived",
    "not_in_channel": "the bot is not in the conversation",
    "msg_too_long": "the message was too long for Slack",
    "invalid_blocks": "Slack refused the message's layout",
    "no_text": "the message had no text",
    "message_not_found": "the message to update no longer exists",
    "cant_update_message": "the message can no longer be edited",
    "edit_window_closed": "the message can no longer be edited",
    # Teams' error codes.
    "MessageWritesBlocked": "they have blocked the bot / app not installed",
    "ConversationBlockedByUser": "they have blocked the bot",
    "BotDisabledByAdmin": "a Teams admin has turned the app off",
    "BotNotInConversationRoster": "the app is not installed for them",
    "NotFound": "their conversation with the bot was not found",
    "ConversationNotFound": "their conversation with the bot was not found",
    "Forbidden": "Teams does not let the bot message them",
}
# A code alone ("user_not_found"), or with the platform's answer ("NotFound (teams answered 404)").
CODED = re.compile(r"(?P<code>\w+)(?: \((?P<detail>[^()]*)\))?")


@dataclass(frozen=True)
class Failed:
    """A failed outbox row, as its typed columns say."""

    subject: str
    recipient_id: int
    reason: str | None
    pair_id: int | None = None
    concern_id: int | None = None


def what(failed: Failed, to: Mention, pair: tuple[Mention, Mention] | None) -> list[str | Mention]:
    """Which message it was, as inline parts."""
    if failed.subject == Subject.GREETING and pair:
        return ["greeting to ", to, " for the pair ", pair[0], " & ", pair[1]]
    if failed.subject == Subject.CONCERN:
        return [f"concern #{failed.concern_id} DM to manager ", to]
    if failed.subject == Subject.CONCERN_UPDATE:
        return [f"concern #{failed.concern_id} update to manager ", to]
    if failed.subject == Subject.REPORTER_UPDATE:
        return [f"concern #{failed.concern_id} update to its reporter ", to]
    return ["message to ", to]


def why(reason: str | None) -> str:
    """The reason in words, the raw code kept in parentheses; unknown reasons as they are."""
    if not reason:
        return "unknown error"
    match = CODED.fullmatch(reason)
    words = REASONS.get(match["code"]) if match else None
    if match is None or words is None:
        return reason
    raw = f"{match['code']}; {match['detail']}" if match["detail"] else match["code"]
    return f"{words} ({raw})"
