"""A request Slack was told is done (acknowledged empty) is never lost: its work is kept in
the database until it commits, so a process that dies first leaves it to be run again,
once; and a bot too busy to start more work acknowledges at once and works in turn.
"Dying" is the carried-on work cancelled mid-transaction, as SIGKILL would stop it:
its transaction rolls back and nothing after it runs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from fakes.slack_harness import IN_A_PAIR, SlackHarness, ephemeral, header, late, section
from sqlmodel import select

from bot.slack.parse import command_text
from handlers import carried
from storage.db import session_factory
from storage.models import CarriedRequest, Membership, OutboxMessage

ENROL = "enrol <@UNEW|newbie> mentee"
ENROLLED = late(
    ephemeral("Enrolled a mentee in Demo.", [section("Enrolled <@UNEW> as a mentee in *Demo*.")])
)
HELP = late(ephemeral("What mentorbot can do", [header("mentorbot"), IN_A_PAIR]))
PAST_THE_LEASE = (carried.LEASE + timedelta(seconds=1)).total_seconds()


async def _rows(slack: SlackHarness, model: type) -> list:
    async with session_factory(slack.runtime.engine)() as session:
        return list((await session.exec(select(model))).all())


async def _enrol_held_by_the_directory(demo: SlackHarness) -> None:
    """An enrolment acknowledged empty while its look-up of the newcomer hangs."""
    demo.edge.answering.budget = 0.05
    demo.runtime.deps.directory_timeout = 5.0
    demo.fake.add_user("UNEW", "Newbie", "new@example.com")
    demo.fake.hang_next("users.info")
    reply = await demo.command("UADA", ENROL, response_id="enrol")
    assert (reply.status, reply.text) == (200, "")
    await demo.fake.until_hanging()


async def _die(demo: SlackHarness) -> None:
    """Stop the work still running, as a killed process would, mid-transaction."""
    running = list(demo.edge.answering._carrying_on)
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


async def test_work_acknowledged_then_killed_is_run_again_once_when_its_lease_runs_out(
    demo: SlackHarness, clock
) -> None:
    enrolled = len(await _rows(demo, Membership))
    await _enrol_held_by_the_directory(demo)
    [kept] = await _rows(demo, CarriedRequest)
    assert (kept.kind, kept.payload["text"]) == ("text", command_text(ENROL))
    assert (kept.caller["external_id"], kept.attempts) == ("UADA", 0)
    assert kept.reply_to == {"platform": "slack", "response_url": demo.fake.response_url("enrol")}
    await _die(demo)
    demo.fake.release_hanging()
    assert len(await _rows(demo, Membership)) == enrolled  # rolled back with the process
    deps = demo.runtime.deps
    assert await carried.run_left_behind(deps) == 0  # within its lease it may still be running
    clock.advance(PAST_THE_LEASE)
    assert await carried.run_left_behind(deps) == 1
    assert len(await _rows(demo, Membership)) == enrolled + 1
    assert await _rows(demo, CarriedRequest) == []
    assert await demo.deliver() == 2  # the late answer, and the newcomer's briefing
    assert demo.fake.responses_to("enrol") == [ENROLLED]
    clock.advance(PAST_THE_LEASE)
    assert await carried.run_left_behind(deps) == 0
    assert await demo.deliver() == 0


async def test_work_that_committed_before_the_process_died_is_not_done_again(
    demo: SlackHarness, clock
) -> None:
    await _enrol_held_by_the_directory(demo)
    [kept] = await _rows(demo, CarriedRequest)
    demo.fake.release_hanging()
    await demo.finish()
    assert await _rows(demo, CarriedRequest) == []  # done, so no longer kept
    outbox = len(await _rows(demo, OutboxMessage))
    # As if the process died between the work's commit and forgetting the request.
    async with session_factory(demo.runtime.engine)() as session, session.begin():
        session.add(CarriedRequest(**{**kept.model_dump(), "lease_until": clock.now()}))
    assert await carried.run_left_behind(demo.runtime.deps) == 1
    assert await _rows(demo, CarriedRequest) == []
    assert len(await _rows(demo, OutboxMessage)) == outbox
    assert await demo.deliver() == 2
    assert demo.fake.responses_to("enrol") == [ENROLLED]


async def test_a_command_arriving_while_every_turn_is_taken_is_acked_at_once_and_answered_in_turn(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.turns = asyncio.Semaphore(1)
    await _enrol_held_by_the_directory(demo)  # holds the one turn
    demo.edge.answering.budget = 60.0  # whatever the budget, it does not wait
    reply = await demo.command("UOMAR", "help", response_id="help")
    assert (reply.status, reply.text) == (200, "")
    dm = await demo.event(demo.dm_event("USAM", "help"))
    assert (dm.status, dm.text) == (200, "")
    kept = {row.kind: row for row in await _rows(demo, CarriedRequest)}
    assert sorted(kept) == ["direct", "text"]
    assert kept["direct"].payload["text"] == "help" and kept["direct"].reply_to is None
    demo.fake.release_hanging()
    await demo.finish()
    assert await _rows(demo, CarriedRequest) == []
    assert await demo.deliver() == 4  # three answers, and the newcomer's briefing
    assert demo.fake.responses_to("enrol") == [ENROLLED]
    assert demo.fake.responses_to("help") == [HELP]
    [answer] = [call for call in demo.dms_to("USAM") if call.args["text"] == HELP["text"]]
    assert answer.args["blocks"] == HELP["blocks"]


async def test_a_replica_takes_a_left_behind_request_only_once(demo: SlackHarness, clock) -> None:
    await _enrol_held_by_the_directory(demo)
    await _die(demo)
    demo.fake.release_hanging()
    clock.advance(PAST_THE_LEASE)
    other = replace(demo.runtime.deps, in_flight=set())  # a second process on the database
    taken = await asyncio.gather(
        carried.run_left_behind(demo.runtime.deps), carried.run_left_behind(other)
    )
    assert sorted(taken) == [0, 1]
    assert await demo.deliver() == 2
    assert demo.fake.responses_to("enrol") == [ENROLLED]


async def test_a_request_that_fails_every_time_is_given_up_after_three_tries(
    demo: SlackHarness, clock
) -> None:
    await _enrol_held_by_the_directory(demo)
    await _die(demo)
    demo.fake.release_hanging()
    async with session_factory(demo.runtime.engine)() as session, session.begin():
        [kept] = (await session.exec(select(CarriedRequest))).all()
        kept.attempts = carried.MOST_ATTEMPTS  # three processes died running it
    outbox = len(await _rows(demo, OutboxMessage))
    clock.advance(PAST_THE_LEASE)
    assert await carried.run_left_behind(demo.runtime.deps) == 1
    assert await _rows(demo, CarriedRequest) == []
    assert len(await _rows(demo, OutboxMessage)) == outbox


async def test_a_burst_while_busy_is_kept_together_and_each_request_answered_once(
    demo: SlackHarness,
) -> None:
    demo.edge.answering.turns = asyncio.Semaphore(1)
    await _enrol_held_by_the_directory(demo)
    forms = [demo.command_form("UOMAR", "help", response_id=f"h{n}") for n in range(30)]
    replies = await asyncio.gather(
        *(demo.post_form(form) for form in forms),
        demo.post_form(forms[0]),  # the same request delivered twice
    )
    assert {(reply.status, reply.text) for reply in replies} == {(200, "")}
    kept = await _rows(demo, CarriedRequest)
    assert len(kept) == 31  # the enrolment and thirty helps: the repeat is one of them
    demo.fake.release_hanging()
    await demo.finish()
    assert await _rows(demo, CarriedRequest) == []
    assert await demo.deliver() == 32  # thirty-one answers, and the newcomer's briefing
    assert all(demo.fake.responses_to(f"h{n}") == [HELP] for n in range(30))
    assert await demo.deliver() == 0
