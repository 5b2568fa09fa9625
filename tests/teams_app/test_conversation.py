"""The activity handler on its own, in botbuilder's TestAdapter: no HTTP, no connector. It
reads like a chat, and shows the handler needs nothing Teams-specific to answer."""

from __future__ import annotations

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    Entity,
)
from fakes.teams_harness import ADMIN, TENANT, teams_settings
from sqlmodel import select

from bot.app import build_runtime
from bot.teams.bot import ONLY_ONE_TO_ONE, WELCOME, MentorbotTeamsBot
from storage.models import Identity, Program

HELP = (
    "mentorbot\n\n"
    "For everyone\n"
    "• `help` what I can do for you\n"
    "• (nothing) your pairs and programs\n"
    "• `concern <kind> [@partner] [what happened]` tell the program manager privately that "
    "something is wrong; kinds: missed-preparation, missed-meeting, confidentiality, mismatch, "
    "conduct, other"
)
NOT_ADMIN = (
    "Only the people named in MENTORBOT_ADMINS can create programs. "
    "Ask whoever runs mentorbot here to add you."
)


def adapter_for(engine, clock, *, sender: str, aad: str) -> tuple[TestAdapter, object]:
    runtime = build_runtime(teams_settings(), engine, {}, clock=clock, open_platforms=frozenset())
    bot = MentorbotTeamsBot(runtime.deps)
    template = Activity(
        channel_id="msteams",
        service_url="https://smba.example/amer/",
        from_property=ChannelAccount(id=sender, name="Sam Cooke", aad_object_id=aad),
        recipient=ChannelAccount(id="28:bot", name="mentorbot"),
        conversation=ConversationAccount(id="a:1sam", conversation_type="personal"),
        channel_data={"tenant": {"id": TENANT}},
    )
    return TestAdapter(bot.on_turn, template), runtime


async def test_help_then_a_refusal(engine, clock) -> None:
    adapter, _ = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    flow = await adapter.test("help", HELP)
    await flow.test('program create "Mine"', NOT_ADMIN)
    assert adapter.activity_buffer == []


async def test_every_answer_is_plain_text_with_a_notification_summary(engine, clock) -> None:
    adapter, _ = adapter_for(engine, clock, sender="29:1sam", aad="aad-sam")
    await adapter.send("help")
    [reply] = adapter.activity_buffer
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
    await adapter.test(
        said,
        "Created the program Demo. You manage it.\n\n"
        "Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.",
    )
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
    await adapter.test("help", ONLY_ONE_TO_ONE)
    async with runtime.deps.sessions() as session:
        assert (await session.exec(select(Identity))).all() == []
