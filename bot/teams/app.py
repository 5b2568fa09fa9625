"""The botbuilder adapter and the `/api/messages` endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import structlog
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity
from botframework.connector.auth.connector_factory import ConnectorFactory
from msrest.exceptions import DeserializationError
from urllib3.util.retry import Retry

from bot.bodies import BadBody, json_object, text_of
from bot.settings import Settings
from bot.teams import parse
from bot.teams.auth import BotFrameworkKeys, CheckedAuthentication
from bot.teams.bot import MentorbotTeamsBot
from bot.teams.keys import SigningKeysUnavailable
from bot.teams.messenger import TeamsMessenger
from handlers.context import Deps

log = structlog.get_logger("mentorbot.teams")

# The outbox owns retries. botbuilder's connector (msrest over requests) would otherwise
# retry 5xx answers itself, and sleep a 429's or 503's Retry-After in a worker thread.
CONNECTION_RETRIES_ONLY = Retry(
    total=3,
    connect=3,
    read=0,
    status=0,
    other=0,
    status_forcelist=frozenset(),
    respect_retry_after_header=False,
    raise_on_status=False,
)


@dataclass
class TeamsEdge:
    adapter: CloudAdapter
    messenger: TeamsMessenger
    settings: Settings
    keys: BotFrameworkKeys


class _ConnectionRetriesOnly(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory) -> None:
        self.inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        client = await self.inner.create(service_url, audience)  # type: ignore[arg-type]
        # The policy is read when a requests session is made, and the client made its
        # first one already (msrest itself reaches it this way: pipeline._sender.driver).
        client.config.retry_policy.policy = CONNECTION_RETRIES_ONLY
        session = client.config.pipeline._sender.driver.session
        for adapter in session.adapters.values():
            adapter.max_retries = CONNECTION_RETRIES_ONLY
        return client


class _Authentication(CheckedAuthentication):
    """botbuilder's own authentication (checked: see bot.teams.auth), with connectors that
    leave retries to the outbox."""

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = _ConnectionRetriesOnly(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _ConnectionRetriesOnly(super().create_connector_factory(claims_identity))


def build_edge(settings: Settings, keys: BotFrameworkKeys | None = None) -> TeamsEdge:
    """`keys`: where tokens' signing keys come from (Microsoft's, unless a test says)."""
    problem = settings.teams_problem()
    if problem:  # `mentorbot` stops on it at start; this keeps any other caller honest
        raise ValueError(problem)
    keys = keys or BotFrameworkKeys.microsoft()
    keys.install()
    if not settings.teams_app_id:
        log.warning(
            "teams_unauthenticated",
            detail="TEAMS_ALLOW_UNAUTHENTICATED is on: Teams activities are NOT "
            "authenticated. Never use this in production.",
        )
    password = settings.teams_app_password
    # Single-tenant needs an app id to authenticate with; without one (development) the
    # tenant is still enforced by the endpoint itself.
    single_tenant = bool(settings.teams_app_id and settings.teams_tenant_id)
    config = SimpleNamespace(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE="SingleTenant" if single_tenant else "MultiTenant",
        APP_TENANTID=settings.teams_tenant_id or "",
    )
    adapter = CloudAdapter(_Authentication(config))
    adapter.on_turn_error = _on_turn_error  # type: ignore[method-assign]
    return TeamsEdge(adapter, TeamsMessenger(adapter, settings.teams_app_id), settings, keys)


async def _on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """botbuilder calls this for every turn that raises, proactive ones included."""
    activity = turn_context.activity
    if activity.type == ActivityTypes.event:
        # Our own continue/create-conversation turn (the outbox sending): the dispatcher
        # must see the error to retry or record it. An apology would go to the recipient.
        raise error
    # The activity's text is a person's words: log only what kind of failure it was.
    log.error("teams_turn_failed", error=type(error).__name__, activity_type=activity.type)
    try:
        await turn_context.send_activity("Sorry, something went wrong. Please try again.")
    except Exception as apology_error:  # the reply path itself may be what failed
        log.error("teams_apology_failed", error=type(apology_error).__name__)


def http_handler(edge: TeamsEdge, deps: Deps) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST /api/messages: junk is a 400 before botbuilder sees it; another tenant a 403;
    then botbuilder authenticates the activity (no valid token: 401; no signing keys to
    check it with, Microsoft's key endpoint being unreachable: 503)."""
    bot = MentorbotTeamsBot(deps, emails_trusted=edge.settings.teams_tenant_id is not None)

    async def handle(request: web.Request) -> web.Response:
        try:
            body = await _activity_body(request)
        except BadBody as bad:  # one line: what was wrong, never what the body said
            log.warning("teams_request_refused", status=400, reason=bad.reason)
            return web.json_response({"error": "not a JSON activity"}, status=400)
        tenant = parse.tenant_of_body(body)
        expected = edge.settings.teams_tenant_id  # lower case, as Teams sends it
        if expected and (tenant or "").lower() != expected:
            # Never the activity's text: ids and kinds only.
            log.warning(
                "teams_foreign_tenant_refused", tenant=tenant, activity_type=body.get("type")
            )
            return web.json_response({"error": "tenant not allowed"}, status=403)
        try:
            response = await edge.adapter.process(request, bot)
        except SigningKeysUnavailable as unavailable:  # logged by the authentication
            return web.json_response(
                {"error": "cannot check tokens now, try again later"},
                status=503,
                headers={"Retry-After": str(unavailable.retry_after)},
            )
        return response or web.Response(status=201)

    return handle


async def _activity_body(request: web.Request) -> dict[str, Any]:
    """The body, if it is a Bot Framework activity botbuilder can take; else BadBody.
    UTF-8 and not absurdly deep (bot.bodies), or botbuilder would fail on it with a 500."""
    if request.content_type != "application/json":
        raise BadBody("content_type")
    body = json_object(text_of(await request.read(), request.charset))
    if not _is_activity(body):
        raise BadBody("not_an_activity")
    try:
        Activity().deserialize(body)
    except (DeserializationError, ValueError, TypeError, AttributeError):
        raise BadBody("not_an_activity") from None  # its message would quote the body
    return body


def _is_activity(body: dict[str, Any]) -> bool:
    def has_id(key: str) -> bool:
        part = body.get(key)
        return isinstance(part, dict) and isinstance(part.get("id"), str) and bool(part["id"])

    return (
        isinstance(body.get("type"), str)
        and bool(body["type"])
        and isinstance(body.get("serviceUrl"), str)
        and has_id("conversation")
        and has_id("from")
    )
