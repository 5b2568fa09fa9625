# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Acting on a concern by command, as by its buttons: `concern ack <n> [note]` and
`concern resolve <n> [note]`, with the numbers `status` shows. A note is for the managers:
their copies show it, the reporter never sees it."""

from __future__ import annotations

from textwrap import dedent

import pytest
from sqlmodel import select

from bot.console.session import DEMO_SETUP
from storage.models import Concern, OutboxMessage, Subject


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


NOT_YOURS = said("""
    🔒 mentorbot (only you see this):
       There is no concern with that number that you can act on. `status` lists the open concerns you can act on, with their numbers.
       The form is: `concern ack|resolve <n> [note]`
""")


async def test_acknowledge_and_resolve_by_command_with_notes_for_the_managers_only(
    console, clock, engine
) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena")])
    await console.say("sam", 'concern missed-meeting "He did not come twice"')
    clock.advance(600)
    assert await console.say("maya", 'concern ack 1 "Called Omar; meeting on Friday"') == said("""
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@sam, who raised it, has been told that you acknowledged it. Your note is for the managers only.)
        ✏️  DM to @lena updated (message 7)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > He did not come twice
           *Acknowledged by* @maya · Mon 23 Nov 2026, 10:10 Europe/Berlin · their note, for the managers only:
           > Called Omar; meeting on Friday
           [9: Resolve]
        ✏️  DM to @maya updated (message 8)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > He did not come twice
           *Acknowledged by you* · Mon 23 Nov 2026, 09:10 Europe/London · your note, for the managers only:
           > Called Omar; meeting on Friday
           [10: Resolve]
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (missed meeting, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @maya.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)
    clock.advance(3600)
    # `#1` as status shows it; the note unquoted.
    assert await console.say("lena", "concern resolve #1 They met and agreed a plan") == said("""
        🔒 mentorbot (only you see this):
           You marked the concern resolved.
           (@sam, who raised it, has been told that it is resolved. Your note is for the managers only.)
        ✏️  DM to @lena updated (message 7)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > He did not come twice
           *Acknowledged by* @maya · Mon 23 Nov 2026, 10:10 Europe/Berlin · their note, for the managers only:
           > Called Omar; meeting on Friday
           *Resolved by you* · Mon 23 Nov 2026, 11:10 Europe/Berlin · your note, for the managers only:
           > They met and agreed a plan
        ✏️  DM to @maya updated (message 8)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > He did not come twice
           *Acknowledged by you* · Mon 23 Nov 2026, 09:10 Europe/London · your note, for the managers only:
           > Called Omar; meeting on Friday
           *Resolved by* @lena · Mon 23 Nov 2026, 10:10 Europe/London · their note, for the managers only:
           > They met and agreed a plan
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (missed meeting, Mon 23 Nov 2026, 04:00 America/New_York) was resolved by @lena.
           (If it is not resolved for you, raise it again: `concern <kind> [what happened]`)
    """)
    async with engine.connect() as conn:
        concern = (await conn.execute(select(Concern))).one()
        to_sam = (
            await conn.execute(
                select(OutboxMessage.view).where(OutboxMessage.subject == Subject.REPORTER_UPDATE)
            )
        ).scalars()
        told = " ".join(str(view) for view in to_sam)
    assert (concern.acknowledged_note, concern.resolved_note) == (
        "Called Omar; meeting on Friday",
        "They met and agreed a plan",
    )
    assert "Friday" not in told and "plan" not in told and "twice" not in told
    # A typed command is answered like a second click.
    assert await console.say("maya", "concern ack 1") == said("""
        🔒 mentorbot (only you see this):
           This concern was already resolved by Lena Fischer.
    """)


async def test_a_backup_acts_by_command_too(console) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena backup")])
    await console.say("omar", "concern other")
    answer = await console.say("lena", "concern ack 1")
    assert answer.startswith(
        said("""
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@omar, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @maya updated (message 7)
    """)
    )


async def test_one_answer_whether_no_such_concern_another_programs_or_ones_own_pair(
    console, rows
) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena")])
    await console.setup(
        [
            ("omar", 'program create "Second"'),
            ("omar", 'enrol @priya mentor program "Second"'),
            ("omar", 'enrol @zoe mentee program "Second"'),
            ("omar", 'pair @priya @zoe program "Second" confirm'),
            ("zoe", "concern other"),  # #1, in Second: Omar's
            ("maya", "enrol @lena mentor"),
            ("maya", "pair @lena @priya confirm"),
            ("priya", "concern mismatch @lena"),  # #2, about Lena's own pair
            ("sam", "concern other"),  # #3, Lena's to act on
        ]
    )
    async with rows.unchanged(contact_may_change=True):
        for line in [
            "concern ack 1",
            "concern resolve 1",
            "concern ack 2",
            "concern resolve 2 note",
            "concern ack 99",
            "concern ack 0",
            "concern resolve " + "9" * 40,
        ]:
            assert await console.say("lena", line) == NOT_YOURS, line
        # The pair's members are no managers.
        assert await console.say("sam", "concern ack 3") == NOT_YOURS
        assert await console.say("omar", "concern resolve 3") == NOT_YOURS
    assert "You acknowledged the concern." in await console.say("lena", "concern ack 3")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("concern ack", "Give the concern's number, as `status` shows it: `concern ack 3`."),
        (
            "concern resolve the first one",
            "Give the concern's number, as `status` shows it: `concern resolve 3`.",
        ),
        ("concern ack 1 " + "x" * 2001, "Please keep the note to 2000 characters or fewer."),
    ],
)
async def test_a_malformed_concern_command_is_explained(console, rows, line, problem) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("sam", "concern other")
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `concern ack|resolve <n> [note]`
    """)
