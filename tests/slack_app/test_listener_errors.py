"""A listener that fails (here: the database refuses a write) is logged by the error's type
and the listener's name only, never by its message, which for a database error holds the
SQL parameters, that is, people's words. The person gets a short private apology where
Slack has a private way back (a slash command's ack, a button's response_url); a DM gets
nothing more."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fakes.slack_harness import SlackHarness
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from structlog.testing import capture_logs

from bot.slack.failures import SORRY
from storage.db import session_factory
from storage.models import Concern

MARKER = "wombat-lantern-4410"
SORRY_PAYLOAD = {"response_type": "ephemeral", "text": SORRY}


def _refuse(slack: SlackHarness, statement: str) -> str:
    """Make the database fail every statement that starts with `statement`, as a full
    disk would: SQLAlchemy raises OperationalError, its message naming the parameters.
    Returns the name of the driver's error (the cause that is logged)."""
    refusal = slack.runtime.engine.dialect.dbapi.OperationalError  # sqlite3's, or asyncpg's

    def fail(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.startswith(statement):
            raise refusal("database or disk is full")

    event.listen(slack.runtime.engine.sync_engine, "before_cursor_execute", fail)
    return f"{refusal.__module__}.{refusal.__qualname__}"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[list[dict]]:
    """structlog's events, captured; standard-library records go to caplog from INFO (the
    libraries' DEBUG records, SQL included, are off in production: bot.logging)."""
    caplog.set_level(logging.INFO)
    with capture_logs() as captured:
        yield captured


def _nothing_personal(logs: list[dict], caplog: pytest.LogCaptureFixture, *more: str) -> None:
    everything = [repr(entry) for entry in logs] + [caplog.text, *more]
    everything += [r.getMessage() for r in caplog.records] + [
        repr(r.__dict__) for r in caplog.records
    ]
    for text in everything:
        assert MARKER not in text
        assert "parameters" not in text
        assert "INSERT INTO" not in text
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt")]


def _failures(logs: list[dict]) -> list[dict]:
    return [e for e in logs if e["event"].startswith("slack_")]


async def test_the_database_error_message_hides_the_words(demo) -> None:
    """SQLAlchemy's message for a failed INSERT names every parameter unless the engine is
    made with hide_parameters (storage.db does): the words must not be in it."""
    _refuse(demo, "INSERT INTO concern")
    with pytest.raises(OperationalError) as refused:
        async with session_factory(demo.runtime.engine)() as session:
            session.add(
                Concern(
                    program_id=1,
                    pair_id=1,
                    reporter_id=1,
                    kind="other",
                    severity="normal",
                    words=MARKER,
                    created_at=datetime.now(UTC),
                )
            )
            await session.commit()
    assert "INSERT INTO concern" in str(refused.value)  # the message is there
    assert MARKER not in str(refused.value)
    assert "hidden due to hide_parameters" in str(refused.value)


async def test_a_failing_command_is_logged_by_type_and_answered_with_an_apology(
    demo, logs, caplog, capfd
) -> None:
    cause = _refuse(demo, "INSERT INTO concern")
    reply = await demo.command("UOMAR", f"concern other {MARKER} said in confidence")
    assert (reply.status, reply.json) == (200, SORRY_PAYLOAD)
    assert _failures(logs) == [
        {
            "event": "slack_listener_failed",
            "log_level": "error",
            "error": "sqlalchemy.exc.OperationalError",
            "cause": cause,
            "listener": "bot.slack.listeners.commands.mentoring",
            "request": "command",
        }
    ]
    assert await demo.deliver() == 0  # nothing was recorded, so no one is told
    assert demo.fake.responses == []
    out, err = capfd.readouterr()
    _nothing_personal(logs, caplog, out, err)


async def test_a_failing_dm_is_logged_by_type_and_left_to_slacks_retry(
    demo, logs, caplog, capfd
) -> None:
    cause = _refuse(demo, "INSERT INTO concern")
    reply = await demo.event(demo.dm_event("UOMAR", f"concern other {MARKER}"))
    assert reply.status == 500  # Slack retries the event; the bot says nothing more
    assert _failures(logs) == [
        {
            "event": "slack_listener_failed",
            "log_level": "error",
            "error": "sqlalchemy.exc.OperationalError",
            "cause": cause,
            "listener": "bot.slack.listeners.events.direct_message",
            "request": "event:message",
        }
    ]
    assert await demo.deliver() == 0
    assert demo.fake.calls_to("chat.postMessage") == [] and demo.fake.responses == []
    out, err = capfd.readouterr()
    _nothing_personal(logs, caplog, out, err)


async def test_a_failing_click_gets_a_private_apology(scenario, logs, caplog, capfd) -> None:
    slack = await scenario("raised")
    async with session_factory(slack.runtime.engine)() as session:
        concern = (await session.exec(select(Concern))).one()
    cause = _refuse(slack, "UPDATE concern")
    reply = await slack.click("UADA", "concern.acknowledge", str(concern.id), response_id="oops")
    assert reply.status == 200  # answered: Slack shows no error on the button
    assert slack.fake.responses_to("oops") == [{**SORRY_PAYLOAD, "replace_original": False}]
    assert _failures(logs) == [
        {
            "event": "slack_listener_failed",
            "log_level": "error",
            "error": "sqlalchemy.exc.OperationalError",
            "cause": cause,
            "listener": "bot.slack.listeners.actions.button",
            "request": "block_actions",
        }
    ]
    async with session_factory(slack.runtime.engine)() as session:
        assert (await session.exec(select(Concern))).one().status == "open"
    out, err = capfd.readouterr()
    _nothing_personal(logs, caplog, out, err)


async def test_when_the_apology_cannot_be_sent_that_is_logged_by_type_too(
    scenario, logs, caplog
) -> None:
    slack = await scenario("raised")
    _refuse(slack, "UPDATE concern")
    # A response_url where nothing listens: respond() itself raises.
    payload = slack.click_payload("UADA", "concern.acknowledge", "1")
    payload["response_url"] = "http://127.0.0.1:9/nowhere"
    reply = await slack.post_form({"payload": json.dumps(payload)})
    assert reply.status == 200
    assert [(e["event"], e["error"]) for e in _failures(logs)] == [
        ("slack_listener_failed", "sqlalchemy.exc.OperationalError"),
        ("slack_apology_failed", "aiohttp.client_exceptions.ClientConnectorError"),
    ]
    _nothing_personal(logs, caplog)


async def test_a_command_failing_after_its_ack_is_logged_and_apologised_for(
    demo, logs, caplog, capfd
) -> None:
    """Past the budget the command was acked empty: its failure, later, is logged the same
    way, and the apology goes to its response_url."""
    demo.edge.answering.budget = 0
    cause = _refuse(demo, "INSERT INTO concern")
    reply = await demo.command("UOMAR", f"concern other {MARKER}", response_id="late")
    assert (reply.status, reply.text) == (200, "")
    await demo.finish()
    assert demo.fake.responses_to("late") == [{**SORRY_PAYLOAD, "replace_original": False}]
    assert _failures(logs) == [
        {
            "event": "slack_listener_failed",
            "log_level": "error",
            "error": "sqlalchemy.exc.OperationalError",
            "cause": cause,
            "listener": "bot.slack.listeners.commands.mentoring",
            "request": "command",
        }
    ]
    assert await demo.deliver() == 0
    out, err = capfd.readouterr()
    _nothing_personal(logs, caplog, out, err)
