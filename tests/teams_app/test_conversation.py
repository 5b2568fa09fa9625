"""The activity handler on its own, in botbuilder's TestAdapter: no HTTP, no connector. It
reads like a chat, and shows the handler needs nothing Teams-specific to answer. A typed
message's answer comes through the outbox: the dispatcher sends it with the real
TeamsMessenger, whose continue_conversation runs on the same TestAdapter."""

from __future__ import annotations

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    Entity,
)
from fakes.teams_harness import ADMIN, EVERYONE, TENANT, teams_settings
from sqlmodel import select

from bot.app import Runtime, build_runtime
from bot.teams.bot import ONLY_ONE_TO_ONE, WELCOME, MentorbotTeamsBot
from bot.teams.messenger import TeamsMessenger
from handlers.ports import Messenger
from storage.models import Identity, OutboxMessage, Program

HELP = "mentorbot\n\n" + EVERYONE
NOT_ADMIN = (
    "Only the people named in MENTORBOT_ADMINS can create programs. "
    "Ask whoever runs mentorbot here to add you."
)


def adapter_for(engine, clock, *, sender: str, aad: str) -> tuple[TestAdapter, Runtime]:
    messengers: dict[str, Messenger] = {}
    runtime = build_runtime(
        teams_settings(), engine, messengers, clock=clock, open_platforms=frozenset()
    )
    bot = MentorbotTeamsBot(runtime.deps)
    template = Activity(
        channel_id="msteams",
        service_url="https://smba.example/amer/",
        from_property=ChannelAccount(id=sender, name="Sam Cooke", aad_object_id=aad),
        recipient=ChannelAccount(id="28:bot", name="mentorbot"),
        conversation=ConversationAccount(id="a:1sam", conversation_type="personal"),
        channel_data={"tenant": {"id": TENANT}},
    )
    adapter = TestAdapter(bot.on_turn, template)
    # The bot needs the runtime's deps, the messenger the adapter: the dispatcher reads this
    # same dict when it sends.
    messengers["teams"] = TeamsMessenger(adapter, None)
    return adapter, runtime


async def chat(adapter: TestAdapter, runtime: Runtime, said: str | Activity) -> list[Activity]:
    """Say something, let the dispatcher send what it queued, and take what came back."""
    await adapter.send(said)
    await runtime.dispatcher.run_once()
    replies = list(adapter.activity_buffer)
    adapter.activity_buffer.clear()
    return replies


async def test_help_then_a_refusal(engine, clock) -> None:
    adapter, runtime = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    assert [r.text for r in await chat(adapter, runtime, "help")] == [HELP]
    assert [r.text for r in await chat(adapter, runtime, 'program create "Mine"')] == [NOT_ADMIN]
    async with runtime.deps.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.status for r in rows] == ["sent", "sent"]  # one answer per activity, sent
    assert all(r.dedupe_key.startswith("answer:teams:a:1sam:") for r in rows)


async def test_a_typed_message_is_answered_only_by_the_dispatcher(engine, clock) -> None:
    adapter, runtime = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    await adapter.send("help")
    assert adapter.activity_buffer == []  # nothing said in the turn
    assert await runtime.dispatcher.run_once() == 1
    [reply] = adapter.activity_buffer
    assert (reply.conversation.id, reply.recipient.id, reply.text) == ("a:1sam", "29:1sam", HELP)


async def test_every_answer_is_plain_text_with_a_notification_summary(engine, clock) -> None:
    adapter, runtime = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    [reply] = await chat(adapter, runtime, "help")
    assert (reply.type, reply.text_format, reply.summary, reply.attachments) == (
        "message",
        "plain",
        "What mentorbot can do",
        None,
    )


async def test_the_bot_mention_is_dropped_and_the_admin_alias_counts(engine, clock) -> None:
    adapter, runtime = adapter_for(engine, clock, sender="29:1ada", aad=ADMIN)
    said = Activity(
        type=ActivityTypes.message,
        text='<at>mentorbot</at> program create "Demo"',
        entities=[
            Entity().deserialize(
                {
                    "type": "mention",
                    "mentioned": {"id": "28:bot", "name": "mentorbot"},
                    "text": "<at>mentorbot</at>",
                }
            )
        ],
    )
    assert [r.text for r in await chat(adapter, runtime, said)] == [
        "Created the program Demo. You manage it.\n\n"
        "Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`."
    ]
    async with runtime.deps.sessions() as session:
        [program] = (await session.exec(select(Program))).all()
        [identity] = (await session.exec(select(Identity))).all()
    assert program.name == "Demo"
    assert identity.external_id == "29:1ada"
    assert identity.address["reference"]["conversation"]["id"] == "a:1sam"


async def test_installing_welcomes(engine, clock) -> None:
    adapter, _ = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    await adapter.test(Activity(type=ActivityTypes.installation_update, action="add"), WELCOME)


async def test_a_group_chat_is_never_where_dms_go(engine, clock) -> None:
    adapter, runtime = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    adapter.template.conversation = ConversationAccount(
        id="19:group@thread.v2", conversation_type="groupChat"
    )
    await adapter.test("help", ONLY_ONE_TO_ONE)  # said in the turn: no 1:1 to reach later
    async with runtime.deps.sessions() as session:
        assert (await session.exec(select(Identity))).all() == []
        assert (await session.exec(select(OutboxMessage))).all() == []
