"""The escalation policy over the real Slack edge and the fake Web API, with the injected
clock: reminders are new DMs (chat.postMessage, never an edit), the backup manager is sent
the concern with its history, a click on Acknowledge stops the walk and updates every copy;
a manager Slack says is gone (`user_not_found`) is passed over at once, while the app's own
token refused (`invalid_auth`) is an alarm that holds the walk until sending works again.

The `demo` scenario: Ada and Max manage Demo, Bea is its backup; Omar mentors Sam; all in
Europe/London. Sam raises an urgent concern at Monday 09:00."""

from __future__ import annotations

from typing import Any

from fakes.slack_api import RecordedCall
from fakes.slack_harness import (
    SlackHarness,
    actions,
    button,
    context,
    fields,
    header,
    section,
)
from sqlmodel import select

from handlers import due_work
from storage.db import session_factory
from storage.models import DueItem, DueStatus

HOUR = 3600
NOT_TOLD = context("The other member of the pair has not been told.")
STILL_OPEN = section("*No one has acknowledged this concern yet.*")
RAISED = "Mon 23 Nov 2026"
WORDS = "He shouts at me"


def copy(
    *lead: dict[str, Any],
    reminder: bool = False,
    history: tuple[str, ...] = (),
    ahead: str | None = None,
    acknowledged_by: str | None = None,
) -> list[dict[str, Any]]:
    """The blocks of a manager's copy of Sam's concern (concern 1)."""
    blocks = [
        header(f"Urgent concern: conduct{' (reminder)' if reminder else ''}"),
        *lead,
        fields(
            "*Program*\nDemo",
            "*Pair*\n<@UOMAR> (mentor) and <@USAM> (mentee)",
            "*Raised by*\n<@USAM>",
            f"*Raised*\n{RAISED}, 09:00 Europe/London",
        ),
        section(f"&gt; {WORDS}"),
    ]
    if history:
        blocks.append(section("*History*" + "".join(f"\n• {RAISED}, {line}" for line in history)))
    resolve = button("Resolve", "concern.resolve", "1")
    if acknowledged_by is None:
        blocks.append(
            actions(button("Acknowledge", "concern.acknowledge", "1", "primary"), resolve)
        )
        blocks += [context(ahead)] if ahead else []
        blocks.append(NOT_TOLD)
    else:
        blocks += [section(acknowledged_by), actions(resolve)]
    return blocks


async def step(slack: SlackHarness, clock, seconds: float) -> list[RecordedCall]:
    """Time passes, the due sweep runs, and what it queued is sent: the calls Slack got."""
    mark = len(slack.fake.calls)
    clock.advance(seconds)
    await due_work.run_due(slack.runtime.deps)
    while await slack.deliver():
        pass
    return slack.fake.calls[mark:]


def sent(calls: list[RecordedCall]) -> list[tuple[str, str]]:
    return [(c.method, c.args.get("channel", "")) for c in calls]


async def raise_concern(slack: SlackHarness) -> None:
    assert (await slack.command("USAM", f"concern conduct {WORDS}")).status == 200
    while await slack.deliver():
        pass


async def test_reminders_are_new_dms_and_the_backup_is_sent_the_concern_with_its_history(
    demo: SlackHarness, clock
) -> None:
    await raise_concern(demo)
    assert await step(demo, clock, HOUR - 60) == []
    reminded = await step(demo, clock, 60)  # 10:00
    assert sorted(sent(reminded)) == [("chat.postMessage", "UADA"), ("chat.postMessage", "UMAX")]
    ahead = (
        f"If no one acknowledges it by {RAISED}, 11:00 Europe/London, the backup managers will "
        "be told."
    )
    for call in reminded:
        assert call.args == {
            "channel": call.args["channel"],
            "text": (
                "Reminder: Urgent concern: conduct in Demo, not acknowledged yet. Open mentorbot."
            ),
            "blocks": copy(STILL_OPEN, reminder=True, ahead=ahead),
            "metadata": await demo.metadata_of(call),
        }
    [to_bea] = await step(demo, clock, HOUR)  # 11:00: Bea, never before
    assert to_bea.args == {
        "channel": "UBEA",
        "text": "Urgent concern: conduct in Demo. Open mentorbot to respond.",
        "blocks": copy(
            section(
                "*Escalated to you, a backup manager: no manager has acknowledged it in time.*"
            ),
            history=(
                "09:00 Europe/London · sent to <@UADA> and <@UMAX>",
                "10:00 Europe/London · reminder to <@UADA> and <@UMAX>",
            ),
        ),
        "metadata": await demo.metadata_of(to_bea),
    }
    # At the last level an urgent concern is repeated every hour, to Bea only.
    for _ in range(3):
        assert sent(await step(demo, clock, HOUR)) == [("chat.postMessage", "UBEA")]


async def test_the_backup_clicking_acknowledge_stops_the_walk_and_updates_every_copy(
    demo: SlackHarness, clock
) -> None:
    await raise_concern(demo)
    await step(demo, clock, HOUR)
    await step(demo, clock, HOUR)  # 11:00: Bea told
    channel, ts = demo.posted_ref("UBEA")
    reply = await demo.click("UBEA", "concern.acknowledge", "1", channel=channel, message_ts=ts)
    assert reply.status == 200
    mark = len(demo.fake.calls)
    while await demo.deliver():
        pass
    calls = demo.fake.calls[mark:]
    # Every copy is edited in place: Ada's and Max's DMs and reminders, and Bea's DM.
    updates = [c for c in calls if c.method == "chat.update"]
    posted = {(c.args["channel"], ts) for c in updates for ts in [c.args["ts"]]}
    refs = demo.refs_by_user()
    assert posted == {ref for user in ("UADA", "UMAX", "UBEA") for ref in refs[user]}
    history = (
        "09:00 Europe/London · sent to <@UADA> and <@UMAX>",
        "10:00 Europe/London · reminder to <@UADA> and <@UMAX>",
        "11:00 Europe/London · sent to <@UBEA>",
    )
    by = f"*Acknowledged by* <@UBEA> · {RAISED}, 11:00 Europe/London"
    for update in updates:
        mine = update.args["channel"] == refs["UBEA"][0][0]
        stamp = f"*Acknowledged by you* · {RAISED}, 11:00 Europe/London" if mine else by
        assert update.args["blocks"] == copy(history=history, acknowledged_by=stamp)
    # Sam is told; no one else gets anything, then or later.
    assert [c.args["channel"] for c in calls if c.method == "chat.postMessage"] == ["USAM"]
    assert await step(demo, clock, 48 * HOUR) == []
    assert await pending_steps(demo) == []


async def test_managers_slack_cannot_find_are_passed_over_for_the_backup_at_once(
    demo: SlackHarness, clock
) -> None:
    demo.fake.unreachable.update(UADA="user_not_found", UMAX="user_not_found")
    woken: list[bool] = []  # in production, the due sweep runs at once (bot/app.py)
    demo.runtime.dispatcher.on_undelivered_copy = lambda: woken.append(True)
    await raise_concern(demo)  # both refused: their rows fail
    assert woken
    # The same moment, not an hour later: Bea is told, and Sam is told who has it now.
    calls = await step(demo, clock, 0)
    assert sorted(sent(calls)) == [("chat.postMessage", "UBEA"), ("chat.postMessage", "USAM")]
    [to_bea] = [c for c in calls if c.args["channel"] == "UBEA"]
    assert to_bea.args["blocks"] == copy(
        section("*Sent to you, a backup manager: no manager of the program could be reached.*"),
        history=("09:00 Europe/London · could not reach <@UADA> and <@UMAX>",),
    )
    [to_sam] = [c for c in calls if c.args["channel"] == "USAM"]
    assert to_sam.args == {
        "channel": "USAM",
        "text": "Your concern went to the backup managers.",
        "blocks": [
            section(
                "Your concern about your pair with <@UOMAR> in *Demo* (conduct, "
                f"{RAISED}, 09:00 Europe/London) could not reach the program's managers, so its "
                "backup managers have been told."
            ),
            context("Your partner has not been told."),
        ],
        "metadata": await demo.metadata_of(to_sam),
    }
    reply = await demo.command("USAM", "concern status")
    assert "· not acknowledged yet" in reply.json["blocks"][0]["text"]["text"]
    # The walk goes on from Bea: reminded an hour later, and then every hour.
    assert sent(await step(demo, clock, HOUR)) == [("chat.postMessage", "UBEA")]


async def test_one_manager_unreachable_is_not_a_level_unreachable(
    demo: SlackHarness, clock
) -> None:
    demo.fake.unreachable["UADA"] = "user_not_found"
    await raise_concern(demo)
    assert await step(demo, clock, 0) == []  # Max has it
    reminded = await step(demo, clock, HOUR)
    assert sent(reminded) == [("chat.postMessage", "UMAX")]  # no reminder tried on Ada


async def test_the_apps_token_refused_is_an_alarm_and_the_walk_waits_for_sending_to_work(
    demo: SlackHarness, clock
) -> None:
    demo.fake.unreachable.update(UADA="invalid_auth", UMAX="invalid_auth")
    await raise_concern(demo)
    alarms = demo.runtime.dispatcher.platforms.alarms()
    assert alarms == {"slack": "Slack refused the bot token (invalid_auth)"}
    # Three hours without sending: no one was reached, so no one is passed over, and no
    # reminder or backup is sent on a clock no manager could see.
    for _ in range(3):
        calls = await step(demo, clock, HOUR)
        assert {c.args["channel"] for c in calls} <= {"UADA", "UMAX"}  # retries, refused
    assert demo.dms_to("UBEA") == [] and demo.dms_to("USAM") == []
    # 12:00: the token works again. The DMs go out, the alarm clears, and the walk counts
    # from now: reminded at 13:00, Bea told at 14:00.
    demo.fake.unreachable.clear()
    assert sorted(sent(await step(demo, clock, 60))) == [
        ("chat.postMessage", "UADA"),
        ("chat.postMessage", "UMAX"),
    ]
    assert demo.runtime.dispatcher.platforms.alarms() == {}
    assert await step(demo, clock, HOUR - 60) == []
    assert sorted(sent(await step(demo, clock, 60))) == [
        ("chat.postMessage", "UADA"),
        ("chat.postMessage", "UMAX"),
    ]
    assert sent(await step(demo, clock, HOUR)) == [("chat.postMessage", "UBEA")]


async def pending_steps(slack: SlackHarness) -> list[str]:
    async with session_factory(slack.runtime.engine)() as session:
        query = select(DueItem.key).where(
            DueItem.status == DueStatus.PENDING,
            DueItem.concern_id.is_not(None),  # type: ignore[union-attr]
        )
        return list((await session.exec(query)).all())


async def test_a_normal_concern_walks_in_working_days_and_is_reminded_once_at_the_backup(
    demo: SlackHarness, clock
) -> None:
    assert (await demo.command("UOMAR", "concern missed-meeting <@USAM|sam>")).status == 200
    while await demo.deliver():
        pass
    managers = [("chat.postMessage", "UADA"), ("chat.postMessage", "UMAX")]
    # Monday 09:00 + one working day (8 working hours) = Monday 17:00, and so on.
    assert await step(demo, clock, 8 * HOUR - 60) == []
    assert sorted(sent(await step(demo, clock, 60))) == managers
    assert await step(demo, clock, 24 * HOUR - 60) == []
    assert sent(await step(demo, clock, 60)) == [("chat.postMessage", "UBEA")]  # Tuesday 17:00
    assert await step(demo, clock, 24 * HOUR - 60) == []
    [reminder] = await step(demo, clock, 60)  # Wednesday 17:00, and no more
    assert reminder.args["text"] == (
        "Reminder: Concern: missed meeting in Demo, not acknowledged yet. Open mentorbot."
    )
    assert "You will be reminded" not in str(reminder.args["blocks"])
    later = await step(demo, clock, 7 * 24 * HOUR)  # briefing reminders, check-ins: not to them
    assert not {c.args.get("channel") for c in later} & {"UADA", "UMAX", "UBEA"}
    assert await pending_steps(demo) == []
