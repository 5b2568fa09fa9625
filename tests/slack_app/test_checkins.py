"""A check-in on Slack, over signed requests: the prompt's button opens a modal with the
click's trigger; a submission missing the required answer is refused before the ack
(`response_action: errors`); a valid one raises the concern, whose DM reaches the
managers with the choices only (the words stay with the member unless shared)."""

from __future__ import annotations

import json
from typing import Any

from fakes.slack_api import TEAM_ID
from fakes.slack_harness import SlackHarness, section
from sqlmodel import select

from handlers import due_work
from storage.db import session_factory
from storage.models import OutboxMessage

DAY = 24 * 3600
WORDS = "Omar cancelled again and I feel stuck"


async def _asked(demo: SlackHarness, clock) -> str:
    """Two weeks after the pair started: the prompts go out; Sam's button value."""
    clock.advance(14 * DAY)
    await due_work.run_due(demo.runtime.deps)
    while await demo.deliver():
        pass
    [prompt] = [c for c in demo.dms_to("USAM") if "Check-in" in json.dumps(c.args)]
    return prompt


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


def checkbox(name: str, label: str) -> dict:
    return field(name, label, {"type": "checkboxes", "options": [option("Yes", "yes")]})


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def facts(*pairs: tuple[str, str]) -> dict[str, Any]:
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in pairs]
    return {"type": "section", "fields": fields}


CHECKIN_MODAL = {
    "type": "modal",
    "callback_id": "checkin.answer",
    "private_metadata": "2",  # the check-in's id: checked again on submit
    "title": plain("Check-in"),
    "submit": plain("Send"),
    "close": plain("Cancel"),
    "blocks": [
        section("How is it going with Omar? Your partner never sees your answers."),
        context(
            "Your partner is never told. Your words reach the program manager only if you "
            "choose to share them."
        ),
        field(
            "feeling",
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
            {
                "type": "static_select",
                "placeholder": plain("Choose one"),
                "options": [
                    option("Nothing", "nothing"),
                    option("We are not meeting", "not-meeting"),
                    option("My partner doesn't prepare", "no-preparation"),
                    option("Confidentiality", "confidentiality"),
                    option("Not a good match", "mismatch"),
                    option("Something else", "something-else"),
                ],
            },
        ),
        field(
            "words",
            "Anything you would like to add?",
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": 2000,
                "placeholder": plain("Optional"),
            },
        ),
        checkbox("share_words", "Share my words with the program manager"),
        checkbox("wants_contact", "I would like the program manager to contact me"),
    ],
}


def concern_dm(manager: str, row: int, words: dict[str, Any]) -> dict[str, Any]:
    return {
        "channel": manager,
        "text": "Concern: missed meeting in Demo. Open mentorbot to respond.",
        "blocks": [
            {"type": "header", "text": plain("Concern: missed meeting")},
            facts(
                ("Program", "Demo"),
                ("Pair", "<@UOMAR> (mentor) and <@USAM> (mentee)"),
                ("Raised by", "<@USAM>"),
                ("Raised", "Mon 07 Dec 2026, 09:00 Europe/London"),
            ),
            section("Raised from a private check-in. *They asked to be contacted.*"),
            facts(
                ("How it is going", "Struggling"),
                ("What gets in the way", "We are not meeting"),
                ("Contact asked for", "yes"),
            ),
            words,
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "concern.acknowledge",
                        "style": "primary",
                        "text": plain("Acknowledge"),
                        "value": "1",
                    },
                    {
                        "type": "button",
                        "action_id": "concern.resolve",
                        "text": plain("Resolve"),
                        "value": "1",
                    },
                ],
            },
            context("The other member of the pair has not been told."),
        ],
        "metadata": {"event_type": "mentorbot_outbox", "event_payload": {"row": row}},
    }


RECEIPT = {
    "response_action": "update",
    "view": {
        "type": "modal",
        "title": plain("Check-in"),
        "close": plain("Done"),
        "blocks": [
            section(
                "Your check-in is recorded. From your answers, I have passed a concern on at "
                "once, with the choices you made."
            ),
            section(
                "Thank you. The program managers of Demo have been told. I will let you know "
                "when it is acknowledged and when it is resolved, and by whom. Your partner "
                "has not been told."
            ),
            context("To see where your concerns stand: `/mentoring concern status`"),
        ],
    },
}
ANSWERS = {"feeling": "struggling", "obstacle": "not-meeting", "words": WORDS}


async def _open(demo: SlackHarness, clock) -> str:
    prompt = await _asked(demo, clock)
    [button] = prompt.args["blocks"][-1]["elements"]
    assert (button["action_id"], button["value"]) == ("checkin.answer", "2")
    payload = demo.click_payload("USAM", "checkin.answer", "2", response_id="sam-click")
    reply = await demo.post_form({"payload": json.dumps(payload)})
    assert (reply.status, reply.text) == (200, "")
    [opened] = demo.fake.calls_to("views.open")
    assert opened.args == {
        "trigger_id": payload["trigger_id"],
        "view": CHECKIN_MODAL,
        "team_id": TEAM_ID,
    }
    return payload["trigger_id"]


async def test_click_modal_errors_then_the_concern_dm_with_choices_only(demo, clock) -> None:
    await _open(demo, clock)
    before = await demo.counts()
    reply = await demo.submit_view("USAM", CHECKIN_MODAL, {"obstacle": "not-meeting"})
    assert (reply.status, reply.json) == (
        200,
        {"response_action": "errors", "errors": {"feeling": "Please choose one."}},
    )
    assert await demo.counts() == before
    sent = len(demo.fake.calls)
    reply = await demo.submit_view("USAM", CHECKIN_MODAL, {**ANSWERS, "wants_contact": True})
    assert (reply.status, reply.json) == (200, RECEIPT)
    while await demo.deliver():
        pass
    calls = demo.fake.calls[sent:]
    assert [c.method for c in calls] == ["chat.update", "chat.postMessage", "chat.postMessage"]
    update, to_ada, to_max = calls
    no_words = context("They shared no words.")
    assert to_ada.args == concern_dm("UADA", 10, no_words)  # rows 1-4: the briefings
    assert to_max.args == concern_dm("UMAX", 11, no_words)
    assert update.args["channel"] == "DUSAM"
    assert update.args["blocks"][1:3] == [
        section("How is it going with <@UOMAR>? Answered Mon 07 Dec 2026, 09:00 Europe/London."),
        section("You said: Struggling; in the way: We are not meeting; you asked to be contacted."),
    ]
    everything = json.dumps([c.args for c in demo.fake.calls])
    assert WORDS not in everything
    assert "UOMAR" not in {c.args.get("channel") for c in calls}
    # Submitted again (an old modal): refused, nothing more sent.
    again = await demo.submit_view("USAM", CHECKIN_MODAL, ANSWERS)
    assert again.json["view"]["blocks"][0]["text"]["text"].startswith(
        "You answered this check-in on Mon 07 Dec 2026, 09:00"
    )


async def test_shared_words_are_in_the_managers_dm(demo, clock) -> None:
    await _open(demo, clock)
    reply = await demo.submit_view(
        "USAM", CHECKIN_MODAL, {**ANSWERS, "share_words": True, "wants_contact": True}
    )
    assert reply.status == 200
    while await demo.deliver():
        pass
    to_ada = [c for c in demo.dms_to("UADA") if "Concern" in c.args["text"]][-1]
    quote = {"type": "section", "text": {"type": "mrkdwn", "text": f"&gt; {WORDS}"}}
    assert to_ada.args == concern_dm("UADA", 10, quote)
    assert WORDS not in json.dumps([c.args for c in demo.dms_to("UOMAR")])


async def test_a_managers_checkin_waits_for_the_recipients_working_hours(demo, clock) -> None:
    clock.advance(5 * DAY + 12 * 3600)  # Saturday 28 Nov 2026, 21:00 UTC
    reply = await demo.command("UADA", "checkin <@USAM|sam>")
    assert reply.status == 200
    assert reply.json["text"] == "Check-in sent in Demo."
    async with session_factory(demo.runtime.engine)() as session:
        query = select(OutboxMessage).where(OutboxMessage.subject == "checkin")
        [row] = (await session.exec(query)).all()
    assert row.dedupe_key == "checkin:1:prompt"
    assert f"{row.next_attempt_at:%a %d %b %H:%M}" == "Mon 30 Nov 09:00"  # London: UTC in winter
    assert await demo.deliver() == 0
