"""Weeks of simulated time, as production runs them: bot processes (one, one restarted,
or two replicas) on one database and one pair of fake platforms, driven by an injected
clock. Each tick runs the runner's own jobs (scheduler/runner.py, looked up by their fixed
ids: the due sweep, then the outbox sweep's wake-up) and the dispatcher's loop, whose body
is `run_once` again while a round sent something. Nothing sleeps.

    async with mixed_platforms(...) as platforms, running_bot(platforms, url, clock) as bot:
        inbox = Inbox(platforms, clock, slack_people, teams_people)
        await bot.tick()
        inbox.collect()    # what reached people since, stamped with the clock

What a request answers in its own turn (a Teams reply, a Slack modal) is not a prompt:
`Inbox.skip` passes over it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.database import open_database
from fakes.bot_connector import SENDS
from fakes.mixed_harness import MixedPlatforms, mixed_bot
from fakes.slack_harness import SlackHarness
from fakes.teams_harness import TeamsHarness
from scheduler.runner import Schedule

DUE_SWEEP, OUTBOX_SWEEP = "due-sweep", "outbox-sweep"  # the runner's job ids


@dataclass
class Bot:
    """One bot process: its runtime, its schedule (built as `mentorbot` builds it, never
    started: the test says when its jobs run), both edges served on a port of its own."""

    slack: SlackHarness
    teams: TeamsHarness
    schedule: Schedule

    async def tick(self) -> None:
        """What the process does when its jobs fire at the clock's now."""
        await self._job(DUE_SWEEP)()
        await self._job(OUTBOX_SWEEP)()  # wakes the dispatcher's loop: its rounds follow
        while await self.slack.runtime.dispatcher.run_once():
            pass

    def _job(self, job_id: str) -> Any:
        job = self.schedule.scheduler.get_job(job_id)
        assert job is not None, f"the runner has no job {job_id!r}"
        return job.func


@asynccontextmanager
async def running_bot(platforms: MixedPlatforms, url: str, clock: Any) -> AsyncIterator[Bot]:
    """A bot process on the database at `url`, started as `mentorbot` starts (the schema
    checked, on SQLite a dead process's claims released) with an engine of its own; leaving
    it stops the process: whatever was in flight is only in the database."""
    engine = await open_database(url)
    try:
        async with mixed_bot(platforms, engine, clock) as (slack, teams):
            yield Bot(slack, teams, Schedule(slack.runtime.dispatcher, slack.runtime.deps))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Received:
    at: datetime  # UTC: the clock when it was sent
    person: str
    label: str
    payload: dict[str, Any]  # chat.postMessage's arguments, or the Teams activity


# What each kind of prompt says in its notification (Slack's `text`, Teams' `summary`).
NOTIFICATIONS = {
    "greeting": "You have a new mentoring partner in {program}.",
    "check-in": "How is it going with your mentoring partner?",
    "check-in reminder": "A reminder: how is it going with your mentoring partner?",
}
BRIEFING_REMINDER = "A reminder: please read your briefing and confirm it."


def label_of(notification: str, payload: dict[str, Any], program: str) -> str:
    """The kind of prompt, from its words; anything else is labelled so it shows in a diff."""
    if notification.startswith("Your role as a ") and notification.endswith(
        f" in {program}: please read."
    ):
        reminder = BRIEFING_REMINDER in json.dumps(payload)
        return "briefing reminder" if reminder else "briefing"
    for label, text in NOTIFICATIONS.items():
        if notification == text.format(program=program):
            return label
    return f"unexpected: {notification}"


class Inbox:
    """Every new message that reached a person (chat.postMessage to a Slack user; a Teams
    send into a person's 1:1), stamped with the clock at the time it was collected; and
    apart, every message updated in place (chat.update; a Teams activity replaced)."""

    def __init__(
        self,
        platforms: MixedPlatforms,
        clock: Any,
        slack_people: dict[str, str],
        teams_people: dict[str, str],
        program: str,
    ) -> None:
        """`slack_people`: Slack user id -> name; `teams_people`: harness key -> name."""
        self.platforms, self.clock, self.program = platforms, clock, program
        self.slack_people = slack_people
        self.teams_by_conversation = {
            platforms.teams_people[key].conversation_id: name for key, name in teams_people.items()
        }
        self.received: list[Received] = []
        self.updates: list[Received] = []
        self._slack_seen = self._teams_seen = 0
        self.skip()

    def skip(self) -> None:
        """What arrived so far is not collected (a request's own answers)."""
        self._slack_seen = len(self.platforms.slack_api.calls)
        self._teams_seen = len(self.platforms.connector.calls)

    def collect(self) -> list[Received]:
        """What arrived since the last look, stamped now."""
        new = self._from_slack() + self._from_teams()
        self.skip()
        self.received += new
        return new

    def _from_slack(self) -> list[Received]:
        api, now = self.platforms.slack_api, self.clock.now()
        found = []
        for call in api.calls[self._slack_seen :]:
            if call.method == "chat.update":
                person = self.slack_people.get(str(call.args["channel"]).removeprefix("D"))
                assert person is not None, call
                self.updates.append(Received(now, person, "update", call.args))
            if call.method != "chat.postMessage":
                continue
            person = self.slack_people.get(str(call.args["channel"]))
            assert person is not None and api.answer_to(call)["ok"], call
            label = label_of(call.args["text"], call.args, self.program)
            found.append(Received(now, person, label, call.args))
        return found

    def _from_teams(self) -> list[Received]:
        now, found = self.clock.now(), []
        for call in self.platforms.connector.calls[self._teams_seen :]:
            person = self.teams_by_conversation.get(call.conversation_id or "")
            if call.operation == "update_activity":
                assert person is not None and call.status == 200, call
                self.updates.append(Received(now, person, "update", call.body))
            if call.operation not in SENDS:
                continue
            assert person is not None and call.status == 200, call
            label = label_of(call.body.get("summary", ""), call.body, self.program)
            found.append(Received(now, person, label, call.body))
        return found

    def of(self, person: str) -> list[Received]:
        return [r for r in self.received if r.person == person]

    def updates_of(self, person: str) -> list[Received]:
        return [r for r in self.updates if r.person == person]


# ---------------------------------------------------------------------- what people do

CHECKIN_ANSWER, CONFIRM_READ = "checkin.answer", "briefing.confirm"  # the buttons' actions
GOING_WELL = {"feeling": "good", "obstacle": "nothing"}  # an answer that raises no concern
THANKS = (
    "Thank you: your check-in is recorded. Only you see your answers; your partner is never told."
)


def slack_button(payload: dict[str, Any], action: str) -> str:
    """The value of the button `action` in a chat.postMessage's blocks."""
    [value] = [
        element["value"]
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action
    ]
    return str(value)


def teams_button(activity: dict[str, Any], action: str) -> str:
    """The value of the Action.Submit `action` on an activity's Adaptive Card."""
    card = activity["attachments"][0]["content"]
    [value] = [a["data"]["value"] for a in card["actions"] if a["data"]["action"] == action]
    return str(value)


async def answer_on_slack(slack: SlackHarness, user: str, prompt: dict[str, Any]) -> None:
    """`user` presses Answer on the prompt, and sends the modal it opens: going well."""
    click = slack.click_payload(user, CHECKIN_ANSWER, slack_button(prompt, CHECKIN_ANSWER))
    opened = len(slack.fake.calls_to("views.open"))
    reply = await slack.post_form({"payload": json.dumps(click)})
    assert (reply.status, reply.text) == (200, "")
    [modal] = slack.fake.calls_to("views.open")[opened:]
    assert modal.args["trigger_id"] == click["trigger_id"]
    reply = await slack.submit_view(user, modal.args["view"], GOING_WELL)
    assert reply.status == 200 and THANKS in json.dumps(reply.json), reply


async def confirm_on_slack(slack: SlackHarness, user: str, briefing: dict[str, Any]) -> None:
    reply = await slack.click(user, CONFIRM_READ, slack_button(briefing, CONFIRM_READ))
    assert (reply.status, reply.text) == (200, "")


async def answer_on_teams(
    teams: TeamsHarness, who: str, prompt: dict[str, Any], timezone: str | None
) -> None:
    """`who` presses Answer on the prompt's card, and submits the form card it answers."""
    value = teams_button(prompt, CHECKIN_ANSWER)
    [form] = await teams.click(who, CHECKIN_ANSWER, value, timezone=timezone)
    card = form["attachments"][0]["content"]
    inputs = {f"answer:{name}": choice for name, choice in GOING_WELL.items()}
    [receipt] = await teams.send(teams.card_submit(who, card, inputs, timezone=timezone))
    assert receipt["text"] == THANKS, receipt


async def confirm_on_teams(
    teams: TeamsHarness, who: str, briefing: dict[str, Any], timezone: str | None
) -> None:
    value = teams_button(briefing, CONFIRM_READ)
    [thanks] = await teams.click(who, CONFIRM_READ, value, timezone=timezone)
    assert thanks["text"].startswith("Thank you: your briefing as a "), thanks
