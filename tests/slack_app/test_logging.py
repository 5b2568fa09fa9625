"""Logs never contain what participants write: a whole concern journey at DEBUG, through
the HTTP app, and the marker phrase of the concern is nowhere in the output."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from fakes.slack_harness import DEMO_SETUP, run_script, slack_app
from sqlmodel import select

from bot import logging as bot_logging
from handlers import due_work
from storage.db import session_factory
from storage.models import Concern

MARKER = "quokka-marmalade-7731"


@pytest.fixture
def debug_logging(caplog):
    """Call it to turn bot.logging to DEBUG/JSON (inside the test: capfd's stderr is in
    place only then); everything is restored afterwards."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved_levels = {name: logging.getLogger(name).level for name in bot_logging.QUIET_LIBRARIES}
    saved_structlog = structlog.get_config()

    def configure() -> None:
        bot_logging.configure("DEBUG", "json")
        # basicConfig(force=True) removed caplog's handler from the root logger: put it back.
        root.addHandler(caplog.handler)
        caplog.handler.setLevel(logging.DEBUG)

    try:
        yield configure
    finally:
        for handler in root.handlers[:]:
            if handler not in saved_root[0]:
                root.removeHandler(handler)
        for handler in saved_root[0]:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(saved_root[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.configure(**saved_structlog)


async def test_a_concern_journey_at_debug_logs_no_participant_words(
    engine, clock, capfd, caplog, debug_logging
) -> None:
    debug_logging()
    words = f"Sam said {MARKER} about me &amp; the team"
    async with slack_app(engine, clock) as slack:
        await run_script(slack, DEMO_SETUP)
        await slack.deliver()
        reply = await slack.command("UOMAR", f"concern confidentiality {words}")
        assert reply.json["text"] == "Your concern was recorded."
        assert await slack.deliver() == 2
        async with session_factory(engine)() as session:
            concern = (await session.exec(select(Concern))).one()
        channel, ts = slack.posted_ref("UADA")
        reply = await slack.click(
            "UADA",
            "concern.acknowledge",
            str(concern.id),
            channel=channel,
            message_ts=ts,
            response_id="ack",
        )
        assert reply.status == 200
        assert await slack.deliver() == 4  # both copies, Omar told, the clicker's answer
        # A manager's note is a person's words too.
        reply = await slack.command("UMAX", f"concern resolve {concern.id} {MARKER} noted")
        assert reply.json["text"] == "You resolved the concern."
        assert await slack.deliver() == 3
        await slack.event(slack.dm_event("UOMAR", f"concern other {MARKER} again"))
        # Free text that is no command: the answer names the unknown word it began with.
        reply = await slack.command("USAM", f"{MARKER} is how I feel")
        assert MARKER in reply.text
        await slack.event(slack.dm_event("USAM", f"{MARKER} is how I feel"))
        await slack.event(slack.home_event("UADA"))
        reply = await slack.command("UADA", "status")
        assert reply.status == 200
        # A late answer quoting what was typed, sent through the outbox to the response_url.
        slack.edge.answering.budget = 0
        address = f"{MARKER}@example.com"
        await slack.command("UADA", f"enrol <mailto:{address}|{address}> mentor")
        await slack.finish()
        await slack.deliver()
        assert MARKER in json.dumps(slack.fake.responses)
        logging.getLogger("slack_bolt.test").debug("a quiet library stays quiet")

    # The words did travel: to the managers' DMs and into the database.
    assert MARKER in json.dumps(slack.dms_to("UADA")[0].args)
    assert MARKER in (concern.words or "")

    out, err = capfd.readouterr()
    records = caplog.records
    assert "outbox_delivery" in err  # the bot did log, at DEBUG, as JSON
    structured = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert "outbox_delivery" in {entry["event"] for entry in structured}
    assert "a quiet library stays quiet" not in err
    everything = [out, err, caplog.text]
    everything += [r.getMessage() for r in records]
    everything += [repr(r.args) for r in records] + [repr(r.__dict__) for r in records]
    for text in everything:
        assert MARKER not in text
        assert "quokka" not in text.lower()


async def test_library_records_are_json_lines_too(demo, capfd, debug_logging) -> None:
    """aiohttp, Bolt, APScheduler and SQLAlchemy log through the standard library: in JSON
    mode their records are JSON lines like the bot's own, tracebacks inside (plain text)."""
    debug_logging()
    capfd.readouterr()
    await demo.event(demo.dm_event("UOMAR", f"concern other {MARKER}"))
    demo.fake.fail_next("views.publish", status=500)  # App Home cannot be shown
    reply = await demo.event(demo.home_event("UOMAR"))
    assert reply.status == 500  # the listener failed: bot.slack.app logs it by type only
    logging.getLogger("apscheduler.scheduler").warning("Run time of job %r was missed", "sweep")
    logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool").error("pool exhausted")
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError:
        logging.getLogger("aiohttp.server").exception("Error handling request")

    err = capfd.readouterr().err
    assert MARKER not in err
    lines = [json.loads(line) for line in err.splitlines()]  # each line is one JSON object
    # Not Bolt's "Failed to run listener function (error: …)" with the error's message and
    # traceback: a database error's message names its SQL parameters, people's words.
    assert [line for line in lines if line.get("logger", "").startswith("slack_bolt")] == []
    [failed] = [line for line in lines if line["event"] == "slack_listener_failed"]
    assert {k: v for k, v in failed.items() if k != "timestamp"} == {
        "event": "slack_listener_failed",
        "level": "error",
        "error": "slack_sdk.errors.SlackApiError",
        "cause": None,
        "listener": "bot.slack.listeners.events.home_opened",
        "request": "event:app_home_opened",
    }
    assert [
        {key: line[key] for key in ("logger", "level", "event")}
        for line in lines
        if line.get("logger", "mentorbot").startswith(("apscheduler", "sqlalchemy"))
    ] == [
        {
            "logger": "apscheduler.scheduler",
            "level": "warning",
            "event": "Run time of job 'sweep' was missed",
        },
        {
            "logger": "sqlalchemy.pool.impl.AsyncAdaptedQueuePool",
            "level": "error",
            "event": "pool exhausted",
        },
    ]
    [aiohttp] = [line for line in lines if line.get("logger") == "aiohttp.server"]
    assert aiohttp["exception"].startswith("Traceback (most recent call last):")  # plain text
    assert "ConnectionResetError: peer went away" in aiohttp["exception"]
    assert all(line["timestamp"].endswith("Z") for line in lines)


async def test_a_check_in_at_debug_logs_no_participant_words(
    engine, clock, capfd, caplog, debug_logging
) -> None:
    """A check-in's free text, shared with the managers, travels to their DMs: never to a log."""
    debug_logging()
    async with slack_app(engine, clock) as slack:
        await run_script(slack, DEMO_SETUP)
        await slack.deliver()
        clock.advance(14 * 24 * 3600)
        await due_work.run_due(slack.runtime.deps)
        while await slack.deliver():
            pass
        payload = slack.click_payload("USAM", "checkin.answer", "2", response_id="sam")
        reply = await slack.post_form({"payload": json.dumps(payload)})
        assert reply.status == 200
        [opened] = slack.fake.calls_to("views.open")
        answers = {"feeling": "struggling", "obstacle": "confidentiality"}
        words = {"words": f"Omar told everyone {MARKER}", "share_words": True}
        reply = await slack.submit_view("USAM", opened.args["view"], {**answers, **words})
        assert reply.json["response_action"] == "update"
        while await slack.deliver():
            pass
    assert MARKER in json.dumps(slack.dms_to("UADA")[-1].args)  # shared: the manager has it
    assert MARKER not in json.dumps([c.args for c in slack.dms_to("UOMAR")])
    out, err = capfd.readouterr()
    assert "checkin_raised_concern" in err
    everything = [out, err, caplog.text, *(repr(r.__dict__) for r in caplog.records)]
    for text in everything:
        assert "quokka" not in text.lower()
