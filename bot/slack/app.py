"""The Bolt app and the Slack pieces the rest of the bot uses."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import is_action, is_slash_command
from slack_sdk.web.async_client import AsyncWebClient

from bot.bodies import BadBody
from bot.repeats import Repeats
from bot.settings import Settings
from bot.slack import inbound, listeners, modals
from bot.slack.answering import ARRIVED, Answering
from bot.slack.authorize import BotAuthorize
from bot.slack.failures import (
    SORRY,
    SORRY_PAYLOAD,
    apologise,
    listener_of,
    log_failure,
    request_kind,
)
from bot.slack.messenger import SlackDirectory, SlackMessenger
from bot.slack.workspace import home_only
from handlers.context import Deps


@dataclass
class SlackEdge:
    app: AsyncApp
    client: AsyncWebClient
    messenger: SlackMessenger
    directory: SlackDirectory
    authorize: BotAuthorize | None = None
    # When a request's answer must be ready to go back in its acknowledgement.
    answering: Answering = field(default_factory=Answering)


def build_client(settings: Settings, http: ClientSession | None = None) -> AsyncWebClient:
    """With `http`, every call reuses its pooled connections (the caller closes it);
    without, slack_sdk opens and closes a connection per call."""
    # Default retry handlers retry connection errors only: the outbox owns all other retries.
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, session=http)


def build_edge(settings: Settings, client: AsyncWebClient) -> SlackEdge:
    return SlackEdge(
        app=None,  # type: ignore[arg-type]  (set by attach, once Deps exist)
        client=client,
        messenger=SlackMessenger(client),
        directory=SlackDirectory(client),
    )


def attach(edge: SlackEdge, settings: Settings, deps: Deps) -> AsyncApp:
    """Bolt on the core, in one configuration for production and tests. Bolt runs each
    listener before it responds (process_before_response): the listener itself decides
    when to acknowledge, within Slack's 3 seconds (bot.slack.answering). Bolt's other mode
    would poll every 10 ms for an ack, and run listeners after the response unseen."""
    secret = settings.slack_signing_secret
    # auth.test gets a client without connection retries: a failure only means answering
    # without the bot's ids for now, never a wait inside Slack's 3 seconds.
    edge.authorize = BotAuthorize(_client_like(edge.client, token=edge.client.token, retries=False))
    app = AsyncApp(
        # Without a logger, Bolt sets each of its loggers to the root level when it creates
        # them (undoing bot.logging's WARNING) and at DEBUG logs every response body, with
        # people's words in it. Given one, its loggers copy that logger's level.
        logger=logging.getLogger("slack_bolt"),
        name="mentorbot",  # else Bolt names the app by inspecting the whole call stack
        # Token-less: Bolt sets each request's token from authorize (given both, it warns).
        client=_client_like(edge.client, token=None),
        authorize=edge.authorize,
        signing_secret=secret.get_secret_value() if secret else None,
        # The edge checks every HTTP request's signature over the bytes as they came
        # (http_handler), then may re-encode the body for Bolt (inbound.as_bolt_reads_it),
        # which Bolt's own check would refuse. Socket Mode requests are not signed.
        request_verification_enabled=False,
        process_before_response=True,
    )
    app.error(listener_failed)
    app.use(home_only(edge.authorize))
    listeners.register(app, deps, edge.answering)
    edge.app = app
    return app


async def listener_failed(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None,
) -> BoltResponse | None:
    """Bolt's own handler logs `Failed to run listener function (error: {error})` and the
    traceback, people's words among them: bot.slack.failures logs types and names only.
    The person gets a short private apology where Slack has a private way back; a DM or
    App Home event gets nothing more (the event is answered 500, and Slack's retry may
    well succeed)."""
    log_failure(error, listener=listener_of(error), request=request_kind(body))
    if body.get("type") == "view_submission" and response is not None:
        # Not acknowledged yet: the apology is the acknowledgement, in the modal, which
        # keeps the person's answers for another try.
        return BoltResponse(status=200, body=modals.apology(body, SORRY))
    if is_slash_command(body) and response is not None:
        # Not acknowledged yet (the command's listener acks with its answer): the
        # apology is the acknowledgement, in Slack's 3 seconds.
        return BoltResponse(status=200, body=SORRY_PAYLOAD)
    if (is_slash_command(body) or is_action(body)) and respond is not None:
        await apologise(respond)
        if is_action(body) and response is not None:
            return BoltResponse(status=200, body="")  # answered: no error mark on the button
    return None


def _client_like(
    client: AsyncWebClient, *, token: str | None, retries: bool = True
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=None if retries else [],  # None: slack_sdk's connection-error retries
    )


def http_handler(
    app: AsyncApp, signing_secret: str | None, answering: Answering, repeats: Repeats
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST /slack/events: checked before Bolt sees it (bot.slack.inbound): junk is a 400,
    a bad signature a 401, a signed body of the wrong shape a 400. One log line naming
    what was wrong, never what the body said; a flood of the same refusal is that line
    and a count at the end of the window (`repeats`: the process's, see bot.repeats)."""

    def refused(status: int, reason: str, **fields: str) -> web.Response:
        repeats.note("slack_request_refused", status=status, reason=reason, **fields)
        return web.json_response(BAD_BODY if status == 400 else UNSIGNED, status=status)

    async def handle(request: web.Request) -> web.Response:
        with answering.acknowledging():  # from arrival: reading the body is part of it
            return await check_and_dispatch(request)

    async def check_and_dispatch(request: web.Request) -> web.Response:
        arrived = time.monotonic()  # Slack's 3 seconds started about now
        raw = await request.read()
        # The signature first: one HMAC over the bytes, before any parsing, so a stranger's
        # large or deep body costs nothing to refuse (Slack's certificate check is unsigned).
        checked = signing_secret is None or inbound.may_be_ssl_check(request.content_type, raw)
        if not checked and (problem := _unsigned(signing_secret, request, raw)):
            return refused(401, problem)
        try:
            payload = inbound.slack_body(request.content_type, request.charset, raw)
        except BadBody as bad:
            return refused(400, bad.reason)
        # A body that only looked like the certificate check is checked after all.
        recheck = signing_secret is not None and checked and not inbound.is_ssl_check(payload)
        if recheck and (problem := _unsigned(signing_secret, request, raw)):
            return refused(401, problem)
        bad_field = inbound.malformed_field(payload) or modals.malformed_submission(payload)
        if bad_field:
            return refused(400, "malformed", field=bad_field)
        body = inbound.as_bolt_reads_it(request.content_type, request.charset, raw)
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        bolt_request.context[ARRIVED] = arrived
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


BAD_BODY = {"error": "not a Slack request body"}
UNSIGNED = {"error": "invalid request"}  # Bolt's own answer to a bad signature


def _unsigned(secret: str | None, request: web.Request, raw: bytes) -> str | None:
    assert secret is not None
    return inbound.signature_problem(secret, request.headers, raw)
