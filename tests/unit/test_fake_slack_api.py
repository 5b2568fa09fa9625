"""The fake Slack Web API (tests/fakes/slack_api.py), driven by the real slack_sdk client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fakes.slack_api import FakeSlackApi
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hello*"}}]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlackApi) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.url)


async def test_url_has_slack_sdk_base_url_form(slack: FakeSlackApi) -> None:
    assert slack.url.startswith("http://127.0.0.1:")
    assert slack.url.endswith("/api/")


async def test_post_message_to_user_opens_dm(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="U123", text="hi", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="C999", text="again")

    assert first["ok"] is True
    assert first["channel"].startswith("D")
    assert first["channel"] == slack.dm_channel_for("U123")
    assert first["message"]["text"] == "hi"
    assert first["message"]["blocks"] == BLOCKS
    assert second["channel"] == "C999"
    assert float(second["ts"]) > float(first["ts"])

    [call, _] = slack.calls_to("chat.postMessage")
    assert call.token == "xoxb-test"
    assert call.args["channel"] == "U123"
    assert call.args["text"] == "hi"
    assert call.args["blocks"] == BLOCKS
    assert isinstance(call.args["blocks"][0], dict)


async def test_form_encoded_json_fields_are_decoded(slack: FakeSlackApi) -> None:
    async with aiohttp.ClientSession() as session:
        form = {"token": "xoxb-form", "channel": "C1", "blocks": '[{"type": "divider"}]'}
        async with session.post(slack.url + "chat.postMessage", data=form) as res:
            body = await res.json()
    assert body["ok"] is True
    [call] = slack.calls_to("chat.postMessage")
    assert call.token == "xoxb-form"
    assert "token" not in call.args
    assert call.args["blocks"] == [{"type": "divider"}]


async def test_rate_limited_then_succeeds(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    """slack_sdk raises SlackApiError for 429 (no retry by default).

    ``err.response.headers`` is aiohttp's case-insensitive CIMultiDictProxy: the header reads
    the same as ``"Retry-After"`` or ``"retry-after"``, value the string ``"7"``.
    ``err.response.status_code == 429`` and ``err.response["error"] == "ratelimited"``.
    """
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="U1", text="x")
    response = caught.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["retry-after"] == "7"
    assert response["ok"] is False
    assert response["error"] == "ratelimited"

    ok = await client.chat_postMessage(channel="U1", text="x")
    assert ok["ok"] is True
    assert len(slack.received) == 2
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_server_error_is_not_retried(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", status=500)

    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="U1", text="x")
    assert caught.value.response.status_code == 500
    assert caught.value.response["error"] == "internal_error"
    assert len(slack.received) == 1


async def test_fail_next_times(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.fail_next("chat.update", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            await client.chat_update(channel="D1", ts="1.0", text="x")
    assert (await client.chat_update(channel="D1", ts="1.0", text="x"))["ok"] is True


async def test_ok_false_error(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.add_user("U1", "Ada", email="ada@example.com")
    slack.fail_next("users.info", error="user_not_found")

    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U1")
    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == "user_not_found"
    assert (await client.users_info(user="U1"))["user"]["name"] == "Ada"


async def test_users_info_and_lookup(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.add_user("U1", "Ada", email="ada@example.com", tz="America/New_York")

    info = await client.users_info(user="U1")
    assert info["user"]["id"] == "U1"
    assert info["user"]["tz"] == "America/New_York"
    assert info["user"]["profile"]["email"] == "ada@example.com"
    assert slack.calls_to("users.info")[0].args == {"user": "U1"}
    assert slack.calls_to("users.info")[0].token == "xoxb-test"

    found = await client.users_lookupByEmail(email="ada@example.com")
    assert found["user"]["id"] == "U1"

    with pytest.raises(SlackApiError) as missing_user:
        await client.users_info(user="U404")
    assert missing_user.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as missing_email:
        await client.users_lookupByEmail(email="nobody@example.com")
    assert missing_email.value.response["error"] == "users_not_found"


async def test_chat_update_records_channel_and_ts(
    slack: FakeSlackApi, client: AsyncWebClient
) -> None:
    res = await client.chat_update(channel="D1", ts="1700000000.000100", text="new", blocks=BLOCKS)
    assert res["channel"] == "D1"
    assert res["ts"] == "1700000000.000100"
    [call] = slack.calls_to("chat.update")
    assert call.args["channel"] == "D1"
    assert call.args["ts"] == "1700000000.000100"
    assert call.args["blocks"] == BLOCKS


async def test_other_methods(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert auth["user_id"] == "UBOT"
    eph = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert eph["message_ts"]
    view = {"type": "home", "blocks": BLOCKS}
    published = await client.views_publish(user_id="U1", view=view)
    assert published["view"]["id"].startswith("V")
    assert published["view"]["blocks"] == BLOCKS
    assert slack.calls_to("views.publish")[0].args["view"] == view
    assert (await client.api_call("reactions.add", json={"name": "tada"}))["ok"] is True
    assert [c.method for c in slack.calls] == [
        "auth.test",
        "chat.postEphemeral",
        "views.publish",
        "reactions.add",
    ]


async def test_views_open_needs_a_trigger_and_answers_with_the_modal(
    slack: FakeSlackApi, client: AsyncWebClient
) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": BLOCKS}
    opened = await client.views_open(trigger_id="1.2.abc", view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["root_view_id"] == opened["view"]["id"]
    assert {k: opened["view"][k] for k in view} == view
    assert opened["view"]["state"] == {"values": {}}
    assert slack.calls_to("views.open")[0].args == {"trigger_id": "1.2.abc", "view": view}
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("views.open", json={"view": view})
    assert refused.value.response["error"] == "invalid_arguments"
    slack.fail_next("views.open", error="expired_trigger_id")
    with pytest.raises(SlackApiError) as expired:
        await client.views_open(trigger_id="1.2.abc", view=view)
    assert expired.value.response["error"] == "expired_trigger_id"


async def test_hang_next(slack: FakeSlackApi, client: AsyncWebClient) -> None:
    slack.hang_next("chat.postMessage")

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.chat_postMessage(channel="U1", text="x"), timeout=0.1)
    assert [c.method for c in slack.received] == ["chat.postMessage"]
    assert slack.calls == []

    assert (await client.chat_postMessage(channel="U1", text="y"))["ok"] is True
    assert len(slack.calls) == 1


async def test_hanging_call_is_released_by_stop() -> None:
    fake = FakeSlackApi()
    await fake.start()
    # No retry handlers: the default one would retry the dropped connection after ~0.5-1.5 s.
    hanging_client = AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
    fake.hang_next("auth.test")
    task = asyncio.create_task(hanging_client.auth_test())
    while not fake.received:
        await asyncio.sleep(0.005)
    await asyncio.wait_for(fake.stop(), timeout=1)
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(task, timeout=1)
    assert fake.calls == []


async def test_response_url(slack: FakeSlackApi) -> None:
    url = slack.response_url("abc")
    payload = {"text": "done", "replace_original": True}
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as res:
        assert res.status == 200
    assert slack.responses == [payload]
    assert slack.responses_to("abc") == slack.responses
    assert slack.responses_to("other") == []


async def test_a_hanging_call_released_gets_its_usual_answer(
    slack: FakeSlackApi, client: AsyncWebClient
) -> None:
    slack.add_user("U1", "Ada")
    slack.hang_next("users.info")
    task = asyncio.create_task(client.users_info(user="U1"))
    while not slack.received:
        await asyncio.sleep(0.005)
    assert not task.done() and slack.calls == []
    slack.release_hanging()
    assert (await asyncio.wait_for(task, timeout=1))["user"]["name"] == "Ada"
    assert [c.method for c in slack.calls] == ["users.info"]


async def test_response_url_failures_are_scripted(slack: FakeSlackApi) -> None:
    url = slack.response_url("abc")
    slack.fail_next_response(status=404, body="expired_url")
    slack.fail_next_response(status=429, retry_after=3)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": "one"}) as res:
            assert (res.status, await res.text()) == (404, "expired_url")
        async with session.post(url, json={"text": "two"}) as res:
            assert (res.status, res.headers["Retry-After"]) == (429, "3")
        async with session.post(url, json={"text": "three"}) as res:
            assert res.status == 200
    assert slack.responses == [{"text": "three"}]
