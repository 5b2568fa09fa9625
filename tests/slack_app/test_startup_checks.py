"""At start the bot asks Slack whether its tokens work. A token Slack refuses stops it with
one line naming the setting and exit code 2 (before, a wrong bot token was noticed at the
first command, and a wrong app token retried the websocket for ever with a traceback each
time). Slack merely not answering is one warning, and the bot starts: the outbox holds
messages until Slack is back, and Socket Mode connects once it answers. And no start logs
Bolt's "`token` will be unused" warning.

The real `mentorbot` command runs against the fake Web API (and the fake Socket Mode
endpoint) in this process; nothing sleeps: the test reads the bot's log lines as they come."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fakes.delivery import closed_port
from fakes.slack_api import BOT_USER_ID, FakeSlackApi
from fakes.slack_harness import ADMIN, BOT_TOKEN, PEOPLE, SIGNING_SECRET, TZ
from fakes.slack_socket import APP_TOKEN, WAIT, FakeSocketMode, SocketFakeSlackApi

import bot.app
import bot.slack.startup
from bot.app import build_runtime, serve
from bot.settings import Settings, StartupProblem
from bot.slack.app import attach, build_client, build_edge
from bot.slack.startup import attach_slack, start_socket_mode

NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}
MENTORBOT = Path(sys.executable).parent / "mentorbot"
START_TIMEOUT = 60.0  # only a safety net: importing the bot takes a second or two
REFUSALS = [
    "invalid_auth",
    "not_authed",
    "not_allowed_token_type",
    "token_revoked",
    "account_inactive",
]
BOT_TOKEN_REFUSED = (
    "SLACK_BOT_TOKEN was refused by Slack ({code}): set the app's Bot User OAuth Token "
    "(xoxb-…) from OAuth & Permissions"
)
APP_TOKEN_REFUSED = (
    "SLACK_APP_TOKEN was refused by Slack ({code}): set an app-level token (xapp-…) with "
    "the connections:write scope, from Basic Information"
)
BOLT_TOKEN_WARNING = "`token` will be unused"


def _settings(tmp_path: Path, url: str, *, socket_mode: bool = False) -> Settings:
    mode = (
        {"SLACK_APP_TOKEN": APP_TOKEN} if socket_mode else {"SLACK_SIGNING_SECRET": SIGNING_SECRET}
    )
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MENTORBOT_ADMINS=ADMIN,
        **mode,
    )


# ---------------------------------------------------------------------- in this process


@pytest.mark.parametrize("code", REFUSALS)
async def test_a_bot_token_slack_refuses_stops_the_start(tmp_path, code) -> None:
    async with FakeSlackApi() as fake:
        fake.fail_next("auth.test", error=code)
        with pytest.raises(StartupProblem) as refused:
            await serve(_settings(tmp_path, fake.url))
    assert str(refused.value) == BOT_TOKEN_REFUSED.format(code=code)
    assert not (tmp_path / "bot.db").exists()  # refused before the database was touched


@pytest.mark.parametrize("code", REFUSALS)
async def test_an_app_token_slack_refuses_stops_the_start(tmp_path, code) -> None:
    async with FakeSlackApi() as fake:
        fake.fail_next("apps.connections.open", error=code)
        with pytest.raises(StartupProblem) as refused:
            await serve(_settings(tmp_path, fake.url, socket_mode=True))
        [opened] = fake.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert str(refused.value) == APP_TOKEN_REFUSED.format(code=code)


async def test_bolt_is_built_without_the_token_warning(tmp_path, monkeypatch, caplog) -> None:
    """Bolt's AsyncApp reads SLACK_BOT_TOKEN from the environment when it is not given a
    token, and warns when it is also given a client: it is given no token on purpose
    (authorize gives each request the token). The environment is hidden while it is built,
    and is as it was afterwards."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    settings = _settings(tmp_path, "http://127.0.0.1:9/api/")
    edge = build_edge(settings, build_client(settings))
    from storage import db

    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    runtime = build_runtime(
        settings, engine, {"slack": edge.messenger}, directories={}, open_platforms=frozenset()
    )
    with caplog.at_level("DEBUG"):
        attach_slack(edge, settings, runtime.deps)
    assert [r.getMessage() for r in caplog.records if BOLT_TOKEN_WARNING in r.getMessage()] == []
    assert os.environ["SLACK_BOT_TOKEN"] == BOT_TOKEN
    assert os.environ["SLACK_SIGNING_SECRET"] == SIGNING_SECRET
    await engine.dispose()


async def test_socket_mode_connects_once_slack_answers(tmp_path, monkeypatch) -> None:
    """Slack not answering apps.connections.open at start: one warning, the bot goes on,
    and the websocket connects in the background when Slack answers again."""
    monkeypatch.setattr(
        bot.slack.startup, "SOCKET_RETRY_SECONDS", (0.0, 0.0)
    )  # no waiting in a test
    socket = FakeSocketMode()
    await socket.start()
    try:
        async with SocketFakeSlackApi(socket) as fake:
            fake.fail_next("apps.connections.open", status=503, times=2)
            settings = _settings(tmp_path, fake.url, socket_mode=True)
            edge = build_edge(settings, build_client(settings))
            from storage import db

            engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
            runtime = build_runtime(
                settings,
                engine,
                {"slack": edge.messenger},
                directories={},
                open_platforms=frozenset(),
            )
            bolt = attach_slack(edge, settings, runtime.deps)
            socket_mode = await start_socket_mode(bolt, settings)
            try:
                assert socket_mode.connecting is not None  # not connected yet: in the background
                async with asyncio.timeout(WAIT):
                    await socket.connected.wait()
                    await socket_mode.connecting
                assert len(fake.calls_to("apps.connections.open")) == 3
            finally:
                await socket_mode.close_async()
                await engine.dispose()
    finally:
        await socket.stop()


# ---------------------------------------------------------------------- the real command


@asynccontextmanager
async def _mentorbot(tmp_path: Path, **env: str) -> AsyncIterator[asyncio.subprocess.Process]:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in NAMES}
    process = await asyncio.create_subprocess_exec(
        str(MENTORBOT),
        cwd=tmp_path,  # no .env from the repo
        env=clean
        | {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "PORT": str(closed_port()),
            "MENTORBOT_ADMINS": ADMIN,
            "MENTORBOT_LOG_FORMAT": "json",
            "MENTORBOT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **env,
        },
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _finished(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    async with asyncio.timeout(START_TIMEOUT):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _event(line: str) -> dict[str, Any]:
    try:
        parsed = json.loads(line)
    except ValueError:
        return {"event": None, "text": line}  # not a log line: a traceback, say
    return parsed if isinstance(parsed, dict) else {"event": None, "text": line}


async def _log_until(process: asyncio.subprocess.Process, event: str) -> list[dict[str, Any]]:
    """The bot's log lines up to and including the first `event`."""
    assert process.stderr is not None
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            line = (await process.stderr.readline()).decode()
            if not line:
                pytest.fail(f"the bot stopped before {event}: {seen}")
            seen.append(_event(line))
            if seen[-1]["event"] == event:
                return seen


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, list[dict[str, Any]]]:
    process.send_signal(signal.SIGTERM)
    code, _, err = await _finished(process)
    return code, [_event(line) for line in err.splitlines()]


async def test_the_command_stops_on_a_refused_bot_token(tmp_path) -> None:
    async with FakeSlackApi() as fake:
        fake.fail_next("auth.test", error="invalid_auth")
        async with _mentorbot(
            tmp_path, SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET="s", SLACK_API_URL=fake.url
        ) as process:
            done = await _finished(process)
    assert done == (2, "", f"mentorbot: {BOT_TOKEN_REFUSED.format(code='invalid_auth')}\n")


async def test_the_command_stops_on_a_refused_app_token(tmp_path) -> None:
    async with FakeSlackApi() as fake:
        fake.fail_next("apps.connections.open", error="invalid_auth")
        async with _mentorbot(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN="xapp-wrong",
            SLACK_API_URL=fake.url,
        ) as process:
            done = await _finished(process)
        assert [call.method for call in fake.calls] == ["auth.test", "apps.connections.open"]
    assert done == (2, "", f"mentorbot: {APP_TOKEN_REFUSED.format(code='invalid_auth')}\n")


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
async def test_the_command_starts_with_one_warning_when_slack_is_unreachable(
    tmp_path, socket_mode
) -> None:
    mode = {"SLACK_APP_TOKEN": APP_TOKEN} if socket_mode else {"SLACK_SIGNING_SECRET": "s"}
    unreachable = f"http://127.0.0.1:{closed_port()}/api/"
    async with _mentorbot(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=unreachable, **mode
    ) as process:
        started = await _log_until(process, "mentorbot_started")
        code, after = await _stop(process)
    warnings = [line for line in started if line.get("level") != "info"]
    assert [(w["event"], w["level"]) for w in warnings] == [
        ("slack_unreachable_at_start", "warning")
    ]
    assert warnings[0]["reason"] == "ClientConnectorError"
    assert code == 0
    assert [line["event"] for line in after] == ["mentorbot_stopping", "mentorbot_stopped"]


async def test_the_command_connects_socket_mode_without_bolts_token_warning(tmp_path) -> None:
    socket = FakeSocketMode()
    await socket.start()
    try:
        async with SocketFakeSlackApi(socket) as fake:
            for user_id, (name, email) in PEOPLE.items():
                fake.add_user(user_id, name, email, tz=TZ)
            async with _mentorbot(
                tmp_path,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_APP_TOKEN=APP_TOKEN,
                SLACK_API_URL=fake.url,
            ) as process:
                started = await _log_until(process, "mentorbot_started")
                code, after = await _stop(process)
            assert [c.method for c in fake.calls] == ["auth.test", "apps.connections.open"]
    finally:
        await socket.stop()
    assert [line["event"] for line in started] == [
        "slack_socket_mode_connected",
        "database_schema_upgraded",  # a fresh SQLite file
        "mentorbot_started",
    ]
    assert not any(BOLT_TOKEN_WARNING in json.dumps(line) for line in started + after)
    assert code == 0


async def test_the_first_command_needs_no_auth_test_after_a_checked_start(tmp_path) -> None:
    """auth.test answered at start: the bot knows its ids, so the first request does not
    ask again inside Slack's 3 seconds."""
    async with FakeSlackApi() as fake:
        settings = _settings(tmp_path, fake.url)
        captured: dict[str, Any] = {}

        async def capture(runtime: Any, web_app: Any, socket_handler: Any) -> None:
            captured["runtime"] = runtime
            await runtime.engine.dispose()

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(bot.app, "_run_until_stopped", capture)
            patch.setattr(bot.slack.startup, "attach_slack", _recording_attach(captured))
            await serve(settings)
        assert [c.method for c in fake.calls] == ["auth.test"]
    assert captured["edge"].authorize.identity["user_id"] == BOT_USER_ID
    # The one Bolt configuration: each listener acknowledges itself, within its budget.
    assert captured["edge"].app.process_before_response is True


async def test_the_harness_builds_the_app_as_production_does(slack) -> None:
    """Tests exercise what `mentorbot` runs: the same attach_slack, the same Bolt settings,
    no knob of their own on the Bolt app."""
    assert slack.edge.app.process_before_response is True
    assert "process_before_response" not in inspect.signature(attach_slack).parameters
    assert "process_before_response" not in inspect.signature(attach).parameters


def _recording_attach(captured: dict[str, Any]) -> Any:
    real = attach_slack

    def attach(edge: Any, settings: Settings, deps: Any) -> Any:
        captured["edge"] = edge
        return real(edge, settings, deps)

    return attach
