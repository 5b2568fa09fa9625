"""The dispatcher with the real SlackMessenger and the real AsyncWebClient, over HTTP to the
fake Slack: what happens to each outbox row on each of Slack's answers. Time is a FakeClock;
each round is one `await dispatcher.run_once()`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fakes.delivery import (
    MANAGER,
    MENTEE,
    MENTOR,
    WaitableSlackApi,
    add_person,
    all_rows,
    aware,
    closed_port,
    put,
    row,
    seed,
)
from sqlmodel import select

from bot.app import build_runtime
from bot.settings import Settings
from bot.slack import render
from bot.slack.app import build_client
from bot.slack.messenger import SlackMessenger
from handlers.context import Caller, Deps
from handlers.router import handle_action, handle_text
from handlers.views import MessageView, bold, section
from scheduler.dispatcher import Backoff, Dispatcher
from storage import outbox
from storage.db import session_factory, transaction
from storage.models import Concern, OutboxStatus

SLACK_ID = {"manager": MANAGER[1], "mentor": MENTOR[1], "mentee": MENTEE[1]}


def view(n: object) -> MessageView:
    return MessageView(
        notification=f"Message {n}",
        title=f"Title {n}",
        blocks=[section("Body ", bold(str(n)), " <with> & markup")],
    )


def posted(to: str, message: MessageView) -> dict:
    """What SlackMessenger.post must send for `message` to the user `to`: exactly this."""
    return {"channel": to, **render.message(message)}


def slack_client(url: str):
    """The client exactly as production builds it (default retry handlers and all)."""
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=url)  # type: ignore[call-arg]
    return build_client(settings)


@pytest.fixture
async def slack():
    async with WaitableSlackApi() as api:
        yield api


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
async def world(sessions, clock):
    return await seed(sessions, clock.now())


@pytest.fixture
def messenger(slack):
    return SlackMessenger(slack_client(slack.url))


@pytest.fixture
def dispatcher(sessions, clock, messenger):
    return Dispatcher(sessions, clock, {"slack": messenger})


# ---------------------------------------------------------------- the plain path


async def test_a_due_row_is_posted_once_as_a_dm_and_recorded_sent(
    world, sessions, clock, slack, dispatcher
):
    await put(
        sessions, "hello", world.manager_id, view(1), clock.now(), program_id=world.program_id
    )

    assert await dispatcher.run_once() == 1

    [call] = slack.calls_to("chat.postMessage")
    assert call.args == posted("UMAYA", view(1))
    assert call.token == "xoxb-test"
    sent = await row(sessions, "hello")
    assert sent.status == OutboxStatus.SENT
    assert sent.sent_ref == {"channel": "DUMAYA", "ts": "1700000000.000100"}
    assert sent.platform == "slack"
    assert aware(sent.sent_at) == clock.now()
    assert (sent.attempts, sent.claimed_until, sent.last_error) == (1, None, None)
    clock.advance(3600)
    assert await dispatcher.run_once() == 0
    assert len(slack.calls) == 1


# ---------------------------------------------------------------- 429


async def test_rate_limited_row_waits_for_retry_after_and_the_others_still_go(
    world, sessions, clock, slack, dispatcher
):
    start = clock.now()
    people = {"manager": world.manager_id, "mentor": world.mentor_id, "mentee": world.mentee_id}
    for who, person_id in people.items():
        await put(sessions, f"hello:{who}", person_id, view(who), start)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    assert await dispatcher.run_once() == 3

    rows = await all_rows(sessions)
    limited = [r for r in rows if r.status == OutboxStatus.PENDING]
    assert len(limited) == 1, [(r.dedupe_key, r.status) for r in rows]
    waiting = limited[0]
    assert aware(waiting.next_attempt_at) == start + timedelta(seconds=7)
    assert waiting.last_error == "rate limited; retry after 7s"
    assert (waiting.attempts, waiting.claimed_until) == (1, None)
    # The other two were delivered in the same round, not held up by the 429.
    delivered = [r for r in rows if r is not waiting]
    assert [r.status for r in delivered] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert sorted(c.args["channel"] for c in slack.calls_to("chat.postMessage")) == sorted(
        SLACK_ID.values()
    )
    limited_to = SLACK_ID[waiting.dedupe_key.split(":")[1]]

    clock.advance(6)
    assert await dispatcher.run_once() == 0  # before Retry-After: not retried
    clock.advance(0.999)
    assert await dispatcher.run_once() == 0
    assert len(slack.calls) == 3

    clock.advance(0.001)
    assert await dispatcher.run_once() == 1
    retried = await row(sessions, waiting.dedupe_key)
    assert retried.status == OutboxStatus.SENT
    assert (retried.attempts, retried.last_error) == (2, None)
    assert aware(retried.sent_at) == start + timedelta(seconds=7)
    # One 429'd call and one delivered call to that person; one each to the others.
    assert [c.args for c in slack.posts_to(limited_to)] == [
        posted(limited_to, MessageView.from_json(waiting.view))
    ] * 2
    clock.advance(3600)
    assert await dispatcher.run_once() == 0
    assert len(slack.calls_to("chat.postMessage")) == 4


# ---------------------------------------------------------------- 5xx


async def test_a_5xx_backs_off_then_the_row_is_delivered(world, sessions, clock, slack, dispatcher):
    start = clock.now()
    await put(sessions, "hello", world.manager_id, view(1), start)
    slack.fail_next("chat.postMessage", status=500)

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "hello")
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.last_error == "slack answered 500"
    assert (
        aware(waiting.next_attempt_at) == start + Backoff().delay(1) == start + timedelta(seconds=2)
    )
    clock.advance(1.999)
    assert await dispatcher.run_once() == 0
    clock.advance(0.001)
    assert await dispatcher.run_once() == 1
    sent = await row(sessions, "hello")
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 2, None)
    assert [c.args for c in slack.posts_to("UMAYA")] == [posted("UMAYA", view(1))] * 2
    assert await dispatcher.run_once() == 0


async def test_repeated_5xx_back_off_exponentially_to_the_ceiling_and_never_give_up(
    world, sessions, clock, slack, dispatcher
):
    await put(sessions, "hello", world.manager_id, view(1), clock.now())
    expected = [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    slack.fail_next("chat.postMessage", status=503, times=len(expected))

    for attempt, seconds in enumerate(expected, start=1):
        assert await dispatcher.run_once() == 1
        waiting = await row(sessions, "hello")
        assert waiting.status == OutboxStatus.PENDING, attempt
        assert waiting.attempts == attempt
        assert waiting.last_error == "slack answered 503"
        assert Backoff().delay(attempt) == timedelta(seconds=seconds)
        assert aware(waiting.next_attempt_at) == clock.now() + timedelta(seconds=seconds)
        clock.advance(seconds - 0.5)
        assert await dispatcher.run_once() == 0  # not before its time
        clock.advance(0.5)

    assert await dispatcher.run_once() == 1
    sent = await row(sessions, "hello")
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, len(expected) + 1)
    assert len(slack.posts_to("UMAYA")) == len(expected) + 1


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (503, "upstream connect error or disconnect/reset", "text/plain", "slack answered 503"),
        (502, "<html><body>502 Bad Gateway</body></html>", "text/html", "slack answered 502"),
        (500, '{"ok": false, "err', "application/json", "slack answered 500"),
    ],
)
async def test_a_5xx_that_is_not_slack_json_is_temporary_too(
    status, body, content_type, error, world, sessions, clock, slack, dispatcher
):
    """What a proxy or load balancer in front of Slack answers."""
    await put(sessions, "hello", world.manager_id, view(1), clock.now())
    slack.answer_next("chat.postMessage", status=status, body=body, content_type=content_type)

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "hello")
    assert (waiting.status, waiting.last_error) == (OutboxStatus.PENDING, error)
    assert aware(waiting.next_attempt_at) == clock.now() + timedelta(seconds=2)
    clock.advance(2)
    assert await dispatcher.run_once() == 1
    assert (await row(sessions, "hello")).status == OutboxStatus.SENT
    assert [c.args for c in slack.calls] == [posted("UMAYA", view(1))] * 2


async def test_a_plain_text_429_still_waits_for_retry_after(
    world, sessions, clock, slack, dispatcher
):
    await put(sessions, "hello", world.manager_id, view(1), clock.now())
    slack.answer_next(
        "chat.postMessage", status=429, body="slow down", headers={"Retry-After": "7"}
    )

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "hello")
    assert waiting.last_error == "rate limited; retry after 7s"
    assert aware(waiting.next_attempt_at) == clock.now() + timedelta(seconds=7)


# ---------------------------------------------------------------- permanent errors


@pytest.mark.parametrize("code", ["user_not_found", "channel_not_found", "user_disabled"])
async def test_a_permanent_error_fails_the_row_for_good_and_managers_see_it_in_status(
    code, world, sessions, clock, slack, dispatcher
):
    await put(
        sessions, "welcome", world.mentee_id, view("welcome"), clock.now(),
        program_id=world.program_id,
    )  # fmt: skip
    slack.fail_next("chat.postMessage", error=code)

    assert await dispatcher.run_once() == 1

    failed = await row(sessions, "welcome")
    assert (failed.status, failed.last_error, failed.attempts) == (OutboxStatus.FAILED, code, 1)
    assert failed.claimed_until is None and failed.sent_at is None
    for _ in range(3):
        clock.advance(24 * 3600)
        assert await dispatcher.run_once() == 0  # never retried
    assert len(slack.calls) == 1

    deps = Deps(sessions=sessions, clock=clock)
    answer = await handle_text(deps, Caller("slack", "UMAYA", "T0001"), "status")
    assert answer is not None
    assert {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"*Messages that could not be delivered: 1*\n• to <@USAM>: {code}",
        },
    } in render.blocks(answer)


# ---------------------------------------------------------------- connection errors


async def test_connection_refused_is_temporary_and_the_row_is_retried(
    world, sessions, clock, slack, messenger
):
    start = clock.now()
    messengers = {"slack": SlackMessenger(slack_client(f"http://127.0.0.1:{closed_port()}/api/"))}
    dispatcher = Dispatcher(sessions, clock, messengers)
    await put(sessions, "hello", world.manager_id, view(1), start)

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "hello")
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.last_error == "connection failed: ClientConnectorError"
    assert aware(waiting.next_attempt_at) == start + timedelta(seconds=2)
    assert waiting.claimed_until is None

    messengers["slack"] = messenger  # Slack is reachable again
    assert await dispatcher.run_once() == 0  # still backing off
    clock.advance(2)
    assert await dispatcher.run_once() == 1
    sent = await row(sessions, "hello")
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 2, None)
    assert [c.args for c in slack.calls] == [posted("UMAYA", view(1))]


# ---------------------------------------------------------------- dedupe


async def test_the_same_dedupe_key_twice_is_one_row_and_one_send(
    world, sessions, clock, slack, dispatcher
):
    async with transaction(sessions) as session:
        first = await outbox.enqueue(
            session, key="k", recipient_id=world.manager_id, view=view(1).to_json(),
            now=clock.now(),
        )  # fmt: skip
    async with transaction(sessions) as session:
        second = await outbox.enqueue(
            session, key="k", recipient_id=world.manager_id, view=view(2).to_json(),
            now=clock.now(),
        )  # fmt: skip
    assert (first, second) == (True, False)
    assert len(await all_rows(sessions)) == 1

    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0
    assert [c.args for c in slack.calls] == [posted("UMAYA", view(1))]


# ---------------------------------------------------------------- updates


async def test_an_update_edits_the_original_message_in_place(
    world, sessions, clock, slack, dispatcher
):
    original = await put(sessions, "o", world.manager_id, view("first"), clock.now())
    assert await dispatcher.run_once() == 1
    ref = (await row(sessions, "o")).sent_ref
    assert ref == {"channel": "DUMAYA", "ts": "1700000000.000100"}

    clock.advance(60)
    await put(sessions, "u", world.manager_id, view("second"), clock.now(), replaces_id=original)
    assert await dispatcher.run_once() == 1

    [update] = slack.calls_to("chat.update")
    assert update.args == {"channel": "DUMAYA", "ts": "1700000000.000100"} | render.message(
        view("second")
    )
    assert len(slack.calls_to("chat.postMessage")) == 1  # no new message
    updated = await row(sessions, "u")
    assert updated.status == OutboxStatus.SENT
    assert updated.sent_ref == ref
    assert await dispatcher.run_once() == 0


async def test_an_update_waits_until_its_original_is_sent(world, sessions, clock, slack, messenger):
    start = clock.now()
    # One at a time, in claim order (due time, then id): which row goes first is fixed.
    dispatcher = Dispatcher(sessions, clock, {"slack": messenger}, concurrency=1)
    original = await put(sessions, "o", world.manager_id, view("first"), start)
    await put(sessions, "u", world.manager_id, view("second"), start, replaces_id=original)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    assert await dispatcher.run_once() == 2  # the original is rate limited, the update waits
    update = await row(sessions, "u")
    assert update.status == OutboxStatus.PENDING
    assert aware(update.next_attempt_at) == start + timedelta(seconds=1)
    clock.advance(1)
    assert await dispatcher.run_once() == 1  # only the update is due: it waits again
    assert slack.calls_to("chat.update") == []

    clock.advance(6)  # t+7: the update (due since t+2) is claimed before the original
    assert await dispatcher.run_once() == 2
    assert slack.calls_to("chat.update") == []
    assert (await row(sessions, "o")).status == OutboxStatus.SENT

    clock.advance(1)
    assert await dispatcher.run_once() == 1
    [call] = slack.calls_to("chat.update")
    assert call.args == {"channel": "DUMAYA", "ts": "1700000000.000100"} | render.message(
        view("second")
    )
    assert (await row(sessions, "u")).status == OutboxStatus.SENT
    assert [c.args for c in slack.posts_to("UMAYA")] == [posted("UMAYA", view("first"))] * 2


async def test_a_newer_update_supersedes_an_older_pending_one(
    world, sessions, clock, slack, dispatcher
):
    original = await put(sessions, "o", world.manager_id, view("first"), clock.now())
    assert await dispatcher.run_once() == 1
    await put(sessions, "u1", world.manager_id, view("second"), clock.now(), replaces_id=original)
    async with transaction(sessions) as session:
        await outbox.supersede_pending_updates(session, original)
        await outbox.enqueue(
            session, key="u2", recipient_id=world.manager_id, view=view("third").to_json(),
            now=clock.now(), replaces_id=original,
        )  # fmt: skip

    assert await dispatcher.run_once() == 1

    [call] = slack.calls_to("chat.update")
    assert call.args == {"channel": "DUMAYA", "ts": "1700000000.000100"} | render.message(
        view("third")
    )
    older = await row(sessions, "u1")
    assert (older.status, older.attempts) == (outbox.SUPERSEDED, 0)
    assert (await row(sessions, "u2")).status == OutboxStatus.SENT
    clock.advance(3600)
    assert await dispatcher.run_once() == 0


async def test_acknowledge_then_resolve_before_a_round_sends_only_the_resolved_view(
    world, sessions, clock, slack, dispatcher
):
    deps = Deps(sessions=sessions, clock=clock)
    mentor, manager = Caller("slack", "UOMAR", "T0001"), Caller("slack", "UMAYA", "T0001")
    await handle_text(deps, mentor, 'concern missed-meeting "Sam missed two meetings"')
    assert await dispatcher.run_once() == 1
    [dm] = await all_rows(sessions)
    async with sessions() as session:
        [concern] = (await session.exec(select(Concern))).all()

    await handle_action(deps, manager, "concern.acknowledge", str(concern.id))
    await handle_action(deps, manager, "concern.resolve", str(concern.id))
    assert await dispatcher.run_once() == 1

    rows = {r.dedupe_key: r for r in await all_rows(sessions)}
    acknowledged = rows[f"concern:{concern.id}:acknowledged:update:{world.manager_id}"]
    resolved = rows[f"concern:{concern.id}:resolved:update:{world.manager_id}"]
    assert acknowledged.status == outbox.SUPERSEDED
    assert resolved.status == OutboxStatus.SENT
    [call] = slack.calls_to("chat.update")
    assert call.args == dict(dm.sent_ref) | render.message(MessageView.from_json(resolved.view))


# ---------------------------------------------------------------- unreachable people


@pytest.mark.parametrize(
    ("teams", "reason"),
    [
        ("29:teams-only", "not reachable on a connected platform (known on: teams)"),
        (None, "not reachable on a connected platform (known on: none)"),
    ],
)
async def test_a_person_with_no_identity_on_a_connected_platform_fails_with_the_reason(
    teams, reason, world, sessions, clock, slack, dispatcher
):
    async with transaction(sessions) as session:
        person = await add_person(session, "Tess", "tess@example.com", clock.now(), teams=teams)
    await put(sessions, "hi", person, view(1), clock.now(), program_id=world.program_id)

    assert await dispatcher.run_once() == 1

    failed = await row(sessions, "hi")
    assert (failed.status, failed.last_error) == (OutboxStatus.FAILED, reason)
    assert slack.calls == []
    clock.advance(3600)
    assert await dispatcher.run_once() == 0


# ---------------------------------------------------------------- the wake-up


async def test_a_committed_concern_wakes_the_dispatcher_without_any_sweep(
    engine, world, clock, slack, messenger
):
    runtime = build_runtime(Settings(_env_file=None), engine, {"slack": messenger}, clock=clock)  # type: ignore[call-arg]
    dispatcher = runtime.dispatcher
    dispatcher.idle_wait = 3600  # no sweep or idle timeout will come to the rescue
    running = asyncio.create_task(dispatcher.run_forever())
    try:
        answer = await handle_text(
            runtime.deps,
            Caller("slack", "UOMAR", "T0001"),
            'concern missed-meeting "Sam missed our last two meetings"',
        )
        assert answer is not None and answer.notification == "Your concern was recorded."

        await slack.wait_for(lambda: len(slack.posts_to("UMAYA")) == 1, timeout=5)

        [dm] = await all_rows(runtime.deps.sessions)
        [call] = slack.calls
        assert call.args == posted("UMAYA", MessageView.from_json(dm.view))
        assert "Sam missed our last two meetings" in str(call.args["blocks"])
    finally:
        await dispatcher.stop()
        await asyncio.wait_for(running, 5)
    assert running.result() is None
