"""Events API: `message.im` (commands typed in a DM to the bot) and `app_home_opened`.
Slack retries an event it thinks went unanswered: the retry is acknowledged and ignored."""

from __future__ import annotations

import pytest
from fakes.slack_harness import (
    ADMINS,
    EVERYONE,
    IN_A_PAIR,
    MANAGERS,
    SlackHarness,
    context,
    header,
    section,
)
from sqlmodel import select

from handlers.router import COULD_NOT
from storage.db import session_factory
from storage.models import Concern

RECEIPT_BLOCKS = [
    section(
        "Thank you. The program managers of Demo have been told. I will let you know when it is "
        "acknowledged and when it is resolved, and by whom. Your partner has not been told."
    ),
    context("To see where your concerns stand: `/mentoring concern status`"),
]


async def _replies(slack: SlackHarness, user: str) -> list[dict]:
    """What the bot posted to `user` (answers to what they typed in their DM): answers go
    through the outbox, so deliver what is due first. Each answer delivered carries its
    own outbox row's metadata, checked here and left out of what is returned."""
    await slack.deliver()
    replies = []
    for call in slack.fake.calls_to("chat.postMessage"):
        if call.args["channel"] == user:
            args = dict(call.args)
            metadata = args.pop("metadata")
            if slack.fake.answer_to(call)["ok"]:
                assert metadata == await slack.metadata_of(call)
            replies.append(args)
    return replies


async def _concerns(slack: SlackHarness) -> list[Concern]:
    async with session_factory(slack.runtime.engine)() as session:
        return list((await session.exec(select(Concern).order_by(Concern.id))).all())


async def test_a_command_in_a_dm_is_answered_there_and_a_retry_is_handled_once(demo) -> None:
    event = demo.dm_event("UOMAR", "concern missed-meeting Sam did not come &amp; did not call")
    reply = await demo.event(event, event_id="Ev0CONCERN1")
    assert (reply.status, reply.text) == (200, "")
    assert await demo.deliver() == 3  # the receipt and the two managers' DMs
    assert await _replies(demo, "UOMAR") == [
        {"channel": "UOMAR", "text": "Your concern was recorded.", "blocks": RECEIPT_BLOCKS}
    ]
    [concern] = await _concerns(demo)
    assert concern.words == "Sam did not come & did not call"

    # Slack did not see our answer in time and delivers the same event again, twice.
    counts = await demo.counts()
    for number, reason in ((1, "http_timeout"), (2, "http_error")):
        reply = await demo.event(
            event, event_id="Ev0CONCERN1", retry_num=number, retry_reason=reason
        )
        assert (reply.status, reply.text) == (200, "")
    assert await demo.counts() == counts
    assert await demo.deliver() == 0
    assert len(await _concerns(demo)) == 1
    assert len(demo.dms_to("UADA")) == len(demo.dms_to("UMAX")) == 1
    assert len(await _replies(demo, "UOMAR")) == 1

    # The same words in a new message (a new event id) are a new concern.
    await demo.event(dict(event, ts="1.2", event_ts="1.2"), event_id="Ev0CONCERN2")
    assert len(await _concerns(demo)) == 2
    assert len(await _replies(demo, "UOMAR")) == 2


async def test_an_answer_slack_refused_with_500_arrives_later(demo, clock) -> None:
    """The event is marked handled when it is processed, so Slack's retries are ignored:
    the answer must survive a failed post on its own, in the outbox."""
    demo.fake.fail_next("chat.postMessage", status=500, times=3)  # both managers and Omar
    await demo.event(demo.dm_event("UOMAR", "concern missed-meeting Sam did not come"))
    assert await demo.deliver() == 3  # each tried once, and refused
    assert await demo.deliver() == 0  # backing off
    clock.advance(60)
    assert await demo.deliver() == 3
    tried = [r["text"] for r in await _replies(demo, "UOMAR")]
    assert tried == ["Your concern was recorded."] * 2  # refused once, then delivered


async def test_a_refused_dm_command_is_answered_once(demo) -> None:
    event = demo.dm_event("USAM", "frobnicate")
    await demo.event(event, event_id="Ev0JUNK")
    await demo.event(event, event_id="Ev0JUNK", retry_num=1)
    problem = "I don't know the command “frobnicate”. Type `help` to see what I can do."
    assert await _replies(demo, "USAM") == [
        {"channel": "USAM", "text": COULD_NOT, "blocks": [section(problem)]}
    ]
    event = demo.dm_event("USAM", "status")  # refused by the handler, not the parser
    await demo.event(event, event_id="Ev0STATUS")
    await demo.event(event, event_id="Ev0STATUS", retry_num=1)
    assert [r["blocks"][0]["text"]["text"] for r in await _replies(demo, "USAM")] == [
        problem,
        "Only a program's managers can do that, and you don't manage a program.",
    ]


async def test_help_typed_in_a_dm(demo) -> None:
    await demo.event(demo.dm_event("UMAX", "help"))
    assert await _replies(demo, "UMAX") == [
        {
            "channel": "UMAX",
            "text": "What mentorbot can do",
            "blocks": [header("mentorbot"), EVERYONE, MANAGERS],
        }
    ]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"subtype": "message_changed", "user": None}, id="edit"),
        pytest.param({"subtype": "message_deleted", "user": None}, id="delete"),
        pytest.param({"subtype": "bot_message", "bot_id": "B0999", "user": None}, id="bot-message"),
        pytest.param({"bot_id": "B0999"}, id="another-app"),
        pytest.param({"user": "UBOT", "bot_id": "B0001"}, id="our-own-message"),
        pytest.param({"subtype": "channel_join"}, id="join"),
        pytest.param({"channel_type": "channel", "channel": "C0001"}, id="in-a-channel"),
        pytest.param({"channel_type": "mpim", "channel": "G0001"}, id="group-dm"),
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_messages_that_are_not_commands_are_ignored(unchanged_demo, extra) -> None:
    demo = unchanged_demo
    event = demo.dm_event("UOMAR", "concern missed-meeting Sam did not come")
    event.update(extra)
    event = {k: v for k, v in event.items() if v is not None}
    before = await demo.counts()
    reply = await demo.event(event)
    assert reply.status == 200  # answered, so Slack does not retry
    assert await demo.counts() == before
    assert [c.method for c in demo.fake.calls if c.method != "auth.test"] == []
    assert await demo.deliver() == 0


async def test_app_home_shows_my_mentoring_and_what_i_can_do(demo) -> None:
    reply = await demo.event(demo.home_event("USAM"))
    assert (reply.status, reply.text) == (200, "")
    await demo.command("UOMAR", "concern missed-meeting Sam did not come")
    await demo.event(demo.home_event("UADA"))
    await demo.event(demo.home_event("ULENA"))
    published = [c.args for c in demo.fake.calls_to("views.publish")]
    assert published == [
        {
            "user_id": "USAM",
            "view": {
                "type": "home",
                "blocks": [
                    header("Your mentoring"),
                    section("Your mentor is <@UOMAR> in *Demo*."),
                    IN_A_PAIR,
                ],
            },
            "team_id": "T0001",
        },
        {
            "user_id": "UADA",
            "view": {
                "type": "home",
                "blocks": [
                    header("Your mentoring"),
                    section("You manage *Demo*. 1 concern waits for acknowledgement."),
                    EVERYONE,
                    MANAGERS,
                    ADMINS,
                ],
            },
            "team_id": "T0001",
        },
        {
            "user_id": "ULENA",
            "view": {
                "type": "home",
                "blocks": [
                    header("Your mentoring"),
                    section(
                        "You are not in a mentoring program yet. When a program manager pairs "
                        "you, I will introduce you to your partner here."
                    ),
                    EVERYONE,
                ],
            },
            "team_id": "T0001",
        },
    ]


async def test_the_messages_tab_publishes_nothing(demo) -> None:
    reply = await demo.event(demo.home_event("USAM", tab="messages"))
    assert reply.status == 200
    assert demo.fake.calls_to("views.publish") == []


async def test_a_concern_with_a_file_attached_is_still_a_concern(demo) -> None:
    event = demo.dm_event("UOMAR", "concern missed-meeting see the screenshot")
    event.update(subtype="file_share", files=[{"id": "F0001", "name": "shot.png"}])
    await demo.event(event)
    assert [c.words for c in await _concerns(demo)] == ["see the screenshot"]
    assert [r["text"] for r in await _replies(demo, "UOMAR")] == ["Your concern was recorded."]


async def test_a_message_event_without_a_user_is_ignored(demo) -> None:
    event = demo.dm_event("UOMAR", "concern other x")
    del event["user"]
    before = await demo.counts()
    assert (await demo.event(event)).status == 200
    assert await demo.counts() == before


async def test_a_lone_surrogate_in_a_dm_is_stored_as_a_stand_in(demo) -> None:
    """JSON may carry half of an emoji ("\\ud83d"): no database takes it as it is."""
    reply = await demo.event(demo.dm_event("UOMAR", "concern other half \ud83d an emoji"))
    assert reply.status == 200
    assert await demo.deliver() >= 1
    async with session_factory(demo.runtime.engine)() as session:
        [concern] = (await session.exec(select(Concern))).all()
    assert concern.words == "half \ufffd an emoji"
