"""Nothing is lost when the bot dies, and nothing is sent twice: a real `python -m bot`
process in Slack HTTP mode takes a concern while Slack cannot be reached (or while its
answer to the DM never comes), is killed with SIGKILL, and the next process delivers the
manager's DM exactly once. SIGTERM then shuts it down cleanly. On SQLite, and on PostgreSQL
when TEST_DATABASE_URL is set (the bot gets it as DATABASE_URL).

Every wait is bounded, so a failure cannot hang the run."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from fakes.databases import postgres_url, wipe_postgres
from fakes.delivery import MANAGER, MENTOR, PROGRAM, WaitableSlackApi, closed_port, seed
from fakes.slack_api import TEAM_ID, outbox_metadata
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import bot as bot_package
from bot.slack import render
from handlers.ports import SystemClock
from handlers.views import CommandHint, MessageView, note, section
from storage import db

SECRET = "crash-test-signing-secret"
TOKEN = "xoxb-crash-test"
WORDS = "Sam has missed our last two meetings"
SOURCE_ROOT = Path(bot_package.__file__).resolve().parent.parent
START_TIMEOUT = 30.0  # importing the bot takes a second or two; CI machines can be slow


@dataclass
class Bot:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Store:
    """The bots' database: its URL, and the test's own connection to read it."""

    url: str
    engine: AsyncEngine

    @property
    def shared(self) -> bool:
        """PostgreSQL: replicas may share it, so a process starting cannot tell a dead
        one's claim from a live replica's and leaves it to its lease (2 minutes)."""
        return not self.url.startswith("sqlite")


@pytest.fixture
async def store(database: str, tmp_path) -> AsyncIterator[Store]:
    """A migrated database with a program, its manager, and a mentor paired with a mentee."""
    if database == "postgres":
        url = postgres_url()
        engine = db.create_engine(url)
        await wipe_postgres(engine)  # migrated from nothing, as a new installation is
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        engine = db.create_engine(url)
    await db.upgrade(engine)
    await seed(db.session_factory(engine), datetime.now(UTC))
    yield Store(url, engine)
    await engine.dispose()


@pytest.fixture
async def bots(tmp_path) -> AsyncIterator[Callable[..., Any]]:
    """Starts bot processes; any still running at the end of the test is killed."""
    started: list[Bot] = []

    async def start(store: Store, slack_api_url: str, name: str) -> Bot:
        port = closed_port()
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=_environment(store.url, slack_api_url, port),
                cwd=tmp_path,  # no stray .env file is read
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        bot = Bot(process, port, log)
        started.append(bot)
        await _wait_until_ready(bot)
        return bot

    yield start
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()


def _environment(database_url: str, slack_api_url: str, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "MENTORBOT_", "DATABASE_URL", "PORT"))
    }
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        MENTORBOT_ADMINS=MANAGER[2],
        MENTORBOT_LOG_FORMAT="json",
        MENTORBOT_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # The code under test, wherever it is checked out (not only where it is installed).
        PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")])),
    )
    return env


async def _wait_until_ready(bot: Bot) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if bot.process.returncode is not None:
                pytest.fail(f"the bot exited with {bot.process.returncode}:\n{bot.output()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{bot.url}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)  # polling another process: there is nothing to await
    pytest.fail(f"/readyz did not answer 200 within {START_TIMEOUT}s:\n{bot.output()}")


async def _slash_command(bot: Bot, user_id: str, text: str) -> tuple[int, Any]:
    body = urlencode(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": f"D{user_id}",
            "channel_name": "directmessage",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/mentoring",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        }
    )
    timestamp = str(int(time.time()))
    signature = hmac.new(
        SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={signature}",
    }
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.post(f"{bot.url}/slack/events", data=body, headers=headers) as response,
    ):
        text_body = await response.text()
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, text_body


async def _manager_dm(store: Store) -> dict[str, Any] | None:
    """The outbox row of the concern DM to the manager, read the way an operator would."""
    query = text(
        "SELECT o.* FROM outbox o JOIN identity i ON i.person_id = o.recipient_id "
        "WHERE i.platform = 'slack' AND i.external_id = :user AND o.subject = 'concern'"
    )
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query, {"user": MANAGER[1]})).mappings().all()
    assert len(rows) <= 1, rows
    return dict(rows[0]) if rows else None


def _json(stored: Any) -> Any:
    """A JSON column as read: text from SQLite, decoded already by asyncpg."""
    return json.loads(stored) if isinstance(stored, str) else stored


async def _lease_runs_out(store: Store, outbox_id: int) -> None:
    """As if the claim's 2 minutes had passed (the bots use the real clock)."""
    query = text("UPDATE outbox SET claimed_until = :past WHERE id = :id")
    async with store.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await conn.execute(query, {"past": past, "id": outbox_id})


async def _poll(
    condition: Callable[[], Awaitable[Any]], timeout: float, what: str, bot: Bot | None = None
) -> Any:
    """Poll another process's database until `await condition()` is truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := await condition():
            return value
        await asyncio.sleep(0.05)
    pytest.fail(f"{what}: not within {timeout}s" + (f"\n{bot.output()}" if bot else ""))


def _receipt() -> dict[str, Any]:
    view = MessageView(
        notification="Your concern was recorded.",
        blocks=[
            section(
                f"Thank you. The program manager of {PROGRAM} has been told. I will let you know "
                "when it is acknowledged and when it is resolved, and by whom. Your partner has "
                "not been told."
            ),
            note("To see where your concerns stand: ", CommandHint(text="concern status")),
        ],
    )
    return {"response_type": "ephemeral", **render.message(view)}


async def _raise_concern(bot: Bot) -> None:
    status, answer = await _slash_command(bot, MENTOR[1], f'concern missed-meeting "{WORDS}"')
    assert (status, answer) == (200, _receipt()), bot.output()


async def _kill(bot: Bot) -> None:
    bot.process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(bot.process.wait(), 10) == -signal.SIGKILL


async def _second_life(store: Store, slack: WaitableSlackApi, bots: Any) -> dict[str, Any]:
    """Start again with Slack reachable, until the DM is recorded as sent; SIGTERM then
    stops the bot cleanly. The DM's outbox row."""
    bot = await bots(store, slack.url, "second")
    await slack.wait_for(lambda: len(slack.posts_to(MANAGER[1])) >= 1, timeout=15)

    async def recorded_as_sent() -> dict[str, Any] | None:
        row = await _manager_dm(store)
        return row if row and row["status"] == "sent" else None

    sent = await _poll(recorded_as_sent, 10, "the DM recorded as sent", bot)

    bot.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.process.wait(), 20) == 0, bot.output()
    assert '"event": "mentorbot_stopped"' in bot.output(), bot.output()
    return sent


async def _second_life_delivers_once(store: Store, slack: WaitableSlackApi, bots: Any) -> None:
    """The DM goes out once, in the second life."""
    sent = await _second_life(store, slack, bots)

    # The process has finished its dispatcher: no later sweep can send the DM again.
    [post] = slack.posts_to(MANAGER[1])
    assert post.token == TOKEN
    view = MessageView.from_json(_json(sent["view"]))
    metadata = outbox_metadata(sent["id"])
    assert post.args == {"channel": MANAGER[1], "metadata": metadata, **render.message(view)}
    assert WORDS in json.dumps(post.args["blocks"])
    assert slack.calls_to("chat.postMessage") == [post]  # nobody else was told anything
    assert (sent["last_error"], sent["claimed_until"]) == (None, None)
    assert sent["attempts"] >= 2


async def test_a_concern_taken_while_sends_fail_survives_sigkill_and_is_sent_once(store, bots):
    async with WaitableSlackApi() as slack:
        # First life: Slack answers auth.test (as when the bot came up), then every send's
        # connection drops.
        slack.dropping.add("chat.postMessage")
        first = await bots(store, slack.url, "first")
        await _raise_concern(first)

        async def failed_to_connect() -> dict[str, Any] | None:
            row = await _manager_dm(store)
            if row and row["status"] == "pending" and row["attempts"] >= 1 and row["last_error"]:
                return row
            return None

        row = await _poll(failed_to_connect, 15, "a failed attempt at the manager's DM", first)
        assert row["last_error"] == "connection failed: ServerDisconnectedError", row
        await _kill(first)
        assert slack.calls_to("chat.postMessage") == []

        slack.dropping.clear()  # Slack is back
        await _second_life_delivers_once(store, slack, bots)


async def test_a_send_cut_short_by_sigkill_is_sent_by_the_next_process_at_once(store, bots):
    """Killed while the DM was on its way: on SQLite (one process) the next process releases
    the dead one's claim at start-up instead of waiting out its lease (2 minutes; this test
    allows 15 s). On PostgreSQL the DM waits out the lease, which the test ends instead."""
    async with WaitableSlackApi() as slack:
        slack.hang_next("chat.postMessage")  # Slack never answers the first send
        first = await bots(store, slack.url, "first")
        await _raise_concern(first)
        await slack.wait_for(lambda: len(slack.received) >= 2, timeout=15)  # auth.test + send
        claimed = await _manager_dm(store)
        assert claimed is not None
        assert (claimed["status"], claimed["attempts"]) == ("pending", 1)
        assert claimed["claimed_until"] is not None  # mid-send, as far as the database knows
        await _kill(first)
        if store.shared:
            await _lease_runs_out(store, claimed["id"])

        await _second_life_delivers_once(store, slack, bots)
        assert [c.method for c in slack.received].count("chat.postMessage") == 2


async def test_a_dm_slack_accepted_just_before_sigkill_is_not_sent_again(store, bots):
    """Slack took the DM, and the bot died before it heard back (so before recording it as
    sent). The next process (on PostgreSQL, once the claim's lease has run out) finds the
    DM in Maya's conversation by its metadata, records it as sent with Slack's timestamp,
    and does not post it again."""
    async with WaitableSlackApi(SystemClock()) as slack:  # messages stamped with real time
        slack.accept_and_hang_next("chat.postMessage")
        first = await bots(store, slack.url, "first")
        await _raise_concern(first)
        await slack.wait_for(lambda: len(slack.posts_to(MANAGER[1])) == 1, timeout=15)
        [accepted] = slack.history["D" + MANAGER[1]]
        await _kill(first)
        if store.shared:
            claimed = await _manager_dm(store)
            assert claimed is not None
            await _lease_runs_out(store, claimed["id"])

        sent = await _second_life(store, slack, bots)

        assert len(slack.calls_to("chat.postMessage")) == 1  # Maya has it once
        assert accepted["metadata"] == outbox_metadata(sent["id"])
        assert _json(sent["sent_ref"]) == {"channel": "D" + MANAGER[1], "ts": accepted["ts"]}
        assert [c.method for c in slack.calls if c.method.startswith("conversations.")] == [
            "conversations.open",
            "conversations.history",
        ]
        assert (sent["last_error"], sent["claimed_until"], sent["attempts"]) == (None, None, 2)
