"""Nothing sent twice through a crash, on Slack: each DM carries its outbox row's id in
Slack message metadata, and a row whose last send has no known outcome (the process died
after Slack accepted it; the send got no answer) is looked for in the DM's history before
it is sent again. The real SlackMessenger and client, over HTTP to the fake Slack, on
SQLite and (with TEST_DATABASE_URL) PostgreSQL. Time is a FakeClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes.delivery import WaitableSlackApi, aware, put, row, seed
from fakes.slack_api import outbox_metadata

from bot.settings import Settings
from bot.slack import render
from bot.slack.app import build_client
from bot.slack.messenger import SlackMessenger
from handlers.views import MessageView, section
from scheduler.dispatcher import Backoff, Dispatcher
from storage import outbox
from storage.db import session_factory, transaction
from storage.models import OutboxStatus

LEASE = timedelta(minutes=2)
DM = "DUMAYA"  # the fake's DM channel with Maya


class ProcessDied(Exception):
    """Stands for SIGKILL: nothing after it runs."""


class DiesBeforeRecording(Dispatcher):
    """Claims and sends, and dies before writing down what happened."""

    async def _step(self, finished, room):
        if finished:
            raise ProcessDied
        return await super()._step(finished, room)


class DiesBeforeSending(Dispatcher):
    """Claims, and dies before the send leaves the process."""

    async def _attempt(self, job):
        raise ProcessDied


def view(n: object) -> MessageView:
    return MessageView(notification=f"Message {n}", blocks=[section(f"Body {n}")])


@pytest.fixture
async def slack(clock):
    async with WaitableSlackApi(clock) as api:  # message timestamps on the test's clock
        yield api


@pytest.fixture
def sessions(any_engine):
    return session_factory(any_engine)


@pytest.fixture
async def world(sessions, clock):
    return await seed(sessions, clock.now())


@pytest.fixture
def messengers(slack):
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)  # type: ignore[call-arg]
    return {"slack": SlackMessenger(build_client(settings))}


def history_asked(since) -> dict:
    """conversations.history as the messenger asks it: Maya's DM, from ten minutes before
    the row was queued (Slack's clock and ours may differ), with metadata."""
    oldest = (since - timedelta(minutes=10)).timestamp()
    return {
        "channel": DM,
        "oldest": f"{oldest:.6f}",
        "limit": "200",
        "include_all_metadata": "1",
    }


async def test_a_dm_slack_accepted_before_the_process_died_is_found_not_sent_again(
    world, sessions, clock, slack, messengers
):
    queued = clock.now()
    dm = await put(sessions, "concern:1:manager", world.manager_id, view(1), queued)
    with pytest.raises(ProcessDied):
        await DiesBeforeRecording(sessions, clock, messengers).run_once()
    [accepted] = slack.calls_to("chat.postMessage")
    assert accepted.args == {
        "channel": "UMAYA",
        "metadata": outbox_metadata(dm),
        **render.message(view(1)),
    }
    ts = slack.history[DM][0]["ts"]
    left = await row(sessions, "concern:1:manager")
    assert (left.status, left.attempts, aware(left.claimed_until)) == ("pending", 1, queued + LEASE)

    restarted = Dispatcher(sessions, clock, messengers)
    clock.advance(LEASE.total_seconds() - 1)
    assert await restarted.run_once() == 0  # the dead process's lease still holds
    clock.advance(1)
    assert await restarted.run_once() == 1

    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "conversations.open",
        "conversations.history",
    ]
    assert slack.calls[1].args == {"users": "UMAYA"}
    assert slack.calls[2].args == history_asked(queued)
    sent = await row(sessions, "concern:1:manager")
    assert (sent.status, sent.sent_ref, sent.platform) == (
        "sent",
        {"channel": DM, "ts": ts},
        "slack",
    )
    assert (sent.attempts, sent.claimed_until, sent.last_error) == (2, None, None)
    clock.advance(3600)
    assert await restarted.run_once() == 0
    assert len(slack.calls_to("chat.postMessage")) == 1  # Maya has the DM once


async def test_a_row_whose_first_attempt_never_reached_slack_is_sent_once(
    world, sessions, clock, slack, messengers
):
    queued = clock.now()
    dm = await put(sessions, "concern:1:manager", world.manager_id, view(1), queued)
    with pytest.raises(ProcessDied):
        await DiesBeforeSending(sessions, clock, messengers).run_once()
    assert slack.calls == []

    clock.advance(LEASE.total_seconds())
    assert await Dispatcher(sessions, clock, messengers).run_once() == 1

    assert [c.method for c in slack.calls] == [
        "conversations.open",
        "conversations.history",
        "chat.postMessage",
    ]
    assert slack.calls[1].args == history_asked(queued)
    [post] = slack.calls_to("chat.postMessage")
    assert post.args == {
        "channel": "UMAYA",
        "metadata": outbox_metadata(dm),
        **render.message(view(1)),
    }
    sent = await row(sessions, "concern:1:manager")
    assert (sent.status, sent.sent_ref) == (
        "sent",
        {"channel": DM, "ts": slack.history[DM][0]["ts"]},
    )


async def test_on_restart_a_single_process_looks_at_once_for_what_it_was_sending(
    world, sessions, clock, slack, messengers
):
    """SQLite (one process): the next start frees the dead process's claims without
    waiting out the lease, and still looks before sending them again."""
    await put(sessions, "concern:1:manager", world.manager_id, view(1), clock.now())
    await put(sessions, "concern:1:mentor", world.mentor_id, view(2), clock.now())
    with pytest.raises(ProcessDied):
        await DiesBeforeRecording(sessions, clock, messengers, concurrency=1).run_once()
    async with transaction(sessions) as session:
        await outbox.release_all_claims(session)  # what bot.app does at start on SQLite

    assert await Dispatcher(sessions, clock, messengers).run_once() == 2

    assert sorted(c.args["channel"] for c in slack.calls_to("chat.postMessage")) == [
        "UMAYA",  # before it died
        "UOMAR",  # never claimed by the dead process: sent without looking
    ]
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == ["UMAYA"]
    for key in ["concern:1:manager", "concern:1:mentor"]:
        assert (await row(sessions, key)).status == OutboxStatus.SENT


async def test_a_dm_far_back_in_a_busy_conversation_is_found_on_a_later_page(
    world, sessions, clock, slack, messengers
):
    dm = await put(sessions, "concern:1:manager", world.manager_id, view(1), clock.now())
    with pytest.raises(ProcessDied):
        await DiesBeforeRecording(sessions, clock, messengers).run_once()
    ts = slack.history[DM][0]["ts"]
    for _ in range(250):  # Maya and others' messages since, in the same DM
        clock.advance(1)
        slack.history[DM].append({"type": "message", "ts": f"{clock.now().timestamp():.6f}"})

    clock.advance(LEASE.total_seconds())
    assert await Dispatcher(sessions, clock, messengers).run_once() == 1

    pages = slack.calls_to("conversations.history")
    assert [c.args.get("cursor") for c in pages] == [None, "200"]
    assert (await row(sessions, "concern:1:manager")).sent_ref == {"channel": DM, "ts": ts}
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.history[DM][0]["metadata"] == outbox_metadata(dm)


async def test_while_the_history_cannot_be_read_the_row_stays_in_doubt(
    world, sessions, clock, slack, messengers
):
    await put(sessions, "concern:1:manager", world.manager_id, view(1), clock.now())
    with pytest.raises(ProcessDied):
        await DiesBeforeRecording(sessions, clock, messengers).run_once()
    clock.advance(LEASE.total_seconds())
    slack.fail_next("conversations.history", status=503)
    dispatcher = Dispatcher(sessions, clock, messengers)

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "concern:1:manager")
    assert (waiting.status, waiting.last_error) == ("pending", "slack answered 503")
    assert aware(waiting.claimed_until) == outbox.UNKNOWN_OUTCOME  # still to be looked for
    clock.advance(Backoff().delay(2).total_seconds())
    assert await dispatcher.run_once() == 1
    assert (await row(sessions, "concern:1:manager")).status == OutboxStatus.SENT
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("conversations.history")) == 2


@pytest.mark.parametrize(
    "limits",
    [
        {"lease": timedelta(seconds=0.5)},  # the claim's time runs out first
        {"send_timeout": 0.3},  # the call's own limit, well inside the 2-minute claim
    ],
    ids=["claim", "send-timeout"],
)
async def test_a_send_that_got_no_answer_is_looked_for_before_it_is_sent_again(
    world, sessions, clock, slack, messengers, limits
):
    """Slack accepted the DM but its answer never came (here: it hangs until a limit of a
    fraction of a second is up). A hung call never holds its sending slot for long."""
    dispatcher = Dispatcher(sessions, clock, messengers, **limits)
    await put(sessions, "concern:1:manager", world.manager_id, view(1), clock.now())
    slack.accept_and_hang_next("chat.postMessage")

    assert await dispatcher.run_once() == 1

    waiting = await row(sessions, "concern:1:manager")
    assert (waiting.status, waiting.last_error) == ("pending", "no answer in time")
    assert aware(waiting.claimed_until) == outbox.UNKNOWN_OUTCOME
    clock.advance(Backoff().delay(1).total_seconds())
    assert await dispatcher.run_once() == 1
    sent = await row(sessions, "concern:1:manager")
    assert (sent.status, sent.sent_ref) == (
        "sent",
        {"channel": DM, "ts": slack.history[DM][0]["ts"]},
    )
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_a_dropped_connection_may_have_delivered_so_the_retry_looks_first(
    world, sessions, clock, slack, messengers
):
    """Only a send that may have arrived costs a look at the history: a refused connection
    sent nothing, and its retry just posts (test_dispatcher.py,
    test_connection_refused_is_temporary_and_the_row_is_retried)."""
    slack.dropping.add("chat.postMessage")  # the connection drops: it may have arrived
    dispatcher = Dispatcher(sessions, clock, messengers)
    await put(sessions, "dropped", world.manager_id, view(1), clock.now())
    assert await dispatcher.run_once() == 1
    assert aware((await row(sessions, "dropped")).claimed_until) == outbox.UNKNOWN_OUTCOME
    # slack_sdk, which repeats a call after a dropped connection, did not repeat the post.
    assert [c.method for c in slack.received] == ["chat.postMessage"]

    slack.dropping.clear()
    clock.advance(Backoff().delay(1).total_seconds())
    assert await dispatcher.run_once() == 1
    assert [c.method for c in slack.calls] == [
        "conversations.open",
        "conversations.history",
        "chat.postMessage",
    ]
