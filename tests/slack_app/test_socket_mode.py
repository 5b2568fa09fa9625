"""Socket Mode (SLACK_APP_TOKEN set): the bot opens a websocket through
apps.connections.open, acks every envelope by its id, answers slash commands in the ack,
and answers DM commands through the Web API; a redelivered event is handled once."""

from __future__ import annotations

from fakes.slack_harness import (
    ADMINS,
    DEMO_SETUP,
    EVERYONE,
    IN_A_PAIR,
    MANAGERS,
    ephemeral,
    header,
    section,
)
from fakes.slack_socket import APP_TOKEN, SocketHarness, slack_socket_app
from sqlmodel import select

from handlers.router import COULD_NOT
from storage.db import session_factory
from storage.models import Concern

CONCERN_NOTIFICATION = "Concern: missed meeting in Demo. Open mentorbot to respond."


def _help(*sections: dict) -> dict:
    return ephemeral("What mentorbot can do", [header("mentorbot"), *sections])


async def _set_up_demo(slack: SocketHarness) -> None:
    for user, text in DEMO_SETUP:
        ack = await slack.socket_command(user, text)
        assert ack["payload"]["response_type"] == "ephemeral", (text, ack)
    await slack.deliver()


async def _concerns(slack: SocketHarness) -> list[Concern]:
    async with session_factory(slack.runtime.engine)() as session:
        return list((await session.exec(select(Concern).order_by(Concern.id))).all())


async def test_commands_and_dms_over_socket_mode(engine, clock) -> None:
    async with slack_socket_app(engine, clock) as slack:
        [opened] = slack.fake.calls_to("apps.connections.open")
        assert opened.token == APP_TOKEN

        ack = await slack.socket_command("UADA", "help")
        assert ack == {"envelope_id": "env-1", "payload": _help(EVERYONE, ADMINS)}
        await _set_up_demo(slack)
        ack = await slack.socket_command("UMAX", "help")
        assert ack["payload"] == _help(EVERYONE, MANAGERS)

        # A concern by slash command reaches the managers' DMs through the outbox.
        ack = await slack.socket_command("UOMAR", "concern missed-meeting Sam did not come")
        assert ack["payload"]["text"] == "Your concern was recorded."
        assert await slack.deliver() == 2
        assert [call.args["text"] for call in slack.dms_to("UADA")][-1] == CONCERN_NOTIFICATION
        assert [call.args["text"] for call in slack.dms_to("UMAX")][-1] == CONCERN_NOTIFICATION


async def test_a_redelivered_event_is_acked_and_handled_once(engine, clock) -> None:
    # Each ack waits for its listener (within the budget), so after an ack its work is done.
    async with slack_socket_app(engine, clock) as slack:
        await _set_up_demo(slack)
        event = slack.dm_event("UOMAR", "concern missed-meeting Sam did not come")
        body = slack.event_body(event, event_id="Ev0SOCKET1")
        posted = len(slack.fake.calls_to("chat.postMessage"))

        first = await slack.socket.send("events_api", body)
        again = await slack.socket.send("events_api", body, retry_attempt=1, retry_reason="timeout")
        assert (first, again) == ({"envelope_id": "env-7"}, {"envelope_id": "env-8"})
        assert len(await _concerns(slack)) == 1
        assert await slack.deliver() == 3  # the receipt and the two managers' DMs
        assert await slack.deliver() == 0
        [receipt] = [
            c
            for c in slack.fake.calls_to("chat.postMessage")[posted:]
            if c.args["channel"] == "UOMAR"
        ]
        assert receipt.args["text"] == "Your concern was recorded."

        # A command typed in the DM: the envelope is acked empty, the answer is queued.
        body = slack.event_body(slack.dm_event("UOMAR", "help"), event_id="Ev0SOCKHELP")
        ack = await slack.socket.send("events_api", body)
        assert ack == {"envelope_id": "env-9"}
        assert await slack.deliver() == 1
        answer = slack.fake.calls_to("chat.postMessage")[-1]
        assert (answer.token, answer.args) == (
            "xoxb-test",
            {
                "channel": "UOMAR",
                "text": "What mentorbot can do",
                "blocks": [header("mentorbot"), IN_A_PAIR],
                "metadata": await slack.metadata_of(answer),
            },
        )


async def test_an_old_button_over_socket_mode_is_acked_and_answered(engine, clock) -> None:
    async with slack_socket_app(engine, clock) as slack:
        payload = slack.click_payload("UADA", "pair.rematch", "1", response_id="old")
        ack = await slack.socket.send("interactive", payload)
        assert ack == {"envelope_id": "env-1"}
        assert await slack.deliver() == 1  # the answer, through the outbox
        assert slack.fake.responses_to("old") == [
            {
                "response_type": "ephemeral",
                "replace_original": False,
                "text": COULD_NOT,
                "blocks": [section("That button no longer does anything.")],
            }
        ]
