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
