"""The fake Bot Connector answers botbuilder's real ConnectorClient as the Bot Connector
does: the same paths, bodies and ErrorResponse failures."""

from __future__ import annotations

import pytest
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from fakes.bot_connector import FakeBotConnector


@pytest.fixture
async def connector():
    async with FakeBotConnector() as fake:
        fake.add_person("29:1ada", "Ada Lovelace", aad_object_id="aad-ada", email="ada@example.com")
        fake.open_conversation("a:1ada", "29:1ada")
        yield fake


def client_for(fake: FakeBotConnector) -> ConnectorClient:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=fake.service_url)
    client.config.retry_policy.retries = 0
    return client


async def test_send_reply_update_and_read_back(connector: FakeBotConnector) -> None:
    client = client_for(connector)
    sent = await client.conversations.send_to_conversation(
        "a:1ada", Activity(type="message", text="one")
    )
    reply = await client.conversations.reply_to_activity(
        "a:1ada", sent.id, Activity(type="message", text="two", reply_to_id=sent.id)
    )
    await client.conversations.update_activity(
        "a:1ada", sent.id, Activity(type="message", id=sent.id, text="one, edited")
    )
    assert [(c.operation, c.method, c.path) for c in connector.calls] == [
        ("send_to_conversation", "POST", "/v3/conversations/a%3A1ada/activities"),
        ("reply_to_activity", "POST", "/v3/conversations/a%3A1ada/activities/1%3A1"),
        ("update_activity", "PUT", "/v3/conversations/a%3A1ada/activities/1%3A1"),
    ]
    assert [(c.conversation_id, c.activity_id) for c in connector.calls[1:]] == [
        ("a:1ada", "1:1"),
        ("a:1ada", "1:1"),
    ]
    assert (sent.id, reply.id) == ("1:1", "1:2")
    assert connector.activity("a:1ada", sent.id) == {
        "type": "message",
        "id": "1:1",
        "text": "one, edited",
    }
    assert [body["text"] for body in connector.sent_to("29:1ada")] == ["one", "two"]


async def test_create_conversation_answers_the_persons_1_1(connector: FakeBotConnector) -> None:
    client = client_for(connector)
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:bot"),
        members=[ChannelAccount(id="29:1ada")],
        tenant_id="t1",
        channel_data={"tenant": {"id": "t1"}},
    )
    created = await client.conversations.create_conversation(parameters)
    assert created.id == "a:1ada"
    parameters.members = [ChannelAccount(id="29:1new")]
    assert (await client.conversations.create_conversation(parameters)).id == "a:created-1"
    assert connector.calls[0].body == {
        "isGroup": False,
        "bot": {"id": "28:bot"},
        "members": [{"id": "29:1ada"}],
        "tenantID": "t1",
        "channelData": {"tenant": {"id": "t1"}},
    }


@pytest.mark.parametrize("member", ["29:1ada", "aad-ada", "ADA@example.com"])
async def test_get_member_by_id_aad_object_id_or_upn(connector: FakeBotConnector, member) -> None:
    account = await client_for(connector).conversations.get_conversation_member("a:1ada", member)
    assert (account.id, account.name) == ("29:1ada", "Ada Lovelace")
    assert account.additional_properties["email"] == "ada@example.com"
    assert account.aad_object_id == "aad-ada"


async def test_scripted_failures_are_error_responses(connector: FakeBotConnector) -> None:
    client = client_for(connector)
    connector.fail_next("send", status=429, retry_after=7)
    connector.fail_next("send", status=500)
    connector.block("29:1ada")
    seen = []
    for _ in range(3):
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.send_to_conversation("a:1ada", Activity(type="message"))
        response = caught.value.response
        seen.append(
            (
                response.status_code,
                caught.value.error.error.code,
                response.headers.get("Retry-After"),
            )
        )
    assert seen == [
        (429, "TooManyRequests", "7"),
        (500, "InternalServerError", None),
        (403, "MessageWritesBlocked", None),
    ]
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.get_conversation_member("a:1ada", "29:1nobody")
    assert caught.value.error.error.code == "MemberNotFoundInConversation"
