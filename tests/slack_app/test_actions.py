"""The buttons on a concern DM: Acknowledge and Resolve. The clicker gets a private word
through the outbox, posted to the click's response_url (so Slack being down delays it,
never loses it); every manager's copy is updated in place (chat.update on the channel and
ts that chat.postMessage returned), showing who did what and when."""

from __future__ import annotations

from datetime import UTC

import pytest
from fakes.slack_harness import (
    SlackHarness,
    actions,
    button,
    context,
    fields,
    header,
    run_script,
    section,
)
from sqlmodel import select

from handlers.concerns.actions import NOT_YOURS
from handlers.router import COULD_NOT
from storage.db import session_factory
from storage.models import AuditEntry, Concern, Person

NOTIFICATION = "Concern: missed meeting in Demo. Open mentorbot to respond."


def _copy(value: str, *progress: dict) -> list[dict]:
    return [
        header("Concern: missed meeting"),
        fields(
            "*Program*\nDemo",
            "*Pair*\n<@UOMAR> (mentor) and <@USAM> (mentee)",
            "*Raised by*\n<@UOMAR>",
            "*Raised*\nMon 23 Nov 2026, 09:00 Europe/London",
        ),
        section("&gt; Sam did not come"),
        *progress,
    ]


def _private(text: str, message: str, *more: dict) -> list[dict]:
    """What the outbox posted to the click's response_url: only the clicker sees it."""
    return [
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": text,
            "blocks": [section(message), *more],
        }
    ]


ACKNOWLEDGED_TOLD = context("<@UOMAR>, who raised it, has been told that you acknowledged it.")
RESOLVED_TOLD = context("<@UOMAR>, who raised it, has been told that it is resolved.")


async def _concern(slack: SlackHarness) -> Concern:
    async with session_factory(slack.runtime.engine)() as session:
        return (await session.exec(select(Concern))).one()


async def _person_id(slack: SlackHarness, name: str) -> int:
    async with session_factory(slack.runtime.engine)() as session:
        person = (await session.exec(select(Person).where(Person.display_name == name))).one()
        assert person.id is not None
        return person.id


@pytest.fixture
async def raised(scenario) -> tuple[SlackHarness, str]:
    """The demo, where Omar raised a concern and Ada and Max got their DMs (chat.postMessage
    answers in `slack.earlier`). Returns the concern id too."""
    slack = await scenario("raised")
    concern = await _concern(slack)
    assert concern.status == "open"
    assert {user: len(refs) for user, refs in slack.earlier.items()} == {
        "UOMAR": 2,  # the briefing, the greeting
        "USAM": 2,
        "UADA": 1,
        "UMAX": 1,
    }
    return slack, str(concern.id)


async def _click(slack: SlackHarness, user: str, action: str, value: str, response_id: str):
    try:
        channel, ts = slack.posted_ref(user)
    except IndexError:  # never sent a DM: a forged click
        channel, ts = f"D{user}", "1700000000.999999"
    reply = await slack.click(
        user, action, value, channel=channel, message_ts=ts, response_id=response_id
    )
    assert (reply.status, reply.text) == (200, "")  # acked; the answer goes through the outbox
    assert slack.fake.responses_to(response_id) == []  # not yet: queued


async def _answered(slack: SlackHarness, user: str, action: str, value: str, response_id: str):
    """Click, let the outbox send what is due, and return what reached the response_url."""
    await _click(slack, user, action, value, response_id)
    await slack.deliver()
    return slack.fake.responses_to(response_id)


async def test_acknowledge_records_who_and_when_and_updates_every_copy(demo, clock) -> None:
    slack = demo
    reply = await slack.command("UOMAR", "concern missed-meeting Sam did not come")
    assert reply.json["text"] == "Your concern was recorded."
    assert await slack.deliver() == 2
    value = str((await _concern(slack)).id)
    clock.advance(5 * 60)
    await _click(slack, "UADA", "concern.acknowledge", value, "ada-ack")
    concern = await _concern(slack)
    assert concern.status == "acknowledged"
    assert concern.acknowledged_by_id == await _person_id(slack, "Ada")
    assert concern.acknowledged_at.replace(tzinfo=UTC) == clock.now()
    async with session_factory(slack.runtime.engine)() as session:
        audit = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()[-1]
    assert (audit.action, audit.subject) == ("concern.acknowledge", f"concern:{value}")

    assert slack.updates() == []  # through the outbox
    assert await slack.deliver() == 4  # Ada's answer, both copies updated, and Omar told
    assert slack.fake.responses_to("ada-ack") == _private(
        "You acknowledged the concern.",
        "You acknowledged the concern. The other managers can see that you have it.",
        ACKNOWLEDGED_TOLD,
    )
    resolve_only = actions(button("Resolve", "concern.resolve", value))
    stamp = "Mon 23 Nov 2026, 09:05 Europe/London"
    updates = {c.args["channel"]: c.args for c in slack.updates()}
    ada_channel, ada_ts = slack.posted_ref("UADA")
    max_channel, max_ts = slack.posted_ref("UMAX")
    assert (ada_channel, max_channel) == ("DUADA", "DUMAX")
    assert updates == {
        ada_channel: {
            "channel": ada_channel,
            "ts": ada_ts,
            "text": NOTIFICATION,
            "blocks": _copy(value, section(f"*Acknowledged by you* · {stamp}"), resolve_only),
        },
        max_channel: {
            "channel": max_channel,
            "ts": max_ts,
            "text": NOTIFICATION,
            "blocks": _copy(value, section(f"*Acknowledged by* <@UADA> · {stamp}"), resolve_only),
        },
    }
    # The copies were updated in place, not re-posted; Omar, who raised it, is told.
    assert [c.args["channel"] for c in slack.fake.calls_to("chat.postMessage")] == [
        "UADA",
        "UMAX",
        "UOMAR",
    ]
    [to_omar] = slack.dms_to("UOMAR")
    assert to_omar.args == {
        "channel": "UOMAR",
        "text": "Your concern was acknowledged.",
        "blocks": [
            section(
                "The concern you raised about your pair with <@USAM> in *Demo* (missed meeting, "
                "Mon 23 Nov 2026, 09:00 Europe/London) was acknowledged by <@UADA>."
            ),
            context("I will tell you when it is resolved. Your partner has not been told."),
        ],
        "metadata": await slack.metadata_of(to_omar),
    }
    assert slack.dms_to("UBEA") == slack.dms_to("USAM") == []

    # A second click, by anyone, is refused politely and changes nothing but the answers.
    before = await slack.counts()
    answer = await _answered(slack, "UMAX", "concern.acknowledge", value, "max-ack")
    assert answer == _private(
        "Already acknowledged.", "This concern was already acknowledged by Ada."
    )
    answer = await _answered(slack, "UADA", "concern.acknowledge", value, "ada-again")
    assert answer == _private(
        "Already acknowledged.", "This concern was already acknowledged by you."
    )
    assert await slack.counts() == {
        **before,
        "outbox": before["outbox"] + 2,  # the answers
        "processed_event": before["processed_event"] + 2,  # each click, done once
    }
    assert await slack.deliver() == 0
    assert len(slack.updates()) == 2


async def test_resolve_after_acknowledge_updates_every_copy(raised, clock) -> None:
    slack, value = raised
    clock.advance(5 * 60)
    await _click(slack, "UADA", "concern.acknowledge", value, "ada-ack")
    await slack.deliver()
    clock.advance(60 * 60)
    await _click(slack, "UMAX", "concern.resolve", value, "max-resolve")
    concern = await _concern(slack)
    assert concern.status == "resolved"
    assert concern.resolved_by_id == await _person_id(slack, "Max")
    assert concern.resolved_at.replace(tzinfo=UTC) == clock.now()

    assert await slack.deliver() == 4  # Max's answer, both copies updated, and Omar told
    assert slack.fake.responses_to("max-resolve") == _private(
        "You resolved the concern.", "You marked the concern resolved.", RESOLVED_TOLD
    )
    latest = {c.args["channel"]: c.args for c in slack.updates()[2:]}
    acked, resolved = "Mon 23 Nov 2026, 09:05 Europe/London", "Mon 23 Nov 2026, 10:05 Europe/London"
    assert latest == {
        "DUADA": {
            "channel": "DUADA",
            "ts": slack.posted_ref("UADA")[1],
            "text": NOTIFICATION,
            "blocks": _copy(
                value,
                section(f"*Acknowledged by you* · {acked}"),
                section(f"*Resolved by* <@UMAX> · {resolved}"),
            ),
        },
        "DUMAX": {
            "channel": "DUMAX",
            "ts": slack.posted_ref("UMAX")[1],
            "text": NOTIFICATION,
            "blocks": _copy(
                value,
                section(f"*Acknowledged by* <@UADA> · {acked}"),
                section(f"*Resolved by you* · {resolved}"),
            ),
        },
    }
    # Resolved is final: both buttons are now refused.
    before = await slack.counts()
    answer = await _answered(slack, "UADA", "concern.resolve", value, "ada-resolve")
    assert answer == _private("Already resolved.", "This concern was already resolved by Max.")
    answer = await _answered(slack, "UADA", "concern.acknowledge", value, "ada-ack-2")
    assert answer == _private("Already resolved.", "This concern was already resolved by Max.")
    assert await slack.counts() == {
        **before,
        "outbox": before["outbox"] + 2,
        "processed_event": before["processed_event"] + 2,
    }
    assert await slack.deliver() == 0


async def test_resolve_straight_away(raised) -> None:
    slack, value = raised
    await _click(slack, "UMAX", "concern.resolve", value, "max-resolve")
    assert await slack.deliver() == 4
    assert slack.fake.responses_to("max-resolve") == _private(
        "You resolved the concern.", "You marked the concern resolved.", RESOLVED_TOLD
    )
    update = next(c.args for c in slack.updates() if c.args["channel"] == "DUADA")
    assert update["blocks"] == _copy(
        value, section("*Resolved by* <@UMAX> · Mon 23 Nov 2026, 09:00 Europe/London")
    )


async def test_acknowledged_before_the_dm_went_out_it_goes_out_updated(demo) -> None:
    await demo.command("UOMAR", "concern missed-meeting Sam did not come")
    value = str((await _concern(demo)).id)
    await _click(demo, "UMAX", "concern.acknowledge", value, "max-ack")
    assert (
        await demo.deliver() == 4
    )  # Max's answer, the two DMs updated before they left, Omar told
    assert demo.fake.responses_to("max-ack")[0]["text"] == "You acknowledged the concern."
    assert demo.updates() == []
    [to_ada] = demo.dms_to("UADA")
    assert to_ada.args["blocks"] == _copy(
        value,
        section("*Acknowledged by* <@UMAX> · Mon 23 Nov 2026, 09:00 Europe/London"),
        actions(button("Resolve", "concern.resolve", value)),
    )


@pytest.mark.parametrize(
    ("user", "value"),
    [
        ("USAM", None),  # the other member of the pair
        ("UOMAR", None),  # the reporter
        ("ULENA", None),  # a stranger, never seen before
        ("UADA", "abc"),  # not a concern id
        ("UADA", "999"),  # no such concern
        ("UADA", ""),
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_only_the_programs_managers_can_act(unchanged_raised, user, value) -> None:
    slack = unchanged_raised
    concern_id = str((await _concern(slack)).id)
    before = await slack.counts()
    for action in ("concern.acknowledge", "concern.resolve"):
        target = concern_id if value is None else value
        answer = await _answered(slack, user, action, target, f"{user}-{action}")
        assert answer == _private(COULD_NOT, NOT_YOURS)
    # Nothing changed but the two answers (and a stranger, now known to the bot).
    changed = {"outbox": before["outbox"] + 2}
    if user == "ULENA":
        changed |= {"person": before["person"] + 1, "identity": before["identity"] + 1}
    assert await slack.counts() == {**before, **changed}
    assert (await _concern(slack)).status == "open"
    assert await slack.deliver() == 0
    assert slack.updates() == []


async def test_a_manager_in_the_pair_cannot_act_and_a_backup_can(scenario) -> None:
    slack = await scenario("only_manager_in_pair")  # Ada, the only manager, mentors Sam
    await run_script(slack, [("USAM", "concern other It is not working")])
    assert await slack.deliver() == 1
    value = str((await _concern(slack)).id)
    answer = await _answered(slack, "UADA", "concern.acknowledge", value, "ada-ack")
    assert answer == _private(COULD_NOT, NOT_YOURS)
    assert (await _concern(slack)).status == "open"
    await _click(slack, "UBEA", "concern.acknowledge", value, "bea-ack")
    assert await slack.deliver() == 3  # Bea's answer, her copy updated, and Sam told
    assert slack.fake.responses_to("bea-ack")[0]["text"] == "You acknowledged the concern."
    assert [dm.args["text"] for dm in slack.dms_to("USAM")] == ["Your concern was acknowledged."]
    assert slack.dms_to("UADA") == []  # Ada, his mentor, hears nothing of it
    [update] = slack.updates()
    assert (update.args["channel"], update.args["ts"]) == slack.posted_ref("UBEA")
    assert update.args["blocks"][3:] == [
        section("*Acknowledged by you* · Mon 23 Nov 2026, 09:00 Europe/London"),
        actions(button("Resolve", "concern.resolve", value)),
    ]


async def test_a_button_from_an_older_version_is_acked_and_answered_privately(raised) -> None:
    slack, value = raised
    before = await slack.counts()
    reply = await slack.click("UADA", "concern.rematch", value, response_id="old")
    assert (reply.status, reply.text) == (200, "")  # acked: Slack shows the person no error
    assert await slack.counts() == {**before, "outbox": before["outbox"] + 1}  # the answer
    assert await slack.deliver() == 1
    assert slack.fake.responses_to("old") == _private(
        COULD_NOT, "That button no longer does anything."
    )
    assert await slack.deliver() == 0
    # Nothing posted, nothing updated: the only Slack call is Bolt learning who the bot is.
    assert [call.method for call in slack.fake.calls] == ["auth.test"]
