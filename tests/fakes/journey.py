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
import re
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
    "briefing": re.compile(r"Your role as a (mentor|mentee) in .+: please read\."),
    "greeting": re.compile(r"You have a new mentoring partner in .+\."),
    "check-in": re.compile(r"How is it going with your mentoring partner\?"),
    "check-in reminder": re.compile(r"A reminder: how is it going with your mentoring partner\?"),
    # Answers to what someone typed (on Teams they come through the outbox): not prompts.
    "answer: paused": re.compile(r"Your prompts are paused\."),
    "answer: resumed": re.compile(r"Your prompts are back on\."),
}
PROMPTS = ("briefing", "briefing reminder", "greeting", "check-in", "check-in reminder")
BRIEFING_REMINDER = "A reminder: please read your briefing and confirm it."


def label_of(notification: str, payload: dict[str, Any]) -> str:
    """The kind of prompt, from its words; anything else is labelled so it shows in a diff."""
    for label, words in NOTIFICATIONS.items():
        if words.fullmatch(notification):
            reminder = label == "briefing" and BRIEFING_REMINDER in json.dumps(payload)
            return "briefing reminder" if reminder else label
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
    ) -> None:
        """`slack_people`: Slack user id -> name; `teams_people`: harness key -> name."""
        self.platforms, self.clock = platforms, clock
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
            label = label_of(call.args["text"], call.args)
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
            label = label_of(call.body.get("summary", ""), call.body)
            found.append(Received(now, person, label, call.body))
        return found

    def of(self, person: str) -> list[Received]:
        return [r for r in self.received if r.person == person]

    def updates_of(self, person: str) -> list[Received]:
        return [r for r in self.updates if r.person == person]
