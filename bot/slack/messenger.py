"""Sends DMs through the Slack Web API (`channel=<user id>`, no conversations.open per
message) and late answers through a request's response_url, and turns Slack's answers into
the outbox's terms: rate limited, temporary, the recipient unreachable, the message
refused, or the app itself unable to send.

Each DM carries its outbox row's id in Slack message metadata, so that a send whose outcome
the bot never learnt (it died, the connection dropped) is found in the DM's history
instead of being sent twice."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import render
from bot.slack.errors import (
    APP_CANNOT_SEND,
    MESSAGE_REFUSED,
    RECIPIENT_UNREACHABLE,
    error_code,
    in_words,
    status_of,
)
from handlers.ports import (
    Address,
    AppCannotSend,
    DeliveryError,
    DirectoryUnavailable,
    PermanentFailure,
    Profile,
    RateLimited,
    RecipientUnreachable,
    SentRef,
    TemporaryFailure,
)
from handlers.views import MessageView

METADATA_EVENT = "mentorbot_outbox"  # the metadata event_type that marks the bot's DMs
# Slack's clock and ours may disagree a little: history is read from this much earlier.
CLOCK_MARGIN = timedelta(minutes=10)
HISTORY_PAGE = 200  # messages per conversations.history call (Slack advises at most 200)
HISTORY_PAGES = 10  # a DM busier than this since the message was queued is not searched on


class SlackMessenger:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        # A post is not repeated by slack_sdk after a dropped connection (its default):
        # Slack may have taken the first, so the outbox looks for it before sending again.
        self._poster = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            session=client.session,
            retry_handlers=[],
        )

    async def post(
        self, to: Address, view: MessageView, *, outbox_id: int | None = None
    ) -> SentRef:
        metadata = None
        if outbox_id is not None:
            metadata = {"event_type": METADATA_EVENT, "event_payload": {"row": outbox_id}}
        response = await _call(
            self._poster.chat_postMessage(
                channel=to.external_id, metadata=metadata, **render.message(view)
            ),
            posting=True,
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

    async def find_sent(self, to: Address, outbox_id: int, since: datetime) -> SentRef | None:
        """The DM posted for `outbox_id`, looked up in the DM's history since `since`."""
        opened = await _call(self.client.conversations_open(users=to.external_id))
        channel = str(opened["channel"]["id"])
        oldest = f"{(since - CLOCK_MARGIN).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = await _call(
                self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    limit=HISTORY_PAGE,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            )
            for message in page.get("messages") or []:
                if _is_row(message, outbox_id):
                    return {"channel": channel, "ts": str(message["ts"])}
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                return None
        return None


def _is_row(message: Any, outbox_id: int) -> bool:
    metadata = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("row") == outbox_id


async def _call(
    request: Awaitable[AsyncSlackResponse], *, posting: bool = False
) -> AsyncSlackResponse:
    try:
        return await request
    except SlackApiError as error:
        raise classify(error) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        # Refused or unresolvable: nothing reached Slack. Anything else (the connection
        # dropped, no answer in time) may have posted the message all the same.
        never_sent = isinstance(error, aiohttp.ClientConnectorError)
        raise TemporaryFailure(
            f"connection failed: {type(error).__name__}", maybe_sent=posting and not never_sent
        ) from None


def classify(error: SlackApiError) -> DeliveryError:
    # A proxy or load balancer in front of Slack may answer in text/plain or broken JSON:
    # errors.py reads what there is.
    status, code = status_of(error), error_code(error)
    if status == 429 or code == "ratelimited":
        headers = getattr(error.response, "headers", {})
        return RateLimited(_seconds(headers.get("Retry-After")))
    if status >= 500:
        return TemporaryFailure(f"slack answered {status}")
    if code in RECIPIENT_UNREACHABLE:
        return RecipientUnreachable(in_words(error))
    if code in MESSAGE_REFUSED:
        return PermanentFailure(in_words(error))
    if code in APP_CANNOT_SEND:
        return AppCannotSend(in_words(error))
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
