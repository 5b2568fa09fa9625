"""mentorbot works in a person's 1:1 chat only. In a group chat or a channel everyone would
read its answers (a status, a concern's receipt), so there it does nothing, says so politely,
and never repeats what the sender wrote."""

from __future__ import annotations

from fakes.teams_harness import (
    BOT_ID,
    CHANNEL,
    GROUP_CHAT,
    TeamsHarness,
    content,
    plain,
)

from bot.teams.bot import ONLY_ONE_TO_ONE, ONLY_ONE_TO_ONE_WELCOME

MARKER = "wombat-semaphore-4417"


async def test_a_concern_typed_in_a_group_chat_is_not_taken(demo: TeamsHarness) -> None:
    before = await demo.counts()
    mark = len(demo.connector.calls)
    activity = demo.message(
        "omar", f'concern conduct "{MARKER} said in a group"', conversation=GROUP_CHAT
    )
    replies = await demo.send(activity)
    assert [content(r) for r in replies] == [plain(ONLY_ONE_TO_ONE)]
    [call] = demo.since(mark)  # the answer, and nothing else: no member lookup
    assert call.operation == "reply_to_activity"
    assert call.path == f"/v3/conversations/19%3Aa1b2c3%40thread.v2/activities/{activity['id']}"
    assert call.body["conversation"] == {  # botbuilder's reply leaves the tenant out
        "id": GROUP_CHAT["id"],
        "conversationType": "groupChat",
        "isGroup": True,
    }
    assert await demo.counts() == before  # no concern, no outbox row, no processed event
    assert await demo.deliver() == 0
    assert MARKER not in str([c.body for c in demo.connector.calls])


async def test_a_manager_asking_for_status_in_a_channel_sees_nothing_there(
    demo: TeamsHarness,
) -> None:
    await demo.say("omar", f'concern conduct "{MARKER}"')  # in his 1:1: an open concern
    await demo.deliver()
    before = await demo.counts()
    mark = len(demo.connector.calls)
    activity = demo.message("ada", "<at>mentorbot</at> status", conversation=CHANNEL)
    replies = await demo.send(activity)
    assert [content(r) for r in replies] == [plain(ONLY_ONE_TO_ONE)]
    [call] = demo.since(mark)
    assert call.conversation_id == CHANNEL["id"]
    assert await demo.counts() == before
    said_in_channel = str([c.body for c in demo.since(mark)])
    assert "conduct" not in said_in_channel and MARKER not in said_in_channel


async def test_a_card_submit_from_a_group_is_not_acted_on(demo: TeamsHarness) -> None:
    await demo.say("omar", "concern other")
    before = await demo.counts()
    replies = await demo.click("ada", "concern.acknowledge", "1", conversation=GROUP_CHAT)
    assert [content(r) for r in replies] == [plain(ONLY_ONE_TO_ONE)]
    assert await demo.counts() == before


async def test_the_app_added_to_a_team_says_where_it_works(teams: TeamsHarness) -> None:
    replies = await teams.send(teams.installation("ada", conversation=CHANNEL))
    assert [content(r) for r in replies] == [plain(ONLY_ONE_TO_ONE_WELCOME)]
    assert set((await teams.counts()).values()) == {0}  # nobody is remembered from there
    upgrade = teams.installation("ada", action="add-upgrade", conversation=CHANNEL)
    assert await teams.send(upgrade) == []


async def test_the_bot_joining_a_group_chat_remembers_nobody(teams: TeamsHarness) -> None:
    activity = teams.members_added("sam", conversation=GROUP_CHAT)
    activity["membersAdded"] = [{"id": BOT_ID}]
    assert await teams.send(activity) == []
    assert set((await teams.counts()).values()) == {0}
    assert teams.connector.calls == []
