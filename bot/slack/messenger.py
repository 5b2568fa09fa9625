"""Sends DMs through the Slack Web API (`channel=<user id>`, no conversations.open), and
late answers through a request's response_url, and turns Slack's answers into the
outbox's terms: rate limited, temporary, permanent."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import render
from bot.slack.errors import error_code, status_of
from handlers.ports import (
    Address,
    DeliveryError,
    DirectoryUnavailable,
    PermanentFailure,
    Profile,
    RateLimited,
    SentRef,
    TemporaryFailure,
)
from handlers.views import MessageView

# The person or the message itself is the problem: retrying cannot help.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "channel_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "is_archived",
        "not_in_channel",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)


class SlackMessenger:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, to: Address, view: MessageView) -> SentRef:
        response = await _call(
            self.client.chat_postMessage(channel=to.external_id, **render.message(view))
        )
        return {"channel": response["channel"], "ts": response["ts"]}

    async def update(self, ref: SentRef, view: MessageView) -> SentRef:
        response = await _call(
            self.client.chat_update(channel=ref["channel"], ts=ref["ts"], **render.message(view))
        )
        return {"channel": response["channel"], "ts": response["ts"]}

    async def reply(self, reply_to: dict[str, Any], view: MessageView) -> SentRef:
        """A private answer through the request's response_url (valid 30 minutes, for 5
        answers), on the bot's pool of connections; the outbox owns the retries."""
        url = reply_to.get("response_url")
        if not isinstance(url, str):
            raise PermanentFailure("no response_url")
        webhook = AsyncWebhookClient(url, session=self.client.session, timeout=self.client.timeout)
        payload = {"response_type": "ephemeral", "replace_original": False, **render.message(view)}
        try:
            answered = await webhook.send_dict(payload)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TemporaryFailure(f"connection failed: {type(error).__name__}") from None
        if answered.status_code != 200:
            raise _reply_failure(answered)
        return {}


async def _call(request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    try:
        return await request
    except SlackApiError as error:
        raise classify(error) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise TemporaryFailure(f"connection failed: {type(error).__name__}") from None


def classify(error: SlackApiError) -> DeliveryError:
    # A proxy or load balancer in front of Slack may answer in text/plain or broken JSON:
    # errors.py reads what there is.
    status, code = status_of(error), error_code(error)
    if status == 429 or code == "ratelimited":
        headers = getattr(error.response, "headers", {})
        return RateLimited(_seconds(headers.get("Retry-After")))
    if status >= 500:
        return TemporaryFailure(f"slack answered {status}")
    if code in PERMANENT_ERRORS:
        return PermanentFailure(code)
    return TemporaryFailure(code)


def _reply_failure(answered: WebhookResponse) -> DeliveryError:
    status = answered.status_code
    # Slack answers a response_url in plain words: "expired_url", "used_url", …
    body = answered.body.strip()
    code = body if REPLY_CODE.fullmatch(body) else f"http {status}"
    if status == 429:
        return RateLimited(_seconds(answered.headers.get("Retry-After")))
    if status >= 500 or status == 408:
        return TemporaryFailure(f"slack answered {status}")
    return PermanentFailure(code)  # expired, used up, or refused: no retry can change it


REPLY_CODE = re.compile(r"[a-z_]{1,40}")


def _seconds(retry_after: object) -> float:
    try:
        return max(float(retry_after), 0.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # absent, or an HTTP date: Slack sends seconds
        return 1.0


class SlackDirectory:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def by_id(self, external_id: str) -> Profile | None:
        return await self._profile(self.client.users_info(user=external_id))

    async def by_email(self, email: str) -> Profile | None:
        return await self._profile(self.client.users_lookupByEmail(email=email))

    async def _profile(self, request: Awaitable[AsyncSlackResponse]) -> Profile | None:
        try:
            user = (await request)["user"]
        except SlackApiError as error:
            if error_code(error) in NO_SUCH_USER:
                return None
            raise DirectoryUnavailable(error_code(error)) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DirectoryUnavailable(type(error).__name__) from None
        profile = user.get("profile", {})
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        return Profile(
            user["id"],
            name or user.get("name") or user["id"],
            profile.get("email"),
            user.get("tz"),
            is_bot=bool(user.get("is_bot")) or user["id"] == "USLACKBOT",
            deactivated=bool(user.get("deleted")),
        )


NO_SUCH_USER = frozenset({"user_not_found", "users_not_found"})
