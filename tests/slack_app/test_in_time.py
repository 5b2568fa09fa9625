"""Slack's 3 seconds, whatever the load: a command's answer goes in the ack when it is
ready within the budget; otherwise the ack goes out empty and the same private answer
follows through the command's response_url, queued in the outbox in the transaction of the
command's effects: exactly once, never both, never neither. The tests set the budget to 0
(it runs out before the core starts) or hold the core on a directory that does not answer."""

from __future__ import annotations

import asyncio
import time

from fakes.slack_harness import (
    EVERYONE,
    SlackHarness,
    context,
    ephemeral,
    header,
    late,
    section,
)
from sqlmodel import select

from bot.slack.answering import ARRIVED, Answering
from handlers.deadline import Deadline
from storage.db import session_factory
from storage.models import Concern, Membership, OutboxMessage

RECEIPT = ephemeral(
    "Your concern was recorded.",
    [
        section(
            "Thank you. The program managers of Demo have been told. I will let you know when it "
            "is acknowledged and when it is resolved, and by whom. Your partner has not been told."
        ),
        context("To see where your concerns stand: `/mentoring concern status`"),
    ],
)
CONCERN = "concern missed-meeting Sam did not come"
URL = {"platform": "slack", "response_url": "http://127.0.0.1:9/response"}


async def _rows(slack: SlackHarness, model: type) -> list:
    async with session_factory(slack.runtime.engine)() as session:
        query = select(model).order_by(model.id)  # PostgreSQL keeps no order of its own
        return list((await session.exec(query)).all())


async def _until_asked(slack: SlackHarness, method: str) -> None:
    """Until the bot's call to `method` has reached the fake (which holds it)."""
    async with asyncio.timeout(5):
        while not any(call.method == method for call in slack.fake.received):
            await asyncio.sleep(0.005)


async def test_a_command_past_the_budget_is_acked_empty_and_answered_through_response_url(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.budget = 0  # runs out before the core has begun
    reply = await demo.command("UOMAR", CONCERN, response_id="late")
    assert (reply.status, reply.text) == (200, "")
    await demo.finish()  # the core carried on after the ack
    [concern] = await _rows(demo, Concern)
    assert concern.words == "Sam did not come"
    assert demo.fake.responses == []  # queued with the concern, sent by the dispatcher
    assert await demo.deliver() == 3  # the answer, and the two managers' DMs
    assert demo.fake.responses == [late(RECEIPT)]
    assert demo.fake.responses_to("late") == [late(RECEIPT)]
    assert await demo.deliver() == 0  # exactly once
    assert [c.args["channel"] for c in demo.fake.calls_to("chat.postMessage")] == ["UADA", "UMAX"]


async def test_a_slow_directory_past_the_budget_gets_the_answer_there_too(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.budget = 0.05  # the real budget, shortened: what is tested is a timeout
    demo.runtime.deps.directory_timeout = 5.0  # only the release below ends the look-up
    demo.fake.add_user("UNEW", "Newbie", "new@example.com")
    demo.fake.hang_next("users.info")
    enrolled = len(await _rows(demo, Membership))
    reply = await demo.command("UADA", "enrol <@UNEW|newbie> mentee", response_id="enrol")
    assert (reply.status, reply.text) == (200, "")
    assert len(await _rows(demo, Membership)) == enrolled  # still asking Slack who that is
    await demo.fake.until_hanging()
    demo.fake.release_hanging()
    await demo.finish()
    assert len(await _rows(demo, Membership)) == enrolled + 1
    assert await demo.deliver() == 2  # the late answer, and the newcomer's briefing
    assert demo.fake.responses_to("enrol") == [
        late(
            ephemeral(
                "Enrolled a mentee in Demo.", [section("Enrolled <@UNEW> as a mentee in *Demo*.")]
            )
        )
    ]
    assert await demo.deliver() == 0


async def test_a_refusal_past_the_budget_is_answered_there_and_changes_nothing(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.budget = 0
    before = await demo.counts()
    reply = await demo.command("UADA", "enrol <@UOMAR|omar> mentor", response_id="refused")
    assert (reply.status, reply.text) == (200, "")
    await demo.finish()
    assert await demo.counts() == {**before, "outbox": before["outbox"] + 1}  # the answer only
    assert await demo.deliver() == 1
    assert demo.fake.responses_to("refused") == [
        late(
            ephemeral(
                "mentorbot could not do that.",
                [section("Omar is already enrolled as a mentor in Demo.")],
            )
        )
    ]
    # Text that is no command needs no database: its answer is ready at once, in the ack.
    reply = await demo.command("UADA", "frobnicate", response_id="junk")
    assert reply.json == ephemeral(
        "mentorbot could not do that.",
        [section("I don't know the command “frobnicate”. Type `help` to see what I can do.")],
    )
    assert await demo.counts() == {**before, "outbox": before["outbox"] + 1}
    assert await demo.deliver() == 0


async def test_an_answer_in_time_goes_in_the_ack_and_nowhere_else(demo: SlackHarness) -> None:
    reply = await demo.command("UOMAR", CONCERN, response_id="in-time")
    assert (reply.status, reply.json) == (200, RECEIPT)
    assert await demo.deliver() == 2  # the managers' DMs; no answer queued
    assert demo.fake.responses == []
    assert [row.subject for row in await _rows(demo, OutboxMessage)] == [
        "briefing",  # the demo's setup
        "briefing",
        "greeting",
        "greeting",
        "concern",
        "concern",
    ]


async def test_a_late_answer_refused_by_slack_for_now_is_retried_by_the_outbox(
    demo: SlackHarness, clock
) -> None:
    demo.edge.answering.budget = 0
    await demo.command("UOMAR", "help", response_id="help")
    await demo.finish()
    demo.fake.fail_next_response(status=503)
    assert await demo.deliver() == 1
    assert demo.fake.responses == []
    clock.advance(2)  # the outbox's first back-off
    assert await demo.deliver() == 1
    assert demo.fake.responses_to("help") == [
        late(ephemeral("What mentorbot can do", [header("mentorbot"), EVERYONE]))
    ]


async def test_an_expired_response_url_fails_the_answer_for_good(demo: SlackHarness) -> None:
    demo.edge.answering.budget = 0
    await demo.command("UOMAR", "help", response_id="help")
    await demo.finish()
    demo.fake.fail_next_response(status=404, body="expired_url")
    assert await demo.deliver() == 1
    [row] = [row for row in await _rows(demo, OutboxMessage) if row.subject == "answer"]
    assert (row.status, row.last_error) == ("failed", "expired_url")
    assert row.reply_to == {"platform": "slack", "response_url": demo.fake.response_url("help")}
    assert await demo.deliver() == 0


async def test_a_dm_event_past_the_budget_is_acked_and_still_answered(demo: SlackHarness) -> None:
    demo.edge.answering.budget = 0
    reply = await demo.event(demo.dm_event("UOMAR", "help"))
    assert (reply.status, reply.text) == (200, "")
    await demo.finish()
    assert await demo.deliver() == 1
    [answer] = demo.fake.calls_to("chat.postMessage")
    assert answer.args == {
        "channel": "UOMAR",
        "text": "What mentorbot can do",
        "blocks": [header("mentorbot"), EVERYONE],
        "metadata": await demo.metadata_of(answer),
    }


# ---------------------------------------------------------------------- the one choice


async def test_the_deadline_is_decided_once() -> None:
    inline = Deadline(URL)
    assert inline.take_inline() and not inline.mark_late() and inline.take_inline()
    late_one = Deadline(URL)
    assert late_one.mark_late() and not late_one.take_inline() and late_one.late
    click = Deadline(URL, late=True)  # a click's ack carries no message
    assert click.late and not click.take_inline()
    nowhere = Deadline(None)  # no response_url: the ack is the only way back
    assert not nowhere.mark_late() and nowhere.take_inline()


async def test_an_answer_the_core_chose_to_give_inline_is_waited_for_past_the_budget() -> None:
    deadline = Deadline(URL)
    committed = asyncio.Event()

    async def core() -> str:
        assert deadline.take_inline()  # just before its commit…
        await committed.wait()  # …which takes longer than the budget
        return "the answer"

    answering = Answering(budget=0)
    call = asyncio.create_task(
        answering.within_budget(core(), deadline, listener="test", request="command")
    )
    for _ in range(10):
        await asyncio.sleep(0)
    assert not call.done() and not deadline.late  # past the budget, still waiting
    committed.set()
    assert await call == "the answer"


async def test_a_core_that_reaches_its_commit_after_the_budget_queues_its_answer() -> None:
    deadline = Deadline(URL)
    started = asyncio.Event()

    async def core() -> str | None:
        await started.wait()
        return "inline" if deadline.take_inline() else None  # None: queued to reply_to

    answering = Answering(budget=0)
    assert await answering.within_budget(core(), deadline, listener="t", request="c") is None
    assert deadline.late
    started.set()
    await answering.finish()
    assert not deadline.take_inline()


async def test_the_budget_counts_from_the_requests_arrival() -> None:
    """Time spent before the listener (reading the body, Bolt's checks, a first auth.test)
    comes out of the budget."""

    async def core() -> str:
        await asyncio.sleep(0.001)  # work that takes any time at all
        return "the answer"

    answering = Answering(budget=5.0)
    fresh = {ARRIVED: time.monotonic()}
    assert await answering.within_budget(core(), None, listener="t", request="c", context=fresh)
    spent = {ARRIVED: time.monotonic() - 5.0}  # the whole budget went before the listener
    assert (
        await answering.within_budget(core(), None, listener="t", request="c", context=spent)
        is None
    )
    await answering.finish()
