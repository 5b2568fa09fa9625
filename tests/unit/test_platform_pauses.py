"""A platform paused, and how it resumes: after a 429's Retry-After, one message goes
first and the others only once it is through; the app itself unable to send (a revoked
token) is an operator's alarm: logged once, shown by /readyz and `status`, the messages
waiting (never failed) until a message is delivered again. The real SlackMessenger and
client against the fake Slack; time is a FakeClock (nothing sleeps)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fakes.delivery import WaitableSlackApi, all_rows, aware, put, seed
from structlog.testing import capture_logs

from bot.app import build_runtime, build_web_app
from bot.settings import Settings
from bot.slack import render
from bot.slack.app import build_client
from bot.slack.messenger import SlackMessenger
from handlers.context import Caller
from handlers.router import handle_text
from handlers.views import simple
from scheduler.dispatcher import Dispatcher
from storage.db import session_factory

POST = "chat.postMessage"
REVOKED = "the Slack bot token was revoked (token_revoked)"


class InOrder(WaitableSlackApi):
    """The fake, also noting when each call arrived and when it was answered."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str]] = []

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.log.append(("asked", method))
        try:
            return await super()._handle_api(request)
        finally:
            self.log.append(("answered", method))


@pytest.fixture
async def slack():
    async with InOrder() as api:
        yield api


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
async def world(sessions, clock):
    return await seed(sessions, clock.now())


@pytest.fixture
def runtime(engine, clock, slack):
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)  # type: ignore[call-arg]
    messengers = {"slack": SlackMessenger(build_client(settings))}
    return build_runtime(settings, engine, messengers, clock=clock)  # 8 sends at once


async def statuses(sessions) -> dict[str, tuple[str, int]]:
    return {r.dedupe_key: (r.status, r.attempts) for r in await all_rows(sessions)}


class InFlight:
    """The real messenger, counting the DMs on their way at once as each one leaves."""

    def __init__(self, inner: SlackMessenger) -> None:
        self.inner, self.platform = inner, inner.platform
        self.on_their_way = 0
        self.seen: list[int] = []  # for each post, how many were on their way with it

    async def post(self, to, view, *, outbox_id=None):
        self.on_their_way += 1
        self.seen.append(self.on_their_way)
        try:
            return await self.inner.post(to, view, outbox_id=outbox_id)
        finally:
            self.on_their_way -= 1

    async def update(self, ref, view):
        return await self.inner.update(ref, view)

    async def find_sent(self, to, outbox_id, since):
        return await self.inner.find_sent(to, outbox_id, since)


async def test_after_a_429_one_message_goes_first_and_the_rest_once_it_is_through(
    world, sessions, clock, slack, runtime
):
    """Up to 8 used to go at once when the pause ended, and meet the limit again."""
    messenger = InFlight(runtime.messengers["slack"])  # type: ignore[arg-type]
    dispatcher = Dispatcher(sessions, clock, {"slack": messenger})  # 8 at once
    await put(sessions, "first", world.manager_id, simple("first"), clock.now())
    slack.fail_next(POST, status=429, retry_after=30)
    assert await dispatcher.run_once() == 1
    for n in range(6):
        await put(sessions, f"m{n}", world.manager_id, simple(f"m{n}"), clock.now())
    clock.advance(29.999)
    assert await dispatcher.run_once() == 0  # nothing is even claimed during the pause
    clock.advance(0.001)
    messenger.seen.clear()
    slack.log.clear()

    assert await dispatcher.run_once() == 7

    # The first alone, answered before any other left; then the other six together.
    assert messenger.seen == [1, 1, 2, 3, 4, 5, 6]
    assert slack.log[:3] == [("asked", POST), ("answered", POST), ("asked", POST)]
    assert set((await statuses(sessions)).values()) == {("sent", 1), ("sent", 2)}


async def test_a_429_to_the_first_message_after_a_pause_keeps_the_rest_waiting(
    world, sessions, clock, slack, runtime
):
    dispatcher = runtime.dispatcher
    await put(sessions, "first", world.manager_id, simple("first"), clock.now())
    slack.fail_next(POST, status=429, retry_after=30)
    assert await dispatcher.run_once() == 1
    for n in range(3):
        await put(sessions, f"m{n}", world.manager_id, simple(f"m{n}"), clock.now())
    clock.advance(30)
    slack.fail_next(POST, status=429, retry_after=10)  # still too fast
    slack.log.clear()

    assert await dispatcher.run_once() == 4

    assert slack.log == [("asked", POST), ("answered", POST)]  # one call, refused
    rows = await all_rows(sessions)
    assert {aware(r.next_attempt_at) for r in rows} == {clock.now() + timedelta(seconds=10)}
    assert await statuses(sessions) == {
        "m0": ("pending", 1),  # due first: it went first
        "first": ("pending", 1),  # put back untried: no more attempts
        "m1": ("pending", 0),
        "m2": ("pending", 0),
    }
    clock.advance(10)
    assert await dispatcher.run_once() == 4
    assert slack.log[2:5] == [("asked", POST), ("answered", POST), ("asked", POST)]
    assert {s for s, _ in (await statuses(sessions)).values()} == {"sent"}


async def readyz(runtime) -> tuple[int, dict]:
    async with TestClient(TestServer(build_web_app(runtime))) as http:
        response = await http.get("/readyz")
        return response.status, await response.json()


async def test_a_revoked_token_is_an_alarm_and_the_messages_wait_for_the_fix(
    world, sessions, clock, slack, runtime
):
    dispatcher = runtime.dispatcher
    for key, person in [("a", world.manager_id), ("b", world.mentor_id), ("c", world.mentee_id)]:
        await put(sessions, key, person, simple(key), clock.now())
    slack.fail_next(POST, error="token_revoked", times=4)
    assert await readyz(runtime) == (200, {"ok": True})

    with capture_logs() as logs:
        assert await dispatcher.run_once() == 3  # all three on their way at once

    rows = await all_rows(sessions)
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {("pending", 1, REVOKED)}
    alarms = [e for e in logs if e["event"] == "delivery_alarm"]
    assert alarms == [  # once, not once per message
        {
            "event": "delivery_alarm",
            "log_level": "error",
            "platform": "slack",
            "reason": REVOKED,
            "detail": "the app cannot send here: messages wait until it can",
        }
    ]
    assert await readyz(runtime) == (503, {"ok": False, "slack": REVOKED})
    # Managers asking why nothing arrives are told, in `status` (a slash command's answer
    # needs no token).
    answer = await handle_text(runtime.deps, Caller("slack", "UMAYA", "T0001"), "status")
    assert answer is not None
    assert render.blocks(answer)[-1] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"*Messages cannot be sent at the moment: *{REVOKED}. "
            "Nothing is lost: they go out once an admin has fixed it.",
        },
    }

    # Slack is paused for a backoff that grows while the token is refused (2 s, 4 s, …),
    # and each time one message alone finds out.
    clock.advance(2)
    assert await dispatcher.run_once() == 3
    assert len(slack.calls_to(POST)) == 4
    clock.advance(3.999)
    assert await dispatcher.run_once() == 0
    clock.advance(0.001)
    with capture_logs() as logs:
        assert await dispatcher.run_once() == 3  # the token works again
    assert [e["event"] for e in logs if "alarm" in e["event"]] == ["delivery_alarm_cleared"]
    assert {r.status for r in await all_rows(sessions)} == {"sent"}
    assert len(slack.calls_to(POST)) == 7
    assert await readyz(runtime) == (200, {"ok": True})
    answer = await handle_text(runtime.deps, Caller("slack", "UMAYA", "T0001"), "status")
    assert answer is not None and "cannot be sent" not in str(render.blocks(answer))


async def test_a_message_on_its_way_when_the_alarm_rose_does_not_clear_it(
    world, sessions, clock, slack, runtime
):
    """Sent before the refusal came back, it proves nothing about the token now."""
    for key, person in [("a", world.manager_id), ("b", world.mentor_id)]:
        await put(sessions, key, person, simple(key), clock.now())
    slack.fail_next(POST, error="invalid_auth")  # the first to arrive; the other is sent

    assert await runtime.dispatcher.run_once() == 2

    assert sorted(r.status for r in await all_rows(sessions)) == ["pending", "sent"]
    alarm = "Slack refused the bot token (invalid_auth)"
    assert await readyz(runtime) == (503, {"ok": False, "slack": alarm})
