"""A command that changes state happens once per request. A request delivered again (the
same trigger_id; or, without one, the same signed body) gets the first answer again and
changes nothing; arriving while the first is still running, it is acked empty and the
first's answer arrives anyway."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from fakes.slack_harness import SlackHarness, context, ephemeral, late, section
from sqlmodel import select

from storage.db import session_factory
from storage.models import Concern, Membership, ProcessedEvent

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
ENROLLED = ephemeral(
    "Enrolled a mentee in Demo.", [section("Enrolled <@UNEW> as a mentee in *Demo*.")]
)


async def _rows(slack: SlackHarness, model: type) -> list:
    async with session_factory(slack.runtime.engine)() as session:
        order = model.received_at if model is ProcessedEvent else model.id
        query = select(model).order_by(order)  # PostgreSQL keeps no order of its own
        return list((await session.exec(query)).all())


async def test_a_replayed_concern_is_raised_once_and_gets_the_first_answer(
    demo: SlackHarness,
) -> None:
    form = demo.command_form("UOMAR", CONCERN, response_id="first")
    first = await demo.post_form(form)
    assert (first.status, first.json) == (200, RECEIPT)
    before = await demo.counts()
    # The same body, signed afresh (a minute later, inside Slack's 5-minute window).
    again = await demo.post_form(form, timestamp=int(time.time()) + 60)
    assert (again.status, again.json) == (200, RECEIPT)
    assert await demo.counts() == before
    assert len(await _rows(demo, Concern)) == 1
    assert await demo.deliver() == 2  # the managers, told once
    assert await demo.deliver() == 0
    assert demo.fake.responses == []
    async with session_factory(demo.runtime.engine)() as session:
        record = await session.get(ProcessedEvent, f"slack:trigger:{form['trigger_id']}")
    assert record is not None and record.answer is not None  # the first answer, kept


async def test_without_a_trigger_id_the_signed_body_is_the_request(demo: SlackHarness) -> None:
    form = demo.command_form("UOMAR", CONCERN, response_id="first")
    del form["trigger_id"]
    assert (await demo.post_form(form)).json == RECEIPT
    assert (await demo.post_form(form)).json == RECEIPT
    assert len(await _rows(demo, Concern)) == 1
    # Another body (here another response_url) is another request: typed again, done again.
    other = {**form, "response_url": demo.fake.response_url("second")}
    assert (await demo.post_form(other)).json == RECEIPT
    assert len(await _rows(demo, Concern)) == 2


async def test_a_replayed_click_changes_nothing_and_is_answered_once(scenario) -> None:
    slack = await scenario("raised")
    [concern] = await _rows(slack, Concern)
    channel, ts = slack.posted_ref("UADA")
    payload = slack.click_payload(
        "UADA", "concern.acknowledge", str(concern.id), channel=channel, message_ts=ts
    )
    for _ in range(2):
        reply = await slack.post_form({"payload": json.dumps(payload)})
        assert (reply.status, reply.text) == (200, "")
    assert await slack.deliver() == 4  # one answer, two copies updated, Omar told once
    assert slack.fake.responses_to("click") == [
        late(
            ephemeral(
                "You acknowledged the concern.",
                [
                    section(
                        "You acknowledged the concern. The other managers can see that you have it."
                    ),
                    context("<@UOMAR>, who raised it, has been told that you acknowledged it."),
                ],
            )
        )
    ]
    [told] = slack.dms_to("UOMAR")  # once
    assert told.args["text"] == "Your concern was acknowledged."
    assert len(slack.updates()) == 2
    assert await slack.deliver() == 0


async def test_a_replay_while_the_first_is_running_is_acked_empty_and_the_first_answers(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.budget = 0.05  # the first is held past it, on the directory
    demo.runtime.deps.directory_timeout = 5.0
    demo.fake.add_user("UNEW", "Newbie", "new@example.com")
    demo.fake.hang_next("users.info")
    form = demo.command_form("UADA", "enrol <@UNEW|newbie> mentee", response_id="enrol")
    first = await demo.post_form(form)
    assert (first.status, first.text) == (200, "")  # past the budget
    again = await demo.post_form(form)
    assert (again.status, again.text) == (200, "")  # the first is still running
    await demo.fake.until_hanging()
    demo.fake.release_hanging()
    await demo.finish()
    assert len(demo.fake.calls_to("users.info")) == 1  # the replay did not even look
    assert await demo.deliver() == 2  # the answer, and the newcomer's briefing
    assert demo.fake.responses_to("enrol") == [late(ENROLLED)]  # once, for both
    enrolled = [m for m in await _rows(demo, Membership) if m.role == "mentee"]
    assert len(enrolled) == 2  # Sam, and the newcomer once
    # Once the first is done, a replay gets its answer, in the ack.
    before = await demo.counts()
    assert (await demo.post_form(form)).json == ENROLLED
    assert await demo.counts() == before
    assert await demo.deliver() == 0


async def test_concurrent_deliveries_of_one_concern_raise_it_once(demo: SlackHarness) -> None:
    form = demo.command_form("UOMAR", CONCERN, response_id="burst")
    replies = await asyncio.gather(*(demo.post_form(form) for _ in range(5)))
    assert all(reply.status == 200 for reply in replies)
    answered = [reply.json for reply in replies if reply.text]
    assert answered and all(answer == RECEIPT for answer in answered)
    await demo.finish()
    assert len(await _rows(demo, Concern)) == 1
    assert await demo.deliver() == 2  # the managers' DMs only: nobody else got an answer late
    assert demo.fake.responses == []


async def test_read_only_commands_are_not_recorded(demo: SlackHarness) -> None:
    """A replayed `status` is simply answered again: recording it would make every
    read-only command a write."""
    before = await demo.counts()
    form = demo.command_form("UADA", "status")
    first, again = await demo.post_form(form), await demo.post_form(form)
    assert first.json == again.json and first.json["text"] == "Status of Demo"
    assert await demo.counts() == before


async def test_a_request_is_remembered_for_a_day_then_forgotten(demo: SlackHarness, clock) -> None:
    from scheduler.runner import Schedule

    before = len(await _rows(demo, ProcessedEvent))  # the demo's setup, made just now
    await demo.command("UOMAR", "concern other first")
    clock.advance(23 * 3600)
    await demo.command("UOMAR", "concern other second")
    assert len(await _rows(demo, ProcessedEvent)) == before + 2
    schedule = Schedule(demo.runtime.dispatcher, demo.runtime.deps)
    await schedule.prune()
    assert len(await _rows(demo, ProcessedEvent)) == before + 2  # Slack may retry any
    clock.advance(3600 + 1)
    await schedule.prune()
    [kept] = await _rows(demo, ProcessedEvent)
    assert kept.received_at == clock.now() - timedelta(hours=1, seconds=1)
