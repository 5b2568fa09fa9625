"""What Slack said when a call failed, in a few words safe to log and show."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def status_of(error: SlackApiError) -> int:
    # A proxy answering with broken JSON makes slack_sdk hand over aiohttp's own response,
    # which has `status`, not `status_code`.
    response = error.response
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0))


def error_code(error: SlackApiError) -> str:
    """Slack's `error` field ("invalid_auth"), or the HTTP status when the answer had none
    (a proxy's text/plain page)."""
    data = getattr(error.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"http {status_of(error)}")


def failure_reason(error: Exception) -> str:
    """A failed call in a few words: an aiohttp error's text may carry the URL (and a
    token in a query), so only its kind is given."""
    return error_code(error) if isinstance(error, SlackApiError) else type(error).__name__


# What Slack's error codes mean for a message, in words a manager or an operator reads.
# The person cannot be reached: their row fails and `status` says why.
RECIPIENT_UNREACHABLE = {
    "user_not_found": "their Slack account was not found",
    "users_not_found": "their Slack account was not found",
    "user_disabled": "their Slack account is deactivated",
    "user_not_visible": "the bot is not allowed to see them in Slack",
    "channel_not_found": "the bot could not open a direct message with them",
    "cannot_dm_bot": "they are a bot, and bots cannot get direct messages",
    "is_archived": "the conversation is archived",
    "not_in_channel": "the bot is not in the conversation",
}
# The message itself is refused (a bug), or the message to update is gone: its row fails.
MESSAGE_REFUSED = {
    "msg_too_long": "the message was too long for Slack",
    "invalid_blocks": "Slack refused the message's layout",
    "invalid_blocks_format": "Slack refused the message's layout",
    "no_text": "the message had no text",
    "invalid_metadata_format": "Slack refused the message's metadata",
    "invalid_metadata_schema": "Slack refused the message's metadata",
    "metadata_too_large": "Slack refused the message's metadata",
    "message_not_found": "the message to update no longer exists",
    "cant_update_message": "the message can no longer be edited",
    "edit_window_closed": "the message can no longer be edited",
}
# The token itself is wrong: at start, the bot stops and says so (bot.slack.startup).
TOKEN_REFUSED = {
    "invalid_auth": "Slack refused the bot token",
    "not_authed": "no Slack bot token was sent",
    "token_revoked": "the Slack bot token was revoked",
    "token_expired": "the Slack bot token has expired",
    "not_allowed_token_type": "SLACK_BOT_TOKEN is not a bot token (xoxb-…)",
    "account_inactive": "the bot's Slack account or workspace is no longer active",
}
# The app itself cannot send: an operator's alarm, and every message waits for the fix.
APP_CANNOT_SEND = {
    **TOKEN_REFUSED,
    "team_access_not_granted": "the Slack app is not allowed into the workspace",
    "ekm_access_denied": "the workspace's encryption keys refuse the app access",
    "restricted_action": "a Slack workspace setting stops the bot from posting",
    "missing_scope": "the Slack app lacks a permission it needs",
}


def in_words(error: SlackApiError) -> str:
    """What the failed call means, in words, with Slack's code kept: "their Slack account
    is deactivated (user_disabled)"; a missing permission is named."""
    code = error_code(error)
    words = RECIPIENT_UNREACHABLE.get(code) or MESSAGE_REFUSED.get(code)
    words = words or APP_CANNOT_SEND.get(code)
    if words is None:
        return code
    data = getattr(error.response, "data", None)
    needed = data.get("needed") if isinstance(data, dict) else None  # e.g. "im:write"
    if code == "missing_scope" and isinstance(needed, str) and needed:
        words = f"the Slack app lacks the {needed} permission: add it and reinstall the app"
    return f"{words} ({code})"
