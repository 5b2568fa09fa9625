"""What a manager meets clicking concern cards in Teams: a button clicked twice, a card from
an older version of the bot, a card whose concern has moved on; and a message that is only
an @mention of the bot."""

from __future__ import annotations

from fakes.teams_harness import ACKNOWLEDGE, RESOLVE, TeamsHarness, content, plain

from handlers.router import COULD_NOT
from storage.models import Concern, OutboxMessage

NO_LONGER = plain("That button no longer does anything.", COULD_NOT)


async def _concern_delivered(teams: TeamsHarness) -> dict[str, str]:
    """Omar raises a concern (delivered with his receipt); each card's activity id."""
    mark = len(teams.connector.calls)
    await teams.say("omar", "concern missed-meeting")
    return {c.conversation_id: c.answer["id"] for c in teams.since(mark, "reply_to_activity")}


async def test_the_same_manager_clicking_twice_is_told_they_did_it(demo: TeamsHarness) -> None:
    cards = await _concern_delivered(demo)
    await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    assert await demo.deliver() == 3  # two cards updated, Omar told
    before = await demo.counts()
    replies = await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    assert [content(r) for r in replies] == [
        plain("This concern was already acknowledged by you.", "Already acknowledged.")
    ]
    # Nothing new to send: every card already shows who acknowledged it.
    assert await demo.counts() == {**before, "processed_event": before["processed_event"] + 1}
    assert await demo.deliver() == 0


async def test_acknowledge_on_an_old_card_of_a_resolved_concern(demo: TeamsHarness) -> None:
    cards = await _concern_delivered(demo)
    await demo.click("ada", RESOLVE, "1", card_id=cards["a:1ada"])
    replies = await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    assert [content(r) for r in replies] == [
        plain("This concern was already resolved by Ada Lovelace.", "Already resolved.")
    ]
    [concern] = await demo.rows(Concern)
    assert (concern.status, concern.acknowledged_by_id) == ("resolved", None)


async def test_a_submit_from_a_card_of_another_version_does_nothing(demo: TeamsHarness) -> None:
    await _concern_delivered(demo)
    before = await demo.counts()
    activity = demo.submit("ada", ACKNOWLEDGE, "1")
    activity["value"] = {"concernId": 1, "verb": "acknowledge"}  # no "action": not our data
    assert [content(r) for r in await demo.send(activity)] == [NO_LONGER]
    assert await demo.counts() == {**before, "processed_event": before["processed_event"] + 1}
    assert {r.status for r in await demo.rows(OutboxMessage)} == {"sent"}


async def test_a_redelivered_old_card_submit_is_answered_once(demo: TeamsHarness) -> None:
    activity = demo.submit("ada", ACKNOWLEDGE, "1")
    activity["value"] = {}
    assert [content(r) for r in await demo.send(activity)] == [NO_LONGER]
    assert await demo.send(activity) == []


async def test_only_a_mention_of_the_bot_is_like_saying_nothing(demo: TeamsHarness) -> None:
    replies = await demo.say("sam", "<at>mentorbot</at>")
    assert [content(r) for r in replies] == [
        plain("Your mentoring\n\nYour mentor is Omar Khayyam in Demo.", "Your mentoring")
    ]
