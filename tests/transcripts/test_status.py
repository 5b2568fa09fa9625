# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""`status` in detail: which message could not be delivered and why, long lists cut
short, and nothing that would tell a manager in a pair that it was reported."""

from __future__ import annotations

from textwrap import dedent

from sqlalchemy import event

from bot.console.session import DEMO_SETUP
from handlers import due_work


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


def undelivered(status: str) -> str:
    return dedent(status[status.index("   *Messages that could not") :])


async def test_each_undelivered_message_says_what_it_was_and_why(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    await console.say("sam", 'concern conduct "He shouted"')  # to Lena (1, 2), Maya (3, 4)
    console.session.messenger.unreachable.add("lena")
    await console.say("maya", "press 7")  # Lena's copy cannot be updated any more
    await console.say("maya", "pair @lena @priya confirm")  # Lena's greeting fails
    assert undelivered(await console.say("maya", "status")) == said("""
           *Messages that could not be delivered: 2*
           • greeting to @lena for the pair @lena & @priya: their account was not found (user_not_found)
           • concern #1 update to manager @lena: the message to update no longer exists (message_not_found)
    """)


async def test_a_manager_in_the_pair_does_not_learn_of_an_undelivered_concern(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    console.session.messenger.unreachable.add("lena")
    await console.say("priya", "concern mismatch")  # only for Lena, who cannot be reached
    maya_sees = await console.say("maya", "status")
    assert "Open concerns: 0" in maya_sees
    assert maya_sees.endswith("(Every message has been delivered or is on its way.)")
    lena_sees = await console.say("lena", "status")
    assert lena_sees.endswith(
        "   • concern #1 DM to manager @lena: their account was not found (user_not_found)"
    )


async def test_long_lists_are_cut_short_with_how_many_more(console) -> None:
    await console.setup(DEMO_SETUP)
    for _ in range(17):
        await console.say("sam", "concern other")
    status = await console.say("maya", "status")
    lines = status.splitlines()
    start = lines.index("   *Open concerns: 17*")
    assert lines[start + 1] == (
        "   • #1 other · @omar & @sam · raised Mon 23 Nov 2026, 09:00 Europe/London · not acknowledged"
    )
    assert lines[start + 15].startswith("   • #15 other")
    assert lines[start + 16] == "   …and 2 more"
    assert lines[start + 17] == (
        "   (To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`)"
    )
    assert lines[start + 18] == "   (Every message has been delivered or is on its way.)"


async def test_long_lists_of_pairs_and_undelivered_messages_are_cut_short(console) -> None:
    await console.setup(DEMO_SETUP)
    for n in range(16):
        await console.say("maya", f"enrol @mentee{n} mentee")
        console.session.messenger.unreachable.add(f"mentee{n}")
        await console.say("maya", f"pair @lena @mentee{n} confirm")
    lines = (await console.say("maya", "status")).splitlines()
    pairs = lines.index("   *Active pairs: 17*")
    assert lines[pairs + 1] == "   • @omar mentors @sam"
    assert lines[pairs + 15] == "   • @lena mentors @mentee13"
    assert lines[pairs + 16] == "   …and 2 more"
    failed = lines.index("   *Messages that could not be delivered: 16*")
    assert lines[failed + 1] == (
        "   • greeting to @mentee15 for the pair @lena & @mentee15: their account was not found (user_not_found)"
    )
    assert lines[failed + 16] == "   …and 1 more"
    assert len(lines) == failed + 17


class Queries:
    """Counts the SQL statements the engine runs."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


async def _queries_for_status(console, queries: Queries) -> int:
    before = queries.count
    await console.say("maya", "status")
    return queries.count - before


async def test_status_reads_everything_in_a_few_queries_however_much_there_is(
    console, engine
) -> None:
    queries = Queries(engine)
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena backup")
    await console.say("sam", "concern other")
    console.session.messenger.unreachable.add("priya")
    await console.say("maya", "pair @lena @priya confirm")  # an undelivered greeting
    small = await _queries_for_status(console, queries)
    for n in range(12):
        await console.say("maya", f"enrol @mentee{n} mentee")
        console.session.messenger.unreachable.add(f"mentee{n}")
        await console.say("maya", f"pair @lena @mentee{n} confirm")
        await console.say(f"mentee{n}", "concern missed-meeting")
    large = await _queries_for_status(console, queries)
    assert large == small
    assert small <= 16


async def test_an_undelivered_check_in_and_its_reminder_are_named(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    console.session.messenger.unreachable.add("sam")
    await console.say("maya", "checkin @sam")
    clock.advance(4 * 24 * 3600)  # three working days on, in New York: the reminder
    await due_work.run_due(console.session.deps)
    await console.session.drain()
    assert undelivered(await console.say("maya", "status")) == said("""
           *Messages that could not be delivered: 2*
           • check-in reminder to @sam: their account was not found (user_not_found)
           • check-in to @sam: their account was not found (user_not_found)
    """)
