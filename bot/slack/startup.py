"""Starting the Slack edge: the bot token checked before anything else, Bolt built from
Settings only, and Socket Mode connected (now, or once Slack answers)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import aiohttp
import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.settings import Settings, StartupProblem
from bot.slack.app import SlackEdge, attach
from bot.slack.errors import TOKEN_REFUSED, error_code, failure_reason
from handlers.context import Deps

log = structlog.get_logger("mentorbot")

# Slack's answers that mean the token itself is wrong: starting anyway would only fail on
# every request (bot token) or retry the websocket forever (app token).
SLACK_REFUSALS = frozenset(TOKEN_REFUSED)
# At start nobody is waiting on an answer: Slack gets longer than inside a request.
STARTUP_CHECK_SECONDS = 10.0
# While Slack cannot be reached at start, Socket Mode tries again after these many seconds,
# doubling up to the last (slack_sdk alone would retry every 10 s with a traceback each).
SOCKET_RETRY_SECONDS = (1.0, 60.0)
# Read by Bolt's AsyncApp as fallbacks for arguments the bot passes from Settings, or
# leaves out on purpose (a token-less client, no OAuth flow).
BOLT_ENVIRONMENT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


def attach_slack(edge: SlackEdge, settings: Settings, deps: Deps) -> AsyncApp:
    """bot.slack.app.attach, with Bolt's environment fallbacks hidden: the bot's settings
    come from Settings (the environment or .env) and nowhere else. Given SLACK_BOT_TOKEN in
    the environment, Bolt would take it as a token next to the token-less client it is
    handed and warn "As you gave `client` as well, `token` will be unused" on every start;
    given SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, it would switch on an OAuth flow."""
    with _hidden_from_bolt(BOLT_ENVIRONMENT):
        return attach(edge, settings, deps)


@contextlib.contextmanager
def _hidden_from_bolt(names: tuple[str, ...]) -> Iterator[None]:
    # Only while Bolt's constructor runs, at start, before any other task exists.
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


async def check_bot_token(
    client: AsyncWebClient,
) -> tuple[AsyncSlackResponse | None, bool]:
    """(who the bot is, whether Slack answered). A token Slack refuses is a StartupProblem;
    Slack not answering is one warning, and the bot starts: the outbox holds messages
    until Slack is back."""
    try:
        async with asyncio.timeout(STARTUP_CHECK_SECONDS):
            return await client.auth_test(), True
    except SlackApiError as error:
        code = error_code(error)
        if code in SLACK_REFUSALS:
            raise StartupProblem(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): set the app's Bot User OAuth "
                "Token (xoxb-…) from OAuth & Permissions"
            ) from None
        reason = code
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = failure_reason(error)
    log.warning(
        "slack_unreachable_at_start",
        reason=reason,
        detail="starting anyway; messages wait in the outbox until Slack answers",
    )
    return None, False


class SocketMode:
    """Bolt's Socket Mode handler, and the task that connects it once Slack answers when it
    could not be reached at start. `close_async` as the handler's: stops both."""

    def __init__(self, handler: AsyncSocketModeHandler) -> None:
        self.handler = handler
        self.connecting: asyncio.Task[None] | None = None

    async def close_async(self) -> None:
        if self.connecting is not None:
            self.connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.connecting
        await self.handler.close_async()


async def start_socket_mode(
    bolt: AsyncApp, settings: Settings, *, slack_reachable: bool = True
) -> SocketMode:
    """Connects now; or, when Slack cannot be reached, in the background (one warning, no
    traceback per attempt). An app token Slack refuses is a StartupProblem."""
    assert settings.slack_app_token is not None
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    socket_mode = SocketMode(
        AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    )
    if slack_reachable:  # else auth.test just failed to reach Slack and said so
        try:
            url = await _socket_mode_url(socket_mode.handler)
        except StartupProblem:
            await socket_mode.close_async()  # its own aiohttp session, made by the handler
            raise
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "slack_unreachable_at_start",
                reason=failure_reason(error),
                detail="Socket Mode connects once Slack answers",
            )
        else:
            await _connect(socket_mode.handler, url)
            return socket_mode
    socket_mode.connecting = asyncio.create_task(_connect_when_reachable(socket_mode.handler))
    return socket_mode


async def _socket_mode_url(handler: AsyncSocketModeHandler) -> str:
    """apps.connections.open with the app token: the websocket's URL. Asked here, not by
    slack_sdk, which on any error logs a traceback and retries every 10 s for ever."""
    try:
        async with asyncio.timeout(STARTUP_CHECK_SECONDS):
            opened = await handler.client.web_client.apps_connections_open(
                app_token=handler.app_token
            )
    except SlackApiError as error:
        code = error_code(error)
        if code in SLACK_REFUSALS:
            raise StartupProblem(
                f"SLACK_APP_TOKEN was refused by Slack ({code}): set an app-level token "
                "(xapp-…) with the connections:write scope, from Basic Information"
            ) from None
        raise
    return str(opened["url"])


async def _connect(handler: AsyncSocketModeHandler, url: str) -> None:
    handler.client.wss_uri = url  # the URL just issued: slack_sdk need not ask again
    await handler.connect_async()
    log.info("slack_socket_mode_connected")


async def _connect_when_reachable(handler: AsyncSocketModeHandler) -> None:
    delay, longest = SOCKET_RETRY_SECONDS
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)
        try:
            url = await _socket_mode_url(handler)
        except StartupProblem as problem:
            # Too late to stop the bot cleanly mid-run: said loudly, and no more attempts.
            log.error("slack_socket_mode_refused", detail=str(problem))
            return
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            continue  # still unreachable: said once at start
        await _connect(handler, url)
        return
