"""The dispatcher with the real SlackMessenger and the real AsyncWebClient, over HTTP to the
fake Slack: what happens to each outbox row on each of Slack's answers. Time is a FakeClock;
each round is one `await dispatcher.run_once()`."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy
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
from bot.slack.errors import RECIPIENT_UNREACHABLE
from bot.slack.messenger import SlackMessenger
from handlers.context import Caller, Deps
from handlers.ports import Address
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


def posted(to: str, message: MessageView, row: int) -> dict:
    """What SlackMessenger.post must send for outbox row `row`'s `message` to the user
    `to`: exactly this, the row's id in the message's metadata."""
    metadata = {"event_type": "mentorbot_outbox", "event_payload": {"row": row}}
    return {"channel": to, "metadata": metadata, **render.message(message)}


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
    hello = await put(
        sessions, "hello", world.manager_id, view(1), clock.now(), program_id=world.program_id
    )

    assert await dispatcher.run_once() == 1

    [call] = slack.calls_to("chat.postMessage")
    assert call.args == posted("UMAYA", view(1), hello)
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
        posted(limited_to, MessageView.from_json(waiting.view), waiting.id)
    ] * 2
    clock.advance(3600)
    assert await dispatcher.run_once() == 0
    assert len(slack.calls_to("chat.postMessage")) == 4


# ---------------------------------------------------------------- 5xx


async def test_a_5xx_backs_off_then_the_row_is_delivered(world, sessions, clock, slack, dispatcher):
    start = clock.now()
    hello = await put(sessions, "hello", world.manager_id, view(1), start)
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
    assert [c.args for c in slack.posts_to("UMAYA")] == [posted("UMAYA", view(1), hello)] * 2
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
    hello = await put(sessions, "hello", world.manager_id, view(1), clock.now())
    slack.answer_next("chat.postMessage", status=status, body=body, content_type=content_type)

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "hello")
    assert (waiting.status, waiting.last_error) == (OutboxStatus.PENDING, error)
    assert aware(waiting.next_attempt_at) == clock.now() + timedelta(seconds=2)
    clock.advance(2)
    assert await dispatcher.run_once() == 1
    assert (await row(sessions, "hello")).status == OutboxStatus.SENT
    assert [c.args for c in slack.calls] == [posted("UMAYA", view(1), hello)] * 2


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
    reason = f"{RECIPIENT_UNREACHABLE[code]} ({code})"
    assert (failed.status, failed.last_error, failed.attempts) == (OutboxStatus.FAILED, reason, 1)
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
            "text": "*Messages that could not be delivered: 1*\n"
            f"• message to <@USAM>: {RECIPIENT_UNREACHABLE[code]} ({code})",
        },
    } in render.blocks(answer)


# ---------------------------------------------------------------- connection errors


async def test_connection_refused_is_temporary_and_the_row_is_retried(
    world, sessions, clock, slack, messenger
):
    start = clock.now()
    messengers = {"slack": SlackMessenger(slack_client(f"http://127.0.0.1:{closed_port()}/api/"))}
    dispatcher = Dispatcher(sessions, clock, messengers)
    hello = await put(sessions, "hello", world.manager_id, view(1), start)

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
    # Nothing reached Slack the first time: no look at the DM's history before the retry.
    assert [c.args for c in slack.calls] == [posted("UMAYA", view(1), hello)]


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
    assert [c.args for c in slack.calls] == [
        posted("UMAYA", view(1), (await row(sessions, "k")).id)
    ]


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
    slack.fail_next("chat.postMessage", status=500)

    assert await dispatcher.run_once() == 2  # the original backs off 2 s, the update waits
    update = await row(sessions, "u")
    assert (update.status, update.attempts) == (OutboxStatus.PENDING, 0)  # a wait, not a try
    assert aware(update.next_attempt_at) == start + timedelta(seconds=1)
    clock.advance(1)
    assert await dispatcher.run_once() == 1  # only the update is due: it waits again
    assert slack.calls_to("chat.update") == []
    assert aware((await row(sessions, "u")).next_attempt_at) == start + timedelta(seconds=2)

    clock.advance(1)  # t+2: both due; the original (lower id) goes first, then the update
    assert await dispatcher.run_once() == 2
    assert (await row(sessions, "o")).status == OutboxStatus.SENT
    [call] = slack.calls_to("chat.update")
    assert call.args == {"channel": "DUMAYA", "ts": "1700000000.000100"} | render.message(
        view("second")
    )
    updated = await row(sessions, "u")
    assert (updated.status, updated.attempts) == (OutboxStatus.SENT, 1)
    assert [c.args for c in slack.posts_to("UMAYA")] == [
        posted("UMAYA", view("first"), original)
    ] * 2
    assert await dispatcher.run_once() == 0


async def test_waiting_for_the_original_never_counts_as_an_attempt_nor_inflates_backoff(
    world, sessions, clock, slack, messenger
):
    """Each 1 s wait used to count as an attempt, so an update that waited out its
    original's outage then backed off as if it had failed a dozen times itself."""
    start = clock.now()
    dispatcher = Dispatcher(sessions, clock, {"slack": messenger}, concurrency=1)
    original = await put(sessions, "o", world.manager_id, view("first"), start)
    await put(sessions, "u", world.manager_id, view("second"), start, replaces_id=original)
    slack.fail_next("chat.postMessage", status=503, times=3)  # tries at t+0, t+2, t+6
    slack.fail_next("chat.update", status=500)  # the update's own first try fails

    for second in range(14):  # t+0 … t+13: the original backs off, the update waits
        await dispatcher.run_once()
        waiting = await row(sessions, "u")
        assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 0), second
        clock.advance(1)
    assert await dispatcher.run_once() == 2  # t+14: the original is sent, then the update tried

    assert (await row(sessions, "o")).status == OutboxStatus.SENT
    tried = await row(sessions, "u")
    assert (tried.attempts, tried.last_error) == (1, "slack answered 500")
    assert aware(tried.next_attempt_at) == start + timedelta(seconds=14) + Backoff().delay(1)
    clock.advance(Backoff().delay(1).total_seconds())
    assert await dispatcher.run_once() == 1
    assert (await row(sessions, "u")).status == OutboxStatus.SENT
    assert len(slack.calls_to("chat.update")) == 2


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
    assert await dispatcher.run_once() == 3  # the update, and the reporter told of each step

    rows = {r.dedupe_key: r for r in await all_rows(sessions)}
    acknowledged = rows[f"concern:{concern.id}:acknowledged:update:{world.manager_id}"]
    resolved = rows[f"concern:{concern.id}:resolved:update:{world.manager_id}"]
    assert acknowledged.status == outbox.SUPERSEDED
    assert resolved.status == OutboxStatus.SENT
    [call] = slack.calls_to("chat.update")
    assert call.args == dict(dm.sent_ref) | render.message(MessageView.from_json(resolved.view))
    to_reporter = {c.args["text"] for c in slack.calls_to("chat.postMessage")[1:]}  # side by side
    assert to_reporter == {"Your concern was acknowledged.", "Your concern was resolved."}


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
        assert call.args == posted("UMAYA", MessageView.from_json(dm.view), dm.id)
        assert "Sam missed our last two meetings" in str(call.args["blocks"])
    finally:
        await dispatcher.stop()
        await asyncio.wait_for(running, 5)
    assert running.result() is None


# ---------------------------------------------------------------- leases: two replicas


class Recording:
    """A messenger that records (who sent, what) and can act while a send is under way
    (`during`, awaited at the start of each post: a slow platform, another replica...)."""

    def __init__(self, name: str, sent: list, platform: str = "slack", during=None) -> None:
        self.name, self.sent, self.platform, self.during = name, sent, platform, during
        self.posts = 0
        self.looked_for: list[int] = []

    async def post(self, to, message: MessageView, *, outbox_id=None) -> dict:
        self.posts += 1
        if self.during is not None:
            await self.during(self.posts)
        self.sent.append((self.name, message.notification))
        return {"channel": f"D{to.external_id}", "ts": f"{self.name}.{len(self.sent)}"}

    async def update(self, ref, message: MessageView) -> dict:
        raise AssertionError("no updates here")

    async def find_sent(self, to, outbox_id, since) -> None:
        self.looked_for.append(outbox_id)  # a platform that cannot tell (as Teams)


async def put_many(sessions, world, clock, count: int) -> list[str]:
    for n in range(count):
        await put(sessions, f"m{n}", world.manager_id, view(n), clock.now())
    return [f"Message {n}" for n in range(count)]


async def test_a_slow_platform_never_lets_a_claimed_row_outlive_its_lease(world, sessions, clock):
    """Replica A sends one message at a time to a platform that takes 61 s per message;
    replica B starts meanwhile. A used to claim a whole batch (50 rows) at once, so the later
    rows of its batch outlived their 2-minute lease: B claimed and sent them, and A, unaware,
    went on to send them too."""
    expected = await put_many(sessions, world, clock, 6)
    sent: list[tuple[str, str]] = []
    b = Dispatcher(sessions, clock, {"slack": Recording("B", sent)})

    async def slow(post: int) -> None:
        clock.advance(61)
        if post == 3:  # A's first claim is 183 s old: B runs, and takes what is free
            assert await b.run_once() == 3

    a = Dispatcher(sessions, clock, {"slack": Recording("A", sent, during=slow)}, concurrency=1)
    assert await a.run_once() == 3
    assert await a.run_once() == 0

    assert sorted(message for _, message in sent) == expected  # each once, none lost
    assert sorted(sent) == [("A", m) for m in expected[:3]] + [("B", m) for m in expected[3:]]
    rows = await all_rows(sessions)
    assert {(r.status, r.attempts, r.claimed_until) for r in rows} == {("sent", 1, None)}


def stalling(sessions, stall):
    """`sessions` whose first session, once closed (its transaction committed), runs `stall`:
    the process is held up between claiming a row and sending it."""
    pending = [stall]

    @contextlib.asynccontextmanager
    async def session():
        async with sessions() as opened:
            yield opened
        if pending:
            await pending.pop()()

    return session


async def test_a_row_whose_lease_ran_out_before_its_turn_is_not_sent(world, sessions, clock):
    """A is held up for longer than the lease between claiming a row and sending it; B claims
    the row meanwhile and sends it. A used to send it anyway."""
    await put_many(sessions, world, clock, 1)
    sent: list[tuple[str, str]] = []
    b = Dispatcher(sessions, clock, {"slack": Recording("B", sent)})

    async def held_up() -> None:
        clock.advance(121)
        assert await b.run_once() == 1

    a = Dispatcher(stalling(sessions, held_up), clock, {"slack": Recording("A", sent)})
    assert await a.run_once() == 1

    assert sent == [("B", "Message 0")]
    [taken_over] = await all_rows(sessions)
    assert taken_over.sent_ref == {"channel": "DUMAYA", "ts": "B.1"}
    assert (taken_over.status, taken_over.attempts, taken_over.claimed_until) == ("sent", 2, None)


async def test_a_row_held_up_past_its_lease_goes_back_untried_if_nobody_took_it(
    world, sessions, clock
):
    await put_many(sessions, world, clock, 1)
    sent: list[tuple[str, str]] = []

    async def held_up() -> None:
        clock.advance(121)

    a = Dispatcher(stalling(sessions, held_up), clock, {"slack": Recording("A", sent)})
    assert await a.run_once() == 1

    assert sent == []
    [message] = await all_rows(sessions)
    assert (message.status, message.attempts, message.claimed_until) == ("pending", 0, None)
    assert aware(message.next_attempt_at) == clock.now()  # put back due at once
    assert await a.run_once() == 1
    assert sent == [("A", "Message 0")]
    [message] = await all_rows(sessions)
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)  # the stall was no try


async def test_a_stale_dispatcher_never_overwrites_the_result_of_the_one_that_took_over(
    world, sessions, clock
):
    await put_many(sessions, world, clock, 1)
    sent: list[tuple[str, str]] = []
    b = Dispatcher(sessions, clock, {"slack": Recording("B", sent)})

    async def hang_past_the_lease(post: int) -> None:
        clock.advance(121)
        assert await b.run_once() == 1  # the lease is over: B takes the row and sends it

    a = Dispatcher(sessions, clock, {"slack": Recording("A", sent, during=hang_past_the_lease)})
    assert await a.run_once() == 1

    [taken_over] = await all_rows(sessions)
    assert taken_over.sent_ref == {"channel": "DUMAYA", "ts": "B.1"}  # B's result stands
    assert (taken_over.status, taken_over.attempts, taken_over.claimed_until) == ("sent", 2, None)
    # A's send was already under way when its lease ran out, so it went too: at least once.
    assert sent == [("B", "Message 0"), ("A", "Message 0")]


# ---------------------------------------------------------------- 429 pauses a platform


async def test_a_429_pauses_the_whole_platform_and_rows_put_back_are_not_attempts(
    world, sessions, clock, slack, messenger
):
    """A check-in round used to meet the 429 once per row: each row was tried, refused and
    retried on its own. Now the first 429 pauses Slack for Retry-After; other platforms go on."""
    start = clock.now()
    teams_sent: list[tuple[str, str]] = []
    messengers = {"slack": messenger, "teams": Recording("teams", teams_sent, platform="teams")}
    dispatcher = Dispatcher(sessions, clock, messengers, concurrency=1)  # claim order fixed
    async with transaction(sessions) as session:
        tess = await add_person(session, "Tess", "tess@example.com", start, teams="29:tess")
    for key, person in [("a", world.manager_id), ("b", world.mentor_id), ("c", world.mentee_id)]:
        await put(sessions, key, person, view(key), start)
    await put(sessions, "t", tess, view("t"), start)
    slack.fail_next("chat.postMessage", status=429, retry_after=30)

    assert await dispatcher.run_once() == 4

    assert len(slack.calls_to("chat.postMessage")) == 1  # b and c never reached Slack
    assert teams_sent == [("teams", "Message t")]
    a, b, c, t = await all_rows(sessions)
    assert (a.attempts, a.last_error) == (1, "rate limited; retry after 30s")
    assert (b.attempts, c.attempts) == (0, 0)
    for waiting in (a, b, c):
        assert (waiting.status, waiting.claimed_until) == ("pending", None)
        assert aware(waiting.next_attempt_at) == start + timedelta(seconds=30)
    assert t.status == OutboxStatus.SENT

    await put(sessions, "fresh", world.manager_id, view("fresh"), clock.now())
    dispatcher.messengers = {"slack": messenger}  # only Slack left, and it is paused:
    assert await dispatcher.run_once() == 0  # nothing is even claimed
    clock.advance(29.999)
    assert await dispatcher.run_once() == 0
    assert len(slack.calls) == 1

    clock.advance(0.001)
    assert await dispatcher.run_once() == 4
    rows = {r.dedupe_key: r for r in await all_rows(sessions)}
    assert {k: (r.status, r.attempts) for k, r in rows.items() if k != "t"} == {
        "fresh": ("sent", 1), "a": ("sent", 2), "b": ("sent", 1), "c": ("sent", 1),
    }  # fmt: skip
    assert len(slack.calls_to("chat.postMessage")) == 5


async def test_a_paused_dispatcher_sleeps_until_the_pause_ends_not_in_a_busy_loop(
    world, sessions, clock, slack, messenger
):
    dispatcher = Dispatcher(sessions, clock, {"slack": messenger}, concurrency=1)
    for n in range(2):
        await put(sessions, f"m{n}", world.manager_id, view(n), clock.now())
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    assert await dispatcher.run_once() == 1  # the 429 stops the round: the other row waits

    start = clock.now()
    assert await dispatcher._next_due() == start + timedelta(seconds=30)  # not m1's due time
    clock.advance(30)
    assert await dispatcher._next_due() == start  # m1, due all along, and Slack is free again


# ---------------------------------------------------------------- cost per row


async def test_a_round_looks_up_addresses_once_per_claim_and_shares_commits(
    engine, sessions, clock
):
    """Each row used to cost a session to find its recipient and a transaction to record
    its outcome. Now one query finds every claimed row's recipient, and outcomes that
    finish together are written in one transaction."""
    async with transaction(sessions) as session:
        people = [
            await add_person(session, f"P{n}", f"p{n}@example.com", clock.now(), slack=f"UP{n}")
            for n in range(8)
        ]
    for n, person in enumerate(people):
        await put(sessions, f"m{n}", person, view(n), clock.now())
    statements: list[str] = []
    transactions: list[list[str]] = [[]]  # the statements of each, the last one open
    listen = sqlalchemy.event.listen
    listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    listen(engine.sync_engine, "before_cursor_execute", lambda *a: transactions[-1].append(a[2]))
    listen(engine.sync_engine, "commit", lambda *a: transactions.append([]))
    sent: list[tuple[str, str]] = []

    dispatcher = Dispatcher(sessions, clock, {"slack": Recording("A", sent)}, concurrency=8)
    assert await dispatcher.run_once() == 8

    assert len(sent) == 8
    lookups = [s for s in statements if "FROM identity" in s]
    assert len(lookups) == 1, lookups
    written = [s for s in statements if "SET status" in s]
    assert len(written) == 8
    # The eight sends finished together: their outcomes share one transaction.
    writes = [t for t in transactions if any("SET status" in s for s in t)]
    assert len(writes) == 1, writes
    assert {r.status for r in await all_rows(sessions)} == {OutboxStatus.SENT}


# ---------------------------------------------------------------- a database outage


async def test_a_database_outage_delays_the_dispatcher_but_never_stops_it(world, sessions, clock):
    """The loop used to survive a failed round but not the look at when the next row is
    due, so an outage ended the dispatcher for good, until a restart."""
    failed = asyncio.Event()
    down = True

    def flaky():
        if down:
            failed.set()
            raise ConnectionError("database unreachable")
        return sessions()

    sent: list[tuple[str, str]] = []
    delivered = asyncio.Event()

    async def note(post: int) -> None:
        delivered.set()

    dispatcher = Dispatcher(
        flaky, clock, {"slack": Recording("A", sent, during=note)}, idle_wait=3600
    )
    running = asyncio.create_task(dispatcher.run_forever())
    try:
        await asyncio.wait_for(failed.wait(), 5)
        await asyncio.sleep(0)  # the failed round has gone to sleep (or, before, crashed)
        assert not running.done()
        down = False
        await put(sessions, "after", world.manager_id, view("after"), clock.now())
        dispatcher.wake()  # as the handler that queued it does
        await asyncio.wait_for(delivered.wait(), 5)
    finally:
        await dispatcher.stop()
        await asyncio.wait_for(running, 5)
    assert sent == [("A", "Message after")]


async def test_a_shared_http_session_sends_every_dm_over_one_connection(slack) -> None:
    """serve() hands build_client one aiohttp session: without it slack_sdk opens (and
    handshakes) a new connection for every message of a 10,000-pair round."""
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)  # type: ignore[call-arg]
    async with aiohttp.ClientSession() as http:
        messenger = SlackMessenger(build_client(settings, http))
        for n in range(3):
            await messenger.post(Address("slack", "U1", "T1", {}), view(n))
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["U1"] * 3
    assert len(set(slack.peers)) == 1
    unshared = SlackMessenger(build_client(settings))
    for n in range(2):
        await unshared.post(Address("slack", "U1", "T1", {}), view(n))
    assert len(set(slack.peers)) == 3  # the point of sharing: one connection per call otherwise


async def test_an_urgent_row_is_claimed_before_a_backlog_of_routine_ones(
    world, sessions, clock, slack, messenger
):
    """A concern raised during a big round of routine messages goes out next, not last."""
    start = clock.now()
    for n in range(6):
        await put(sessions, f"routine:{n}", world.mentee_id, view(n), start)
    clock.advance(30)  # the urgent row is newer than every routine one
    await put(sessions, "concern", world.manager_id, view("c"), clock.now(), priority=outbox.URGENT)
    dispatcher = Dispatcher(sessions, clock, {"slack": messenger}, concurrency=1, batch=2)

    assert await dispatcher.run_once() == 2
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["UMAYA", "USAM"]


# ---------------------------------------------------------------- answers to a response_url


async def test_a_row_with_reply_to_is_posted_to_its_response_url_not_as_a_dm(
    world, sessions, clock, slack, dispatcher
):
    reply_to = {"platform": "slack", "response_url": slack.response_url("r1")}
    await put(sessions, "answer:1", world.manager_id, view(1), clock.now(), reply_to=reply_to)
    assert await dispatcher.run_once() == 1
    assert slack.responses_to("r1") == [
        {"response_type": "ephemeral", "replace_original": False, **render.message(view(1))}
    ]
    assert slack.calls_to("chat.postMessage") == []
    sent = await row(sessions, "answer:1")
    assert (sent.status, sent.platform, sent.sent_ref) == (OutboxStatus.SENT, "slack", {})


async def test_a_rate_limited_response_url_waits_for_retry_after(
    world, sessions, clock, slack, dispatcher
):
    reply_to = {"platform": "slack", "response_url": slack.response_url("r1")}
    await put(sessions, "answer:1", world.manager_id, view(1), clock.now(), reply_to=reply_to)
    slack.fail_next_response(status=429, retry_after=7)
    assert await dispatcher.run_once() == 1
    waiting = await row(sessions, "answer:1")
    assert (waiting.status, waiting.last_error) == (
        OutboxStatus.PENDING,
        "rate limited; retry after 7s",
    )
    assert aware(waiting.next_attempt_at) == clock.now() + timedelta(seconds=7)
    clock.advance(7)
    assert await dispatcher.run_once() == 1
    assert len(slack.responses_to("r1")) == 1


async def test_a_reply_for_a_platform_not_connected_fails_with_the_reason(
    world, sessions, clock, slack, dispatcher
):
    reply_to = {"platform": "teams", "response_url": "https://example.invalid/"}
    await put(sessions, "answer:1", world.manager_id, view(1), clock.now(), reply_to=reply_to)
    assert await dispatcher.run_once() == 1
    failed = await row(sessions, "answer:1")
    assert (failed.status, failed.last_error) == (
        OutboxStatus.FAILED,
        "cannot reply on teams: not a connected platform",
    )
    assert slack.calls == [] and slack.responses == []
