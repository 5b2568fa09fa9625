"""Who may talk to /api/messages. With TEAMS_APP_ID set, botbuilder authenticates every
activity (no valid token: 401); TEAMS_TENANT_ID refuses other tenants (403, logged without
their words); junk is a 400 before botbuilder sees it; and without TEAMS_APP_ID or
TEAMS_ALLOW_UNAUTHENTICATED the endpoint is not served at all."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import structlog
from aiohttp import web
from fakes.teams_harness import (
    OTHER_TENANT,
    TENANT,
    TeamsHarness,
    content,
    plain,
    teams_app,
    teams_settings,
)

import bot.app
from bot import logging as bot_logging
from bot.settings import Settings
from handlers.router import COULD_NOT

APP_ID = "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d"
MARKER = "wombat-semaphore-4417"
BAD_BODY = {"error": "not a JSON activity"}


def authenticated(**extra: Any) -> Settings:
    return teams_settings(
        TEAMS_APP_ID=APP_ID,
        TEAMS_APP_PASSWORD="client-secret",
        TEAMS_ALLOW_UNAUTHENTICATED=False,
        **extra,
    )


async def nothing_happened(teams: TeamsHarness) -> None:
    assert teams.connector.calls == []
    assert set((await teams.counts()).values()) == {0}
    assert await teams.deliver() == 0


def every_kind(teams: TeamsHarness, **options: Any) -> list[dict[str, Any]]:
    return [
        teams.message("ada", f'program create "{MARKER}"', **options),
        teams.submit("ada", "concern.acknowledge", "1", **options),
        teams.activity("ada", "installationUpdate", **options) | {"action": "add"},
    ]


@pytest.fixture
def debug_logging(caplog):
    """Call it inside the test to turn bot.logging to DEBUG/JSON on the captured stderr;
    everything is restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in bot_logging.QUIET_LIBRARIES}
    saved_structlog = structlog.get_config()

    def configure() -> None:
        bot_logging.configure("DEBUG", "json")
        root.addHandler(caplog.handler)
        caplog.handler.setLevel(logging.DEBUG)

    try:
        yield configure
    finally:
        for handler in root.handlers[:]:
            if handler not in saved_handlers:
                root.removeHandler(handler)
        for handler in saved_handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.configure(**saved_structlog)


# ---------------------------------------------------------------------- authentication


async def test_without_a_token_every_activity_is_401_and_nothing_happens(engine, clock) -> None:
    async with teams_app(engine, clock, settings=authenticated()) as teams:
        for activity in every_kind(teams):
            reply = await teams.post_activity(activity)
            assert reply.status == 401
        await nothing_happened(teams)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c.d",
        "Basic YWRhOnNlY3JldA==",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJtZSJ9.c2lnbmF0dXJl",  # not a channel's
    ],
)
async def test_a_token_botbuilder_cannot_accept_is_401(engine, clock, authorization) -> None:
    async with teams_app(engine, clock, settings=authenticated()) as teams:
        activity = teams.message("ada", f'program create "{MARKER}"')
        reply = await teams.post_activity(activity, headers={"Authorization": authorization})
        assert reply.status == 401
        await nothing_happened(teams)


async def test_single_tenant_refuses_another_tenant_with_403_and_logs_no_words(
    engine, clock, capfd, caplog, debug_logging
) -> None:
    debug_logging()
    async with teams_app(engine, clock, settings=authenticated(tenant=TENANT)) as teams:
        for activity in every_kind(teams, tenant=OTHER_TENANT):
            reply = await teams.post_activity(activity)
            assert (reply.status, reply.json) == (403, {"error": "tenant not allowed"})
        # An activity naming no tenant at all is another tenant's too.
        activity = teams.message("ada", MARKER)
        del activity["conversation"]["tenantId"], activity["channelData"]
        assert (await teams.post_activity(activity)).status == 403
        # The same tenant gets as far as botbuilder's authentication.
        assert (await teams.post_activity(teams.message("ada", MARKER))).status == 401
        await nothing_happened(teams)
    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    assert MARKER not in logged
    refusals = [
        json.loads(line)
        for line in logged.splitlines()
        if line.startswith("{") and "teams_foreign_tenant_refused" in line
    ]
    assert [(r["tenant"], r["activity_type"]) for r in refusals] == [
        (OTHER_TENANT, "message"),
        (OTHER_TENANT, "message"),
        (OTHER_TENANT, "installationUpdate"),
        (None, "message"),
    ]
    assert all(r["level"] == "warning" for r in refusals)


async def test_the_development_mode_honours_the_tenant_too(engine, clock) -> None:
    async with teams_app(engine, clock, settings=teams_settings(tenant=TENANT)) as teams:
        reply = await teams.post_activity(teams.message("ada", "help", tenant=OTHER_TENANT))
        assert reply.status == 403
        assert teams.connector.calls == []
        replies = await teams.say("ada", "help")  # its own tenant is served
        assert [content(r)["summary"] for r in replies] == ["What mentorbot can do"]


async def test_a_whole_concern_at_debug_logs_no_participant_words(
    engine, clock, capfd, caplog, debug_logging
) -> None:
    from fakes.teams_harness import set_up_demo

    debug_logging()
    async with teams_app(engine, clock) as teams:
        await set_up_demo(teams)
        [receipt] = await teams.say("omar", f'concern conduct "{MARKER} in the office"')
        assert content(receipt)["summary"] == "Your concern was recorded."
        await teams.click("max", "concern.acknowledge", "1")
        teams.connector.fail_next("update_activity", status=500)
        assert await teams.deliver() == 3  # two cards, and Omar told
        # A manager's note is a person's words too.
        [resolved] = await teams.say("ada", f"concern resolve 1 {MARKER} noted")
        assert content(resolved)["summary"] == "You resolved the concern."
        await teams.say("sam", f"{MARKER} is how I feel")
        # A typed message's answer refused in the dispatcher, a click's in the turn (and
        # the turn's apology after it).
        teams.connector.fail_next("send", status=500, conversation="a:1sam")
        assert await teams.say("sam", f"concern other {MARKER}") == []
        teams.connector.fail_next("reply_to_activity", status=500, times=2)
        await teams.post_activity(teams.submit("sam", "concern.acknowledge", MARKER))
    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    assert "outbox_delivery" in logged and "teams_turn_failed" in logged  # it did log
    assert MARKER not in logged


# ---------------------------------------------------------------------- junk


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"this is not json", "application/json", id="not-json"),
        pytest.param(b"", "application/json", id="empty"),
        pytest.param(b'[{"type": "message"}]', "application/json", id="json-array"),
        pytest.param(b'"message"', "application/json", id="json-string"),
        pytest.param(b'{"text": "help"}', "application/json", id="no-type"),
        pytest.param(b'{"type": 7}', "application/json", id="type-not-a-string"),
        pytest.param(b"type=message&text=help", "application/x-www-form-urlencoded", id="form"),
        pytest.param(b'{"type": "message"}', "text/plain", id="wrong-content-type"),
        pytest.param(b'{"type": "message"}', None, id="no-content-type"),
    ],
)
async def test_junk_is_400_before_botbuilder_sees_it(teams: TeamsHarness, body, content_type):
    reply = await teams.post(body, content_type)
    assert (reply.status, reply.json) == (400, BAD_BODY)
    await nothing_happened(teams)


DEEP = "[" * 150_000 + "]" * 150_000


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        pytest.param(
            b'{"type": "message", "text": "\xff"}', "application/json", "not_utf8", id="not-utf8"
        ),
        pytest.param(DEEP.encode(), "application/json", "json_too_deep", id="json-150000-deep"),
        pytest.param(
            b'{"type": "message", "channelData": ' + b'{"a": ' * 70 + b"1" + b"}" * 71,
            "application/json",
            "json_too_deep",
            id="json-71-deep",
        ),
        pytest.param(
            b'{"type": "message"}',
            "application/json; charset=latin-1",
            "charset_not_utf8",
            id="charset-latin-1",
        ),
        pytest.param(
            b'{"type": "message"}',
            "application/json; charset=bogus",
            "charset_not_utf8",
            id="charset-unknown",
        ),
    ],
)
async def test_bodies_botbuilder_would_fail_on_are_400_with_one_line(
    teams: TeamsHarness, body, content_type, reason, caplog, capsys
):
    """Each gave a 500 and a traceback; now a 400 and one line that names what was wrong."""
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        reply = await teams.post(body, content_type)
    assert (reply.status, reply.json) == (400, BAD_BODY)
    assert [e for e in logs if e["event"] == "teams_request_refused"] == [
        {"event": "teams_request_refused", "status": 400, "reason": reason, "log_level": "warning"}
    ]
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert [r for r in caplog.records if r.exc_info] == []
    await nothing_happened(teams)
    assert (await teams.post_activity(teams.message("sam", "help"))).status == 201  # healthy


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda a: a.pop("conversation"), id="no-conversation"),
        pytest.param(lambda a: a.pop("from"), id="no-sender"),
        pytest.param(lambda a: a.pop("serviceUrl"), id="no-service-url"),
        pytest.param(lambda a: a.update({"from": "29:1ada"}), id="sender-not-an-object"),
        pytest.param(lambda a: a.update({"entities": "mention"}), id="entities-not-a-list"),
        pytest.param(lambda a: a.update({"timestamp": "yesterday"}), id="bad-timestamp"),
    ],
)
async def test_json_that_is_no_activity_is_400(teams: TeamsHarness, spoil) -> None:
    activity = teams.message("ada", f'program create "{MARKER}"')
    spoil(activity)
    reply = await teams.post_activity(activity)
    assert (reply.status, reply.json) == (400, BAD_BODY)
    await nothing_happened(teams)


async def test_a_json_body_with_a_charset_is_fine(teams: TeamsHarness) -> None:
    activity = teams.message("sam", "help")
    await teams.post(json.dumps(activity), "application/json; charset=utf-8")
    assert await teams.deliver() == 1
    [reply] = teams.connector.sent("a:1sam")
    assert content(reply.body)["summary"] == "What mentorbot can do"


async def test_development_mode_accepts_activities_without_a_token(teams: TeamsHarness) -> None:
    assert teams.edge.settings.teams_app_id is None
    replies = await teams.say("sam", "bogus")
    assert [content(r) for r in replies] == [
        plain("I don't know the command “bogus”. Type `help` to see what I can do.", COULD_NOT)
    ]


# ---------------------------------------------------------------------- is it served at all?


@pytest.mark.parametrize(
    ("env", "configured"),
    [
        ({}, False),
        ({"TEAMS_APP_PASSWORD": "x", "TEAMS_TENANT_ID": TENANT}, False),
        ({"TEAMS_ALLOW_UNAUTHENTICATED": "false"}, False),
        ({"TEAMS_ALLOW_UNAUTHENTICATED": "true"}, True),
        ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "x"}, True),
    ],
)
def test_teams_is_configured_only_with_an_app_id_or_unauthenticated_on(
    monkeypatch, env, configured
) -> None:
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TEAMS_ALLOW_UNAUTHENTICATED", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None).teams_configured is configured  # type: ignore[call-arg]


async def _served_routes(monkeypatch, tmp_path, **env: str) -> set[str]:
    """What serve() would put on the web app, stopping it just before it listens."""
    captured: dict[str, web.Application] = {}

    async def capture(runtime, web_app, socket_handler) -> None:
        captured["app"] = web_app
        await runtime.engine.dispose()

    monkeypatch.setattr(bot.app, "_run_until_stopped", capture)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", **env
    )
    await bot.app.serve(settings)
    return {
        route.resource.canonical
        for route in captured["app"].router.routes()
        if route.resource is not None
    }


async def test_serve_has_no_teams_endpoint_without_settings(monkeypatch, tmp_path) -> None:
    assert await _served_routes(monkeypatch, tmp_path) == {"/healthz", "/readyz"}


async def test_serve_adds_the_endpoint_when_teams_is_configured(monkeypatch, tmp_path) -> None:
    routes = await _served_routes(
        monkeypatch, tmp_path, TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="x"
    )
    assert routes == {"/healthz", "/readyz", "/api/messages"}
    routes = await _served_routes(monkeypatch, tmp_path, TEAMS_ALLOW_UNAUTHENTICATED="true")
    assert routes == {"/healthz", "/readyz", "/api/messages"}


@pytest.mark.parametrize(
    "channel_data",
    [
        pytest.param("tenant", id="a-string"),
        pytest.param({"tenant": ["x"]}, id="tenant-a-list"),
        pytest.param({"tenant": {"id": 7}}, id="tenant-id-a-number"),
    ],
)
async def test_junk_where_the_tenant_goes_names_no_tenant(engine, clock, channel_data) -> None:
    async with teams_app(engine, clock, settings=teams_settings(tenant=TENANT)) as teams:
        activity = teams.message("ada", MARKER)
        del activity["conversation"]["tenantId"]
        activity["channelData"] = channel_data
        reply = await teams.post_activity(activity)
        assert (reply.status, reply.json) == (403, {"error": "tenant not allowed"})
        await nothing_happened(teams)


async def test_a_tenant_id_pasted_in_capitals_still_serves_its_tenant(engine, clock) -> None:
    settings = teams_settings(tenant=TENANT.upper())
    async with teams_app(engine, clock, settings=settings) as teams:
        assert [content(r) for r in await teams.say("sam", "bogus")] == [
            plain("I don't know the command “bogus”. Type `help` to see what I can do.", COULD_NOT)
        ]
