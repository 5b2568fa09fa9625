"""Twelve weeks of two programs, lived in simulated time by six people in New York, Vilnius
and Tokyo, on Slack and on Teams, from late February to late May 2027. The weeks cross the
US change to summer time (Sunday 14 March), the EU one (Sunday 28 March), and thirteen
weekends.

Each person receives exactly the prompts expected, at the local times expected, each in
their working hours (Monday to Friday, 09:00-17:00 where they are): the role briefing on
enrolment, its reminder 3 working days on if unconfirmed, the greeting on pairing, the
check-ins 2 and 4 weeks after the pair started and then every 4 weeks, and a check-in's
reminder 3 working days on if unanswered. The expected lists below are worked out by hand
from those rules, not by the code under test.

"Twelve" has the default weekly cap (4), which this cadence never reaches. "Capped" has a
cap of 1, and its manager sends check-ins of her own: what does not fit in a week waits for
the next one's first working hours, reminders too. Two people pause for two weeks: what the
pause holds comes when it ends, or in the next working hours after `resume`, and a
check-in's reminder comes 3 working days after the check-in reached them.

Time moves in steps of 30 minutes (every expected time falls on one); at each step every
bot process runs its runner's jobs and dispatcher (tests/fakes/journey.py). People act on
what reaches them (tests/fakes/journey_people.py): most confirm their briefing the next day
and answer the check-ins of their plan two hours after the prompt. Kenji leaves things to
the evening before their reminder goes out: decided at 17:00 his time, it waits for 09:00
the next morning, and by then he has answered, so it must not come.

The same sequence, with nothing twice and nothing failing on the way, when the bot is
stopped (overnight, and mid-way) and a new one started on the same database, and when two
replicas sweep and dispatch one PostgreSQL database at once, taking requests in turn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import FakeClock
from fakes.journey import PROMPTS, Received
from fakes.journey_people import Journey, Member
from fakes.mixed_harness import mixed_platforms
from fakes.teams_harness import TeamsPerson
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

NEW_YORK, VILNIUS, TOKYO = "America/New_York", "Europe/Vilnius", "Asia/Tokyo"

# Wednesday 24 February 2027, 14:30 UTC: 09:30 in New York, 16:30 in Vilnius, 23:30 in Tokyo.
START = datetime(2027, 2, 24, 14, 30, tzinfo=UTC)
SECOND_PAIR = datetime(2027, 2, 26, 13, 30, tzinfo=UTC)
END = datetime(2027, 5, 26, 18, 0, tzinfo=UTC)  # after the last reminder of week 12
# The bot stops after one step and a new one starts at another, on the same database.
OUTAGES = (
    # Overnight, from Tuesday 16 March 20:00 UTC: the reminder of Ned's first check-in falls
    # due at 17:00 his time (21:00 UTC) while nothing runs; it still goes at 09:00.
    (datetime(2027, 3, 16, 20, 0, tzinfo=UTC), datetime(2027, 3, 17, 12, 0, tzinfo=UTC)),
    # A restart: Wednesday 21 April, 14:30 UTC. Nora's round-3 check-in has just gone out,
    # Kenji's and Omar's wait in the outbox for their morning, Nora is about to answer hers,
    # Rasa has just paused; the next rounds are due items.
    (datetime(2027, 4, 21, 14, 30, tzinfo=UTC), datetime(2027, 4, 21, 15, 0, tzinfo=UTC)),
)
SOON = timedelta(hours=2)
NEXT_DAY = timedelta(days=1)
# From 09:00 on a Thursday in Tokyo to 21:00 on the Monday after: after the reminder was
# decided (17:00), before it goes out (Tuesday 09:00).
THE_EVENING_BEFORE = timedelta(days=4, hours=12)

MEMBERS = [
    # "Twelve". On Slack, the zone is users.info's `tz`.
    Member("Nora", "slack", "UNORA", NEW_YORK, {2: SOON, 3: SOON}, ("briefing", NEXT_DAY)),
    Member(
        "Kenji",
        "slack",
        "UKENJI",
        TOKYO,
        {1: SOON, 2: THE_EVENING_BEFORE, 3: SOON},
        ("briefing", THE_EVENING_BEFORE),
    ),
    # On Teams: Rasa's client never says her zone, so the program's (Vilnius) is hers; Ned's
    # client says New York.
    Member("Rasa", "teams", "rasa", VILNIUS, {}, ("briefing reminder", SOON)),
    Member("Ned", "teams", "ned", NEW_YORK, {2: SOON, 3: SOON, 4: SOON}, client_zone=NEW_YORK),
    # "Capped": check-ins counted as they reach each person (the manager's ones among them).
    Member(
        "Omar",
        "slack",
        "UOMAR",
        VILNIUS,
        {1: SOON, 3: SOON, 4: SOON, 5: SOON},
        ("briefing", NEXT_DAY),
    ),
    Member(
        "Lena",
        "slack",
        "ULENA",
        NEW_YORK,
        {1: SOON, 2: SOON, 4: SOON, 5: SOON},
        ("briefing", NEXT_DAY),
    ),
]
BY_NAME = {m.name: m for m in MEMBERS}
SLACK_PEOPLE = {"UADA": ("Ada", "ada@example.com")} | {
    m.id: (m.name, f"{m.name.lower()}@example.com") for m in MEMBERS if m.platform == "slack"
}
SLACK_ZONES = {"UADA": "Europe/London"} | {m.id: m.zone for m in MEMBERS if m.platform == "slack"}
TEAMS_PEOPLE = {
    key: TeamsPerson(key, f"29:1{key}", name, f"aad-{key}", f"{key}@example.com")
    for key, name in [("rasa", "Rasa Jonaite"), ("ned", "Ned Lamont")]
}
SETUP = [  # Ada, on Slack, at START; paired before their briefings are read
    'program create "Twelve"',
    "program set timezone Europe/Vilnius",
    "enrol <@UNORA|nora> mentor",
    "enrol <@UKENJI|kenji> mentee",
    "enrol rasa@example.com mentor",
    "enrol ned@example.com mentee",
    "pair <@UNORA|nora> <@UKENJI|kenji> confirm",
    'program create "Capped"',  # from here on Ada manages two: she names the program
    'program set weekly-cap 1 program "Capped"',
    'enrol <@UOMAR|omar> mentor program "Capped"',
    'enrol <@ULENA|lena> mentee program "Capped"',
    'pair <@UOMAR|omar> <@ULENA|lena> confirm program "Capped"',
]
SCRIPT = [  # (when, who: a Slack user id or a Teams key, what they type)
    # Friday 26 February, 08:30 in New York, 15:30 in Vilnius.
    (SECOND_PAIR, "UADA", 'pair rasa@example.com ned@example.com confirm program "Twelve"'),
    # Monday 8 March, 11:00 in Vilnius: a check-in for Omar now, in the week of his first.
    (datetime(2027, 3, 8, 9, 0, tzinfo=UTC), "UADA", 'checkin <@UOMAR|omar> program "Capped"'),
    # Monday 5 April, 10:30 in New York: Lena is away for two weeks, and Ada, not knowing,
    # sends her a check-in on the Wednesday.
    (datetime(2027, 4, 5, 14, 30, tzinfo=UTC), "ULENA", "pause 2w"),
    (datetime(2027, 4, 7, 14, 30, tzinfo=UTC), "UADA", 'checkin <@ULENA|lena> program "Capped"'),
    # Wednesday 21 April, 15:00 in Vilnius: Rasa is away for two weeks too; Ada sends her a
    # check-in on the Thursday, and her third round falls due on the Friday. She is back on
    # the Monday and says so in the evening, 18:30 her time.
    (datetime(2027, 4, 21, 12, 0, tzinfo=UTC), "rasa", "pause 2w"),
    (datetime(2027, 4, 22, 12, 0, tzinfo=UTC), "UADA", 'checkin rasa@example.com program "Twelve"'),
    (datetime(2027, 4, 26, 15, 30, tzinfo=UTC), "rasa", "resume"),
]

# Local times, each person's own. Nora and Kenji's pair, like Omar and Lena's, started
# Wednesday 24 February at 14:30 UTC, so its rounds fall due on Wednesdays at 14:30 UTC;
# Rasa and Ned's started Friday 26 February at 13:30 UTC. Three working days are counted
# in local working hours from when the prompt goes out, and a reminder falling due at 17:00
# goes out at 09:00 on the next working day.
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
        ("Wed 21 Apr 2027 15:00", "answer: paused"),
        ("Mon 26 Apr 2027 18:30", "answer: resumed"),
        # What her pause held, in her next working hours: Ada's check-in, and round 3 (due
        # Fri 23 Apr); each reminded 3 working days on (Tue, Wed, Thu).
        ("Tue 27 Apr 2027 09:00", "check-in"),
        ("Tue 27 Apr 2027 09:00", "check-in"),
        ("Fri 30 Apr 2027 09:00", "check-in reminder"),
        ("Fri 30 Apr 2027 09:00", "check-in reminder"),
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
    "Omar": [  # a cap of 1 a week
        ("Wed 24 Feb 2027 16:30", "briefing"),  # briefings and greetings: never capped
        ("Wed 24 Feb 2027 16:30", "greeting"),
        ("Mon 08 Mar 2027 11:00", "check-in"),  # Ada's; answered
        ("Mon 15 Mar 2027 09:00", "check-in"),  # round 1, due Wed 10 Mar 16:30: week full
        ("Mon 22 Mar 2027 09:00", "check-in reminder"),  # due Wed 17 Mar 17:00: week full
        ("Mon 29 Mar 2027 09:00", "check-in"),  # round 2, due Wed 24 Mar: week full; answered
        ("Thu 22 Apr 2027 09:00", "check-in"),  # due Wed 17:30 (summer time); answered
        ("Thu 20 May 2027 09:00", "check-in"),  # answered
    ],
    "Lena": [
        ("Wed 24 Feb 2027 09:30", "briefing"),
        ("Wed 24 Feb 2027 09:30", "greeting"),
        ("Wed 10 Mar 2027 09:30", "check-in"),  # answered
        ("Wed 24 Mar 2027 10:30", "check-in"),  # answered
        ("Mon 19 Apr 2027 10:30", "check-in"),  # Ada's, held while she was away
        ("Mon 26 Apr 2027 09:00", "check-in"),  # round 3, due Wed 21 Apr: week full; answered
        # Ada's, unanswered: 3 working days after it reached her, Thu 22 Apr 10:30; both
        # weeks full.
        ("Mon 03 May 2027 09:00", "check-in reminder"),
        ("Wed 19 May 2027 10:30", "check-in"),  # answered
    ],
}
# Each answer and each confirmation updates what it answered, in place.
UPDATES = {"Nora": 3, "Kenji": 4, "Rasa": 2, "Ned": 3, "Omar": 5, "Lena": 5}


def database_url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@asynccontextmanager
async def journey(engine: AsyncEngine, *, replicas: int = 1) -> AsyncIterator[Journey]:
    clock = FakeClock(START)
    async with mixed_platforms(
        slack_people=SLACK_PEOPLE, teams_people=TEAMS_PEOPLE, slack_zones=SLACK_ZONES
    ) as platforms:
        lived = Journey(platforms, clock, database_url(engine), MEMBERS, {"UADA": "Ada"}, replicas)
        await lived.start_bots()
        try:
            await lived.introduce_teams_members()
            for line in SETUP:
                await lived.type_on_slack("UADA", line)
            for when, who, line in SCRIPT:
                lived.at(when, who, line)
            yield lived
        finally:
            await lived.stop_bots()


def local(received: Received) -> str:
    zone = ZoneInfo(BY_NAME[received.person].zone)
    return f"{received.at.astimezone(zone):%a %d %b %Y %H:%M}"


def in_working_hours(received: Received) -> bool:
    at = received.at.astimezone(ZoneInfo(BY_NAME[received.person].zone))
    return at.weekday() < 5 and time(9) <= at.time() < time(17)


def errors_in(logs: list[dict]) -> list[dict]:
    """What went wrong on the way: a sweep or round that failed (one replica's work
    colliding with another's, say) is retried and could go unseen in what people get."""
    return [e for e in logs if e["log_level"] in ("error", "critical")]


def assert_the_twelve_weeks(lived: Journey) -> None:
    received = lived.inbox.received
    assert {r.person for r in received} <= set(BY_NAME)  # Ada, a manager, got no prompt
    prompts = [r for r in received if r.label in PROMPTS]
    assert [r for r in prompts if not in_working_hours(r)] == []
    for name, expected in EXPECTED.items():
        in_order = sorted(lived.inbox.of(name), key=lambda r: (r.at, r.label))
        assert [(local(r), r.label) for r in in_order] == expected, name
    updates = {name: len(lived.inbox.updates_of(name)) for name in BY_NAME}
    assert updates == UPDATES


async def test_twelve_weeks_in_three_time_zones_with_a_restart_mid_way(engine) -> None:
    async with journey(engine) as lived:
        with capture_logs() as logs:
            await lived.live_until(END, outages=OUTAGES)
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
