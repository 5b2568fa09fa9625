"""Who the bot is, for Bolt. Bolt's single-workspace authorize calls auth.test on the first
request (AsyncApp cannot at startup) and, if Slack cannot be reached then, fails that
request: a command gets no answer. The bot knows its own token, and a command is answered
in the HTTP response without any Slack call, so this answers anyway, learns the bot's ids
from auth.test once Slack answers, and leaves sending to the outbox, which retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
import structlog
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.errors import failure_reason

log = structlog.get_logger("mentorbot.slack")

# auth.test runs inside a request that must be answered within Slack's 3 seconds.
AUTH_TEST_SECONDS = 1.0
# After a failure, requests do not wait on auth.test again for a while (Slack may hang).
RETRY_AFTER_SECONDS = 60.0


class BotAuthorize(AsyncAuthorize):
    def __init__(
        self, client: AsyncWebClient, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        assert client.token, "the bot token is configured"
        self.token: str = client.token
        self.client = client
        self.identity: AsyncSlackResponse | None = None
        self.monotonic = monotonic
        self._retry_at = float("-inf")
        self._lock = asyncio.Lock()

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: str | None,
    ) -> AuthorizeResult:
        if self.identity is None and self.monotonic() >= self._retry_at:
            async with self._lock:  # concurrent first requests share one auth.test
                if self.identity is None and self.monotonic() >= self._retry_at:
                    await self.verify()
        return self._result(enterprise_id, team_id, user_id)

    async def verify(self) -> bool:
        """Ask Slack who the bot is; False (and a warning) if Slack did not say."""
        try:
            async with asyncio.timeout(AUTH_TEST_SECONDS):
                self.identity = await self.client.auth_test()
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            self._retry_at = self.monotonic() + RETRY_AFTER_SECONDS
            log.warning("slack_auth_test_failed", reason=failure_reason(error))
            return False
        return True

    def _result(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        known = self.identity
        if known is None:
            # Without auth.test the bot's own ids are unknown, so Bolt cannot drop the bot's
            # own messages; the message listener ignores anything with a bot_id itself.
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=self.token, user_id=user_id
            )
        return AuthorizeResult(
            enterprise_id=known.get("enterprise_id") or enterprise_id,
            team_id=known.get("team_id") or team_id,
            bot_id=known.get("bot_id"),
            bot_user_id=known.get("user_id"),
            bot_token=self.token,
            bot_scopes=known.headers.get("x-oauth-scopes"),
            user_id=user_id,
        )
