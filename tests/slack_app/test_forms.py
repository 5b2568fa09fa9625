"""Forms on Slack, through the test-only survey (tests/fakes/forms.py): a click on its
button opens a modal at once with the click's trigger id; a submission is checked by the
core before the acknowledgement, whose `response_action: errors` shows each problem by
its question; a good one is taken once and answered in the modal."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fakes.forms import CLOSED, IS_CLOSED, OBSTACLES, SURVEY, THANKS, Survey
from fakes.slack_api import TEAM_ID
from fakes.slack_harness import SlackHarness, section
from sqlalchemy import event
from sqlmodel import select
from structlog.testing import capture_logs

from bot.slack.app import SORRY
from bot.slack.listeners.views import CHANGED, NOT_OPENED, refuse_malformed
from handlers.form_router import NO_LONGER
from storage.db import session_factory
from storage.models import AuditEntry


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


def field(name: str, label: str, element: dict[str, Any], *, optional: bool = True) -> dict:
    return {
        "type": "input",
        "block_id": name,
        "label": plain(label),
        "optional": optional,
        "element": {**element, "action_id": "answer"},
    }


SURVEY_MODAL = {
    "type": "modal",
    "callback_id": SURVEY,
    "private_metadata": "week-1",
    "title": plain("Quick survey"),
    "submit": plain("Send"),
    "close": plain("Cancel"),
    "blocks": [
        section("A few questions about your week."),
        field(
            "mood",
            "How is it going?",
            {
                "type": "radio_buttons",
                "options": [
                    option("Good", "good"),
                    option("Okay", "okay"),
                    option("Struggling", "struggling"),
                ],
            },
            optional=False,
        ),
        field(
            "obstacle",
            "What gets in the way?",
            {  # six choices: a list, not radio buttons
                "type": "static_select",
                "placeholder": plain("Choose one"),
                "options": [option(label, value) for value, label in OBSTACLES],
            },
        ),
        field(
            "words",
            "Anything else?",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": 200,
                "placeholder": plain("Optional"),
            },
        ),
        field(
            "share",
            "Share my words with the program manager",
            {"type": "checkboxes", "options": [option("Yes", "yes")]},
        ),
        field("until", "Until when?", {"type": "datepicker"}),
    ],
}
GOOD = {"mood": "struggling", "obstacle": "not-meeting", "words": "We keep missing", "share": True}


def answered(text: str) -> dict[str, Any]:
    """The acknowledgement of a submission the core answered: its answer, in the modal."""
    return {
        "response_action": "update",
        "view": {
            "type": "modal",
            "title": plain("Quick survey"),
            "close": plain("Done"),
            "blocks": [section(text)],
        },
    }


async def _click(slack: SlackHarness, user: str, value: str, response_id: str) -> str:
    """`user` presses the survey's button; returns the click's trigger id."""
    payload = slack.click_payload(user, SURVEY, value, response_id=response_id)
    reply = await slack.post_form({"payload": json.dumps(payload)})
    assert (reply.status, reply.text) == (200, "")
    return payload["trigger_id"]


async def _audits(slack: SlackHarness) -> list[tuple[str, str]]:
    async with session_factory(slack.runtime.engine)() as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(a.action, a.subject) for a in rows]


async def test_a_click_opens_the_form_as_a_modal_with_its_trigger(demo, survey: Survey) -> None:
    trigger_id = await _click(demo, "USAM", "week-1", "sam-click")
    [opened] = demo.fake.calls_to("views.open")
    # Bolt's client names the workspace of the request in every call it makes.
    assert opened.args == {"trigger_id": trigger_id, "view": SURVEY_MODAL, "team_id": TEAM_ID}
    assert demo.fake.responses == []  # the modal is the answer: nothing said in the DM
    assert survey.received == []


async def test_a_form_that_will_not_open_says_why_privately(demo, survey: Survey) -> None:
    await _click(demo, "USAM", CLOSED, "sam-click")
    assert demo.fake.calls_to("views.open") == []
    assert demo.fake.responses == []  # queued in the outbox: Slack down delays it
    assert await demo.deliver() == 1
    assert demo.fake.responses_to("sam-click") == [
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": IS_CLOSED,
            "blocks": [section(IS_CLOSED)],
        }
    ]


async def test_a_trigger_that_expired_is_explained(demo, survey: Survey) -> None:
    demo.fake.fail_next("views.open", error="expired_trigger_id")
    await _click(demo, "USAM", "week-1", "sam-click")
    assert await demo.deliver() == 1
    assert demo.fake.responses_to("sam-click") == [
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": NOT_OPENED,
            "blocks": [section(NOT_OPENED)],
        }
    ]


async def test_a_missing_answer_is_shown_by_its_question_and_nothing_changes(
    demo, survey: Survey
) -> None:
    before = await demo.counts()
    reply = await demo.submit_view("USAM", SURVEY_MODAL, {**GOOD, "mood": None})
    assert reply.status == 200
    assert reply.json == {"response_action": "errors", "errors": {"mood": "Please choose one."}}
    assert survey.received == []
    assert await demo.counts() == before
    assert [c.method for c in demo.fake.calls] in ([], ["auth.test"])  # nothing sent


async def test_every_problem_at_once(demo, survey: Survey) -> None:
    reply = await demo.submit_view(
        "USAM", SURVEY_MODAL, {"words": "x" * 201, "until": "2026-02-30"}
    )
    assert reply.json == {
        "response_action": "errors",
        "errors": {
            "mood": "Please choose one.",
            "words": "Please keep this to 200 characters; it has 201.",
            "until": "Please give a date as yyyy-mm-dd, for example 2026-12-31.",
        },
    }


async def test_a_good_submission_is_taken_once_and_answered_in_the_modal(
    demo, survey: Survey
) -> None:
    before = await demo.counts()
    reply = await demo.submit_view("USAM", SURVEY_MODAL, {**GOOD, "until": "2027-01-31"})
    assert (reply.status, reply.json) == (200, answered(THANKS))
    assert survey.received == [
        (
            "USAM",
            "week-1",
            {
                "mood": "struggling",
                "obstacle": "not-meeting",
                "words": "We keep missing",
                "share": True,
                "until": "2027-01-31",
            },
        )
    ]
    assert (await _audits(demo))[-1] == ("test.survey.answered", "survey:week-1")
    assert await demo.counts() == {**before, "audit_log": before["audit_log"] + 1}


async def test_an_unticked_box_and_empty_answers(demo, survey: Survey) -> None:
    reply = await demo.submit_view("USAM", SURVEY_MODAL, {"mood": "good"})
    assert reply.json == answered(THANKS)
    assert survey.received == [
        (
            "USAM",
            "week-1",
            {"mood": "good", "obstacle": None, "words": None, "share": False, "until": None},
        )
    ]


async def test_the_value_is_checked_again_on_submit(demo, survey: Survey) -> None:
    # A modal claiming to be for a closed survey (private_metadata is what Slack sends
    # back; the core trusts it no more than any other answer).
    reply = await demo.submit_view("USAM", {**SURVEY_MODAL, "private_metadata": CLOSED}, GOOD)
    assert reply.json == answered(IS_CLOSED)
    assert survey.received == []


async def test_a_form_no_longer_in_use(demo) -> None:
    reply = await demo.submit_view("USAM", SURVEY_MODAL, GOOD)  # nothing registered
    assert reply.json == {
        "response_action": "update",
        "view": {
            "type": "modal",
            "title": plain("Quick survey"),
            "close": plain("Done"),
            "blocks": [section(NO_LONGER)],
        },
    }


async def test_a_problem_with_a_question_the_modal_does_not_show(demo, survey: Survey) -> None:
    old = {
        **SURVEY_MODAL,
        "blocks": [b for b in SURVEY_MODAL["blocks"] if b.get("block_id") != "mood"],
    }
    reply = await demo.submit_view("USAM", old, GOOD)
    assert reply.json == answered(CHANGED)
    assert survey.received == []


def _payload(slack: SlackHarness, change) -> dict[str, Any]:
    payload = slack.submission_payload("USAM", SURVEY_MODAL, GOOD)
    change(payload)
    return payload


MALFORMED = {
    "user missing": lambda p: p.pop("user"),
    "user an id": lambda p: p.update(user="USAM"),
    "view a string": lambda p: p.update(view="V1"),
    "no callback id": lambda p: p["view"].pop("callback_id"),
    "no view type": lambda p: p["view"].pop("type"),
    "view type a number": lambda p: p["view"].update(type=1),
    "metadata a number": lambda p: p["view"].update(private_metadata=7),
    "no state": lambda p: p["view"].pop("state"),
    "values a list": lambda p: p["view"]["state"].update(values=[]),
    "a block a string": lambda p: p["view"]["state"]["values"].update(mood="good"),
    "an input a list": lambda p: p["view"]["state"]["values"].update(mood={"answer": []}),
    "option a string": lambda p: p["view"]["state"]["values"]["mood"]["answer"].update(
        selected_option="good"
    ),
    "option value a number": lambda p: p["view"]["state"]["values"]["mood"]["answer"].update(
        selected_option={"value": 1}
    ),
    "ticked a dict": lambda p: p["view"]["state"]["values"]["share"]["answer"].update(
        selected_options={"value": "yes"}
    ),
    "ticked a string": lambda p: p["view"]["state"]["values"]["share"]["answer"].update(
        selected_options=["yes"]
    ),
    "text a number": lambda p: p["view"]["state"]["values"]["words"]["answer"].update(value=5),
    "date a list": lambda p: p["view"]["state"]["values"]["until"]["answer"].update(
        selected_date=["2027-01-01"]
    ),
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_submission_is_400_before_bolt(demo, survey: Survey, change) -> None:
    before = await demo.counts()
    reply = await demo.post_form({"payload": json.dumps(_payload(demo, change))})
    assert (reply.status, reply.json) == (400, {"error": "not a Slack request body"})
    assert survey.received == []
    assert await demo.counts() == before


async def test_the_listener_itself_refuses_a_malformed_submission(demo) -> None:
    """Socket Mode requests skip the HTTP check: the listener's middleware is theirs."""
    passed_on: list[bool] = []

    async def next_() -> None:
        passed_on.append(True)

    for change in MALFORMED.values():
        response = await refuse_malformed(_payload(demo, change), next_)
        assert response is not None
        assert (response.status, json.loads(response.body)) == (
            400,
            {"error": "malformed view_submission"},
        )
    assert passed_on == []
    assert await refuse_malformed(_payload(demo, lambda p: None), next_) is None
    assert passed_on == [True]


MARKER = "wombat-lantern-4410"


async def test_a_failing_submission_keeps_the_modal_open_and_its_words_out_of_the_log(
    demo, survey: Survey, caplog
) -> None:
    caplog.set_level(logging.DEBUG)

    refusal = demo.runtime.engine.dialect.dbapi.OperationalError  # sqlite3's, or asyncpg's

    def full_disk(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.startswith("INSERT INTO audit_log"):
            raise refusal("database or disk is full")

    event.listen(demo.runtime.engine.sync_engine, "before_cursor_execute", full_disk)
    with capture_logs() as logs:
        reply = await demo.submit_view("USAM", SURVEY_MODAL, {**GOOD, "words": MARKER})
    # By the first question: the modal stays, with every answer, for another try.
    assert (reply.status, reply.json) == (
        200,
        {"response_action": "errors", "errors": {"mood": SORRY}},
    )
    assert [e for e in logs if e["event"].startswith("slack_")] == [
        {
            "event": "slack_listener_failed",
            "log_level": "error",
            "error": "sqlalchemy.exc.OperationalError",
            "cause": f"{refusal.__module__}.{refusal.__qualname__}",
            "listener": "bot.slack.listeners.views.submitted",
            "request": "view_submission",
        }
    ]
    assert MARKER not in repr(logs) + caplog.text
    assert (await _audits(demo))[-1][0] != "test.survey.answered"  # rolled back
