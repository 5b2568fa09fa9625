"""People living a journey (tests/fakes/journey.py): each acts on what reaches them, as
their plan says (answers a check-in, confirms a briefing, that long after it came), on
their own platform, through whichever bot serves the request; a script adds what the
managers and people type at given times.

    journey = Journey(platforms, clock, url, MEMBERS, slack_names={"UADA": "Ada"})
    await journey.start_bots()
    journey.at(when, "UADA", 'checkin <@UOMAR|omar> program "Capped"')
    await journey.live_until(end, outages=[(down, up)])
    journey.inbox.of("Omar")                   # what reached Omar, and when"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fakes.journey import Bot, Inbox, Received, running_bot
from fakes.mixed_harness import MixedPlatforms
from fakes.slack_harness import SlackHarness
from fakes.teams_harness import TeamsHarness

STEP = timedelta(minutes=30)
Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Member:
    name: str
    platform: str  # "slack" or "teams"
    id: str  # the Slack user id, or the Teams harness key
    zone: str  # where they work (the test's own knowledge, not the bot's)
    answers: dict[int, timedelta]  # the check-ins they answer (1 = the first), that long after
    confirms: tuple[str, timedelta] | None = None  # on first receiving that, after that long
    client_zone: str | None = None  # the localTimezone their Teams client reports


CHECKIN_ANSWER, CONFIRM_READ = "checkin.answer", "briefing.confirm"  # the buttons' actions
GOING_WELL = {"feeling": "good", "obstacle": "nothing"}  # an answer that raises no concern
THANKS = (
    "Thank you: your check-in is recorded. Your partner is never told; your program "
    "managers see it only in a concern it raised, or as an at-risk note in their status."
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


@dataclass
class Journey:
    """The people, the bots serving them, and what is still to be done, in time order."""

    platforms: MixedPlatforms
    clock: Any
    url: str
    members: list[Member]
    slack_names: dict[str, str] = field(default_factory=dict)  # others' DMs, watched too
    replicas: int = 1
    bots: list[Bot] = field(default_factory=list)
    todo: list[tuple[datetime, int, Action]] = field(default_factory=list)
    check_ins: dict[str, int] = field(default_factory=dict)  # received so far, per person
    confirming: set[str] = field(default_factory=set)  # who has decided to confirm
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _turns: itertools.count = field(default_factory=itertools.count)
    _order: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.by_name = {m.name: m for m in self.members}
        self.by_key = {m.id: m for m in self.members if m.platform == "teams"}
        on = {p: {m.id: m.name for m in self.members if m.platform == p} for p in PLATFORMS}
        slack = on["slack"] | self.slack_names
        self.inbox = Inbox(self.platforms, self.clock, slack, on["teams"])

    async def start_bots(self) -> None:
        for _ in range(self.replicas):
            bot = running_bot(self.platforms, self.url, self.clock)
            self.bots.append(await self._stack.enter_async_context(bot))

    async def stop_bots(self) -> None:
        await self._stack.aclose()
        self._stack, self.bots = AsyncExitStack(), []

    def serving(self) -> Bot:
        """The bot a request reaches: replicas take requests in turn."""
        return self.bots[next(self._turns) % len(self.bots)]

    async def introduce_teams_members(self) -> None:
        """Each Teams member writes to the bot (so that it can reach them); its answers are
        not prompts."""
        for member in self.members:
            if member.platform == "teams":
                teams = self.serving().teams
                await teams.send(teams.message(member.id, "help", timezone=member.client_zone))
        await self._tick()
        self.inbox.skip()

    async def type_on_slack(self, user: str, line: str) -> None:
        reply = await self.serving().slack.command(user, line)
        assert reply.status == 200 and "blocks" in reply.json, (line, reply)

    async def type_on_teams(self, key: str, line: str) -> None:
        """Answered through the outbox: what arrives is collected with the prompts."""
        teams, member = self.serving().teams, self.by_key[key]
        await teams.send(teams.message(key, line, timezone=member.client_zone))

    def at(self, when: datetime, who: str, line: str) -> None:
        """`who` (a Slack user id, or a Teams member's key) types `line` at `when`."""
        typing = self.type_on_teams if who in self.by_key else self.type_on_slack
        self.later(when, partial(typing, who, line))

    def later(self, at: datetime, action: Action) -> None:
        self.todo.append((at, next(self._order), action))
        self.todo.sort(key=lambda item: item[:2])

    async def live_until(
        self, end: datetime, *, outages: tuple[tuple[datetime, datetime], ...] = ()
    ) -> None:
        """Step by step until `end`: people act, every bot ticks, people react to what came.
        An outage (down, up): after the step at `down` the bots stop, and new ones start
        at `up` (the next step: a restart); meanwhile nothing runs, and nobody acts."""
        while self.clock.now() <= end:
            if any(up == self.clock.now() for _, up in outages):
                await self.start_bots()
            if self.bots:
                await self._act()
                await self._tick()
                for received in self.inbox.collect():
                    self._react(received)
            else:
                assert not self._due(), "someone acts while no bot runs: move the outage"
            if any(down == self.clock.now() for down, _ in outages):
                await self.stop_bots()  # what was in flight is only in the database now
            self.clock.advance(STEP.total_seconds())

    def _due(self) -> bool:
        return bool(self.todo) and self.todo[0][0] <= self.clock.now()

    async def _tick(self) -> None:
        await asyncio.gather(*(bot.tick() for bot in self.bots))  # replicas at once

    async def _act(self) -> None:
        while self._due():
            _, _, action = self.todo.pop(0)
            await action()
        self.inbox.skip()  # what the requests answered in their own turn

    def _react(self, received: Received) -> None:
        member = self.by_name.get(received.person)
        if member is None:
            return
        if received.label == "check-in":
            nth = self.check_ins[member.name] = self.check_ins.get(member.name, 0) + 1
            if nth in member.answers:
                self.later(
                    received.at + member.answers[nth], partial(self._answer, member, received)
                )
        confirms = member.confirms
        if confirms and received.label == confirms[0] and member.name not in self.confirming:
            self.confirming.add(member.name)  # once
            self.later(received.at + confirms[1], partial(self._confirm, member, received))

    async def _answer(self, member: Member, prompt: Received) -> None:
        bot = self.serving()
        if member.platform == "slack":
            await answer_on_slack(bot.slack, member.id, prompt.payload)
        else:
            await answer_on_teams(bot.teams, member.id, prompt.payload, member.client_zone)

    async def _confirm(self, member: Member, briefing: Received) -> None:
        bot = self.serving()
        if member.platform == "slack":
            await confirm_on_slack(bot.slack, member.id, briefing.payload)
        else:
            await confirm_on_teams(bot.teams, member.id, briefing.payload, member.client_zone)


PLATFORMS = ("slack", "teams")
