"""Twelve weeks of a program, lived in simulated time: two pairs whose four members work in
New York, Vilnius and Tokyo, on Slack and on Teams, from late February to late May 2027.
The weeks cross the US change to summer time (Sunday 14 March) and the EU one (Sunday 28
March), and thirteen weekends.

Each person receives exactly the prompts expected, at the local times expected, each in
their working hours (Monday to Friday, 09:00-17:00 where they are): the role briefing on
enrolment, its reminder 3 working days on if unconfirmed, the greeting on pairing, the
check-ins 2 and 4 weeks after the pair started and then every 4 weeks, and a check-in's
reminder 3 working days on if unanswered. The expected lists below are worked out by hand
from those rules, not by the code under test.

Time moves in steps of 30 minutes (every expected time falls on one); at each step every
bot process runs its runner's jobs and dispatcher (tests/fakes/journey.py). People act on
what reaches them: Nora confirms her briefing the next day, Rasa two hours after its
reminder; most answer the check-ins of their plan two hours after the prompt. Kenji leaves
things to the evening before their reminder goes out: decided at 17:00 his time, it waits
for 09:00 the next morning, and by then he has answered, so it must not come.

The same sequence, with nothing twice, when the bot is stopped mid-way and a new one
started on the same database, and when two replicas sweep and dispatch one PostgreSQL
database at once, taking requests in turn."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from conftest import FakeClock
from fakes.journey import (
    Bot,
    Inbox,
    Received,
    answer_on_slack,
    answer_on_teams,
    confirm_on_slack,
    confirm_on_teams,
    running_bot,
)
from fakes.mixed_harness import MixedPlatforms, mixed_platforms
from fakes.teams_harness import TeamsPerson
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

PROGRAM = "Twelve"
NEW_YORK, VILNIUS, TOKYO = "America/New_York", "Europe/Vilnius", "Asia/Tokyo"

# Wednesday 24 February 2027, 14:30 UTC: 09:30 in New York, 16:30 in Vilnius, 23:30 in Tokyo.
START = datetime(2027, 2, 24, 14, 30, tzinfo=UTC)
SECOND_PAIR = datetime(2027, 2, 26, 13, 30, tzinfo=UTC)  # Friday: 08:30 in New York
END = datetime(2027, 5, 26, 18, 0, tzinfo=UTC)  # after the last reminder of week 12
STEP = timedelta(minutes=30)
# Wednesday 21 April, 14:30 UTC: Nora's round-3 check-in has just gone out, Kenji's waits in
# the outbox for his morning, Nora is about to answer hers; the next rounds are due items.
RESTART_AFTER = datetime(2027, 4, 21, 14, 30, tzinfo=UTC)
ANSWER_AFTER = timedelta(hours=2)
# From 09:00 on a Thursday in Tokyo to 21:00 on the Monday after: after the reminder was
# decided (17:00), before it goes out (Tuesday 09:00).
THE_EVENING_BEFORE = timedelta(days=4, hours=12)


@dataclass
class Member:
    name: str
    platform: str
    id: str  # the Slack user id, or the Teams harness key
    zone: str  # where they work (the test's own knowledge)
    answers: dict[int, timedelta]  # the check-in rounds they answer, that long after
    confirms: tuple[str, timedelta] | None = None  # on receiving that, after that long
    client_zone: str | None = None  # the localTimezone their Teams client reports


MEMBERS = [
    # Slack: the zone is users.info's `tz`.
    Member(
        "Nora",
        "slack",
        "UNORA",
        NEW_YORK,
        {2: ANSWER_AFTER, 3: ANSWER_AFTER},
        ("briefing", timedelta(days=1)),
    ),
    Member(
        "Kenji",
        "slack",
        "UKENJI",
        TOKYO,
        {1: ANSWER_AFTER, 2: THE_EVENING_BEFORE, 3: ANSWER_AFTER},
        ("briefing", THE_EVENING_BEFORE),
    ),
    # Teams: Rasa's client never says her zone, so the program's (Vilnius) is hers; Ned's says.
    Member("Rasa", "teams", "rasa", VILNIUS, {}, ("briefing reminder", ANSWER_AFTER)),
    Member(
        "Ned",
        "teams",
        "ned",
        NEW_YORK,
        {2: ANSWER_AFTER, 3: ANSWER_AFTER, 4: ANSWER_AFTER},
        client_zone=NEW_YORK,
    ),
]
BY_NAME = {m.name: m for m in MEMBERS}
SLACK_PEOPLE = {
    "UADA": ("Ada", "ada@example.com"),
    "UNORA": ("Nora", "nora@example.com"),
    "UKENJI": ("Kenji", "kenji@example.com"),
}
SLACK_ZONES = {"UADA": "Europe/London", "UNORA": NEW_YORK, "UKENJI": TOKYO}
TEAMS_PEOPLE = {
    key: TeamsPerson(key, f"29:1{key}", name, f"aad-{key}", f"{key}@example.com")
    for key, name in [("rasa", "Rasa Jonaite"), ("ned", "Ned Lamont")]
}
SETUP = [  # Ada, on Slack, at START
    f'program create "{PROGRAM}"',
    "program set timezone Europe/Vilnius",
    "enrol <@UNORA|nora> mentor",
    "enrol <@UKENJI|kenji> mentee",
    "enrol rasa@example.com mentor",
    "enrol ned@example.com mentee",
    "pair <@UNORA|nora> <@UKENJI|kenji> confirm",  # before their briefings are read
]
PAIR_AGAIN = "pair rasa@example.com ned@example.com confirm"  # at SECOND_PAIR

# Local times, each person's own. Nora and Kenji's pair started Wednesday 24 February at
# 14:30 UTC, so its rounds fall due on Wednesdays at 14:30 UTC; Rasa and Ned's started
# Friday 26 February at 13:30 UTC. Three working days are counted in local working hours
# from the first working moment, and a reminder falling due at 17:00 goes out at 09:00 on
# the next working day.
EXPECTED = {
    "Nora": [
        ("Wed 24 Feb 2027 09:30", "briefing"),  # confirmed the next day: no reminder
        ("Wed 24 Feb 2027 09:30", "greeting"),
        ("Wed 10 Mar 2027 09:30", "check-in"),  # 14:30 UTC in standard time
        ("Mon 15 Mar 2027 09:30", "check-in reminder"),  # the US changed: 13:30 UTC
        ("Wed 24 Mar 2027 10:30", "check-in"),  # 14:30 UTC in summer time; answered
        ("Wed 21 Apr 2027 10:30", "check-in"),  # answered
        ("Wed 19 May 2027 10:30", "check-in"),
        ("Mon 24 May 2027 10:30", "check-in reminder"),
    ],
    "Kenji": [  # 23:30 in Tokyo: everything waits for the morning
        ("Thu 25 Feb 2027 09:00", "briefing"),  # confirmed Mon 1 Mar, 21:00
        ("Thu 25 Feb 2027 09:00", "greeting"),
        # (Its reminder, decided at the end of Thu, Fri, Mon, would go on Tue 2 Mar 09:00.)
        ("Thu 11 Mar 2027 09:00", "check-in"),  # answered
        ("Thu 25 Mar 2027 09:00", "check-in"),  # answered Mon 29 Mar, 21:00
        # (Its reminder would go on Tue 30 Mar 09:00.)
        ("Thu 22 Apr 2027 09:00", "check-in"),  # answered
        ("Thu 20 May 2027 09:00", "check-in"),
        ("Tue 25 May 2027 09:00", "check-in reminder"),
    ],
    "Rasa": [
        ("Wed 24 Feb 2027 16:30", "briefing"),
        ("Fri 26 Feb 2027 15:30", "greeting"),
        ("Mon 01 Mar 2027 16:30", "briefing reminder"),  # confirmed two hours later
        ("Fri 12 Mar 2027 15:30", "check-in"),
        ("Wed 17 Mar 2027 15:30", "check-in reminder"),
        ("Fri 26 Mar 2027 15:30", "check-in"),  # the last Friday of winter time
        ("Wed 31 Mar 2027 15:30", "check-in reminder"),  # counted across the EU change
        ("Fri 23 Apr 2027 16:30", "check-in"),  # 13:30 UTC is 16:30 in summer time
        ("Wed 28 Apr 2027 16:30", "check-in reminder"),
        ("Fri 21 May 2027 16:30", "check-in"),
        ("Wed 26 May 2027 16:30", "check-in reminder"),
    ],
    "Ned": [
        ("Wed 24 Feb 2027 09:30", "briefing"),
        ("Fri 26 Feb 2027 09:00", "greeting"),  # paired at 08:30 his time
        ("Mon 01 Mar 2027 09:30", "briefing reminder"),
        ("Fri 12 Mar 2027 09:00", "check-in"),  # due at 08:30 (standard time)
        ("Wed 17 Mar 2027 09:00", "check-in reminder"),  # Fri, Mon, Tue across the US change
        ("Fri 26 Mar 2027 09:30", "check-in"),  # due at 09:30 (summer time); answered
        ("Fri 23 Apr 2027 09:30", "check-in"),  # answered
        ("Fri 21 May 2027 09:30", "check-in"),  # answered
    ],
}
# Each answer and each confirmation updates what it answered, in place.
UPDATES = {"Nora": 3, "Kenji": 4, "Rasa": 2, "Ned": 3}

Action = Callable[[], Awaitable[None]]


@dataclass
class Journey:
    """The people, the bots serving them, and what is still to be done, in time order."""

    platforms: MixedPlatforms
    clock: FakeClock
    url: str
    replicas: int = 1
    bots: list[Bot] = field(default_factory=list)
    todo: list[tuple[datetime, int, Action]] = field(default_factory=list)
    check_ins: dict[str, int] = field(default_factory=dict)  # received so far, per person
    confirming: set[str] = field(default_factory=set)  # who has decided to confirm
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _turns: itertools.count = field(default_factory=itertools.count)
    _order: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        slack = {m.id: m.name for m in MEMBERS if m.platform == "slack"} | {"UADA": "Ada"}
        teams = {m.id: m.name for m in MEMBERS if m.platform == "teams"}
        self.inbox = Inbox(self.platforms, self.clock, slack, teams, PROGRAM)

    async def start_bots(self) -> None:
        for _ in range(self.replicas):
            bot = await self._stack.enter_async_context(
                running_bot(self.platforms, self.url, self.clock)
            )
            self.bots.append(bot)

    async def stop_bots(self) -> None:
        await self._stack.aclose()
        self._stack, self.bots = AsyncExitStack(), []

    def serving(self) -> Bot:
        """The bot a request reaches: replicas take requests in turn."""
        return self.bots[next(self._turns) % len(self.bots)]

    async def set_up(self) -> None:
        """Rasa and Ned write to the bot on Teams (so it can reach them), then Ada sets the
        program up on Slack; the pair of Rasa and Ned comes two days later."""
        for member in MEMBERS:
            if member.platform == "teams":
                teams = self.serving().teams
                await teams.send(teams.message(member.id, "help", timezone=member.client_zone))
        for bot in self.bots:
            await bot.tick()  # their answers to `help`: not prompts
        self.inbox.skip()
        for line in SETUP:
            await self.ada(line)
        self.later(SECOND_PAIR, partial(self.ada, PAIR_AGAIN))

    async def ada(self, line: str) -> None:
        reply = await self.serving().slack.command("UADA", line)
        assert reply.status == 200 and "blocks" in reply.json, (line, reply)

    def later(self, at: datetime, action: Action) -> None:
        self.todo.append((at, next(self._order), action))
        self.todo.sort(key=lambda item: item[:2])

    async def live_until(self, end: datetime, *, restart_after: datetime | None = None) -> None:
        while self.clock.now() <= end:
            await self._act()
            await asyncio.gather(*(bot.tick() for bot in self.bots))  # replicas at once
            for received in self.inbox.collect():
                self._react(received)
            if self.clock.now() == restart_after:
                await self.stop_bots()  # what was in flight is only in the database now
                await self.start_bots()
            self.clock.advance(STEP.total_seconds())

    async def _act(self) -> None:
        while self.todo and self.todo[0][0] <= self.clock.now():
            _, _, action = self.todo.pop(0)
            await action()
        self.inbox.skip()  # what the requests answered in their own turn

    def _react(self, received: Received) -> None:
        member = BY_NAME.get(received.person)
        if member is None:
            return
        if received.label == "check-in":
            round_ = self.check_ins[member.name] = self.check_ins.get(member.name, 0) + 1
            if round_ in member.answers:
                answer = partial(self._answer, member, received)
                self.later(received.at + member.answers[round_], answer)
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


def database_url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@asynccontextmanager
async def journey(engine: AsyncEngine, *, replicas: int = 1) -> AsyncIterator[Journey]:
    clock = FakeClock(START)
    async with mixed_platforms(
        slack_people=SLACK_PEOPLE, teams_people=TEAMS_PEOPLE, slack_zones=SLACK_ZONES
    ) as platforms:
        lived = Journey(platforms, clock, database_url(engine), replicas)
        await lived.start_bots()
        try:
            await lived.set_up()
            yield lived
        finally:
            await lived.stop_bots()


def local(received: Received) -> str:
    zone = ZoneInfo(BY_NAME[received.person].zone)
    return f"{received.at.astimezone(zone):%a %d %b %Y %H:%M}"


def in_working_hours(received: Received) -> bool:
    at = received.at.astimezone(ZoneInfo(BY_NAME[received.person].zone))
    return at.weekday() < 5 and time(9) <= at.time() < time(17)


def assert_the_twelve_weeks(lived: Journey) -> None:
    received = lived.inbox.received
    assert {r.person for r in received} <= set(BY_NAME)  # Ada, a manager, got no prompt
    assert [r for r in received if not in_working_hours(r)] == []
    for name, expected in EXPECTED.items():
        in_order = sorted(lived.inbox.of(name), key=lambda r: (r.at, r.label))
        assert [(local(r), r.label) for r in in_order] == expected, name
    updates = {name: len(lived.inbox.updates_of(name)) for name in BY_NAME}
    assert updates == UPDATES


def errors_in(logs: list[dict]) -> list[dict]:
    """What went wrong on the way: a sweep or round that failed (one replica's work
    colliding with another's, say) is retried and could go unseen in what people get."""
    return [e for e in logs if e["log_level"] in ("error", "critical")]


async def test_twelve_weeks_in_three_time_zones_with_a_restart_mid_way(engine) -> None:
    async with journey(engine) as lived:
        with capture_logs() as logs:
            await lived.live_until(END, restart_after=RESTART_AFTER)
        assert_the_twelve_weeks(lived)
        assert errors_in(logs) == []


async def test_twelve_weeks_on_two_replicas_at_once(database, engine) -> None:
    if database != "postgres":
        pytest.skip("replicas share a PostgreSQL database; SQLite serves one process")
    async with journey(engine, replicas=2) as lived:
        with capture_logs() as logs:
            await lived.live_until(END)
        assert_the_twelve_weeks(lived)
        assert errors_in(logs) == []
