"""Slack's directory (users.info, users.lookupByEmail) is asked before a command's
transaction opens, each look-up with a short timeout, never inside it: a directory that
hangs holds no database connection, keeps no other command waiting, and leaves the answer
inside the budget (a mention is taken as it is; an address cannot be looked up now)."""

from __future__ import annotations

import asyncio

from fakes.slack_harness import SlackHarness, ephemeral, refused, section
from sqlmodel import select

from storage.db import session_factory
from storage.models import Concern, Person

ENROLLED = ephemeral(
    "Enrolled a mentee in Demo.", [section("Enrolled <@UNEW> as a mentee in *Demo*.")]
)


async def _until_asked(slack: SlackHarness, method: str) -> None:
    """Until the bot's call to `method` has reached the fake, which holds it."""
    async with asyncio.timeout(5):
        while not any(call.method == method for call in slack.fake.received):
            await asyncio.sleep(0.005)


async def test_a_hanging_directory_holds_no_transaction(demo: SlackHarness) -> None:
    demo.runtime.deps.directory_timeout = 5.0  # longer than the test: only the release ends it
    demo.fake.add_user("UNEW", "Newbie", "new@example.com")
    demo.fake.hang_next("users.info")
    first = asyncio.create_task(demo.command("UADA", "enrol <@UNEW|newbie> mentee"))
    await _until_asked(demo, "users.info")
    # While Slack is being asked, no connection is held: no transaction is open.
    assert demo.runtime.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # Another command that writes completes meanwhile.
    async with asyncio.timeout(5):
        reply = await demo.command("UOMAR", "concern missed-meeting Sam did not come")
    assert reply.json["text"] == "Your concern was recorded."
    assert not first.done()
    await demo.fake.until_hanging()
    demo.fake.release_hanging()
    assert (await first).json == ENROLLED
    async with session_factory(demo.runtime.engine)() as session:
        newbie = (await session.exec(select(Person).where(Person.display_name == "Newbie"))).one()
        assert newbie.email == "new@example.com"  # from the profile, asked before
        assert len((await session.exec(select(Concern))).all()) == 1


async def test_a_hanging_directory_costs_a_mention_its_check_not_the_answer(
    demo: SlackHarness,
) -> None:
    demo.runtime.deps.directory_timeout = 0.05  # a fraction of the budget (what is tested)
    demo.fake.hang_next("users.info")
    reply = await demo.command("UADA", "enrol <@UNEW|newbie> mentee")
    # In the ack, so within the budget; the mention taken with the name Slack sent with it.
    assert reply.json == ENROLLED
    async with session_factory(demo.runtime.engine)() as session:
        assert (await session.exec(select(Person).where(Person.display_name == "newbie"))).one()


async def test_a_hanging_directory_cannot_look_up_an_address_now(demo: SlackHarness) -> None:
    demo.runtime.deps.directory_timeout = 0.05
    demo.fake.hang_next("users.lookupByEmail")
    before = await demo.counts()
    reply = await demo.command("UADA", "enrol <mailto:new@example.com|new@example.com> mentee")
    assert reply.json == refused(
        "I can't look up new@example.com right now. Please try again in a minute, or "
        "mention the person instead."
    )
    assert await demo.counts() == before


async def test_everyone_a_command_names_is_looked_up_at_once(slack: SlackHarness) -> None:
    """A first-time caller naming two strangers: three look-ups, side by side (all three
    asked before any is answered), in one wait between the transaction's two attempts."""
    slack.runtime.deps.directory_timeout = 5.0
    for method in ("users.info", "users.info", "users.lookupByEmail"):
        slack.fake.hang_next(method)
    reply = asyncio.create_task(
        slack.command("UADA", "pair <@UOMAR|omar> <mailto:sam@example.com|sam@example.com> confirm")
    )
    async with asyncio.timeout(5):
        while len(slack.fake.received) < 4:  # auth.test, and the three look-ups together
            await asyncio.sleep(0.005)
    asked = sorted((c.method, str(c.args)) for c in slack.fake.received if c.method != "auth.test")
    assert asked == [
        ("users.info", "{'user': 'UADA'}"),
        ("users.info", "{'user': 'UOMAR'}"),
        ("users.lookupByEmail", "{'email': 'sam@example.com'}"),
    ]
    await slack.fake.until_hanging()
    slack.fake.release_hanging()
    assert (await reply).json == refused(
        "Only a program's managers can do that, and you don't manage a program."
    )
