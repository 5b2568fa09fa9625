"""What Teams' answers mean for a message, in words a manager or an operator reads, with
Teams' own code and HTTP status kept: "they have blocked the bot (ConversationBlockedByUser;
teams answered 403)"."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import ErrorResponseException

from handlers.ports import (
    AppCannotSend,
    DeliveryError,
    PermanentFailure,
    RateLimited,
    RecipientUnreachable,
    TemporaryFailure,
)

# Teams' codes that no retry can change: the person blocked the bot, or it is not installed.
RECIPIENT_UNREACHABLE = {
    "MessageWritesBlocked": "they have blocked the bot / app not installed",
    "ConversationBlockedByUser": "they have blocked the bot",
    "BotDisabledByAdmin": "a Teams admin has turned the app off",
    "BotNotInConversationRoster": "the app is not installed for them",
    "NotFound": "their conversation with the bot was not found",
    "ConversationNotFound": "their conversation with the bot was not found",
    "Forbidden": "Teams does not let the bot message them",
}
# By HTTP status, when the code is none of the above.
UNREACHABLE_STATUSES = {
    403: "Teams does not let the bot message them",
    404: "their conversation with the bot was not found",
}
TOO_LARGE = "the message was too large for Teams"
REFUSED = "Teams refused the message"
# Our own credentials refused: the admin fixes TEAMS_APP_ID / TEAMS_APP_PASSWORD, and the
# waiting messages then go.
CREDENTIALS_REFUSED = (
    "Teams refused the bot's credentials: check TEAMS_APP_ID and TEAMS_APP_PASSWORD"
)
NOT_INSTALLED = "they have not installed the Teams app (the bot has no chat with them yet)"


def classify(error: ErrorResponseException) -> DeliveryError:
    response = error.response
    status = int(getattr(response, "status", None) or getattr(response, "status_code", 0) or 0)
    code = _code(error) or f"http {status}"
    raw = f"{code}; teams answered {status}"
    if status == 429:
        return RateLimited(_retry_after(response))
    if status >= 500:
        return TemporaryFailure(f"teams answered {status}")
    if status == 401:
        return AppCannotSend(f"{CREDENTIALS_REFUSED} ({raw})")
    words = RECIPIENT_UNREACHABLE.get(code) or UNREACHABLE_STATUSES.get(status)
    if words is not None:
        return RecipientUnreachable(f"{words} ({raw})")
    if 400 <= status < 500 and status != 408:
        # The same message would be refused again (a 400 BadArgument, a 413
        # MessageSizeTooBig): fail the row and show it, rather than retry it forever.
        return PermanentFailure(f"{TOO_LARGE if status == 413 else REFUSED} ({raw})")
    return TemporaryFailure(f"{code} (teams answered {status})")


def _retry_after(response: Any) -> float:
    """Seconds to wait; a missing or unreadable Retry-After (an HTTP date) waits a second."""
    try:
        return max(float(response.headers.get("Retry-After", 1)), 0.0)
    except (TypeError, ValueError, AttributeError):
        return 1.0


def _code(error: ErrorResponseException) -> str | None:
    detail = getattr(getattr(error, "error", None), "error", None)
    return getattr(detail, "code", None)
