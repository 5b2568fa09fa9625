# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""The reporter kept in the loop: told privately when their concern is acknowledged and
when it is resolved, and by whom (never a manager's note, never anyone's words in the
notification), and `concern status` shows where each of their concerns stands."""

from __future__ import annotations

from textwrap import dedent

from sqlmodel import select

from bot.console.session import DEMO_SETUP
from storage.models import OutboxMessage, Subject


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def test_the_reporter_hears_each_step_and_the_partner_nothing(console, engine) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("omar", 'concern missed-preparation @sam "No agenda again"')
    acknowledged = await console.say("maya", "press 5")
    assert acknowledged.endswith(
        said("""
        📨 DM to @omar
           The concern you raised about your pair with @sam in *Demo Mentoring* (missed preparation, Mon 23 Nov 2026, 10:00 Europe/Berlin) was acknowledged by @maya.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)
    )
    resolved = await console.say("maya", 'concern resolve 1 "Spoke to Sam"')
    assert resolved.endswith(
        said("""
        📨 DM to @omar
           The concern you raised about your pair with @sam in *Demo Mentoring* (missed preparation, Mon 23 Nov 2026, 10:00 Europe/Berlin) was resolved by @maya.
           (If it is not resolved for you, raise it again: `concern <kind> [what happened]`)
    """)
    )
    assert "DM to @sam" not in acknowledged + resolved
    # What a lock screen shows: the bot's words only, neither the concern's nor the note's.
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.view, OutboxMessage.priority)
                .where(OutboxMessage.subject == Subject.REPORTER_UPDATE)
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert [(key, view["notification"], priority) for key, view, priority in rows] == [
        ("concern:1:acknowledged:reporter:2", "Your concern was acknowledged.", 0),
        ("concern:1:resolved:reporter:2", "Your concern was resolved.", 0),
    ]
    for _, view, _ in rows:
        assert "agenda" not in str(view) and "Spoke" not in str(view)


async def test_concern_status_shows_where_each_of_my_concerns_stands(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.setup(
        [
            ("maya", "managers add @lena"),
            ("maya", "managers add @priya backup"),
            ("maya", "pair @lena @sam confirm"),
            ("maya", "enrol @maya mentee"),
            ("maya", "pair @omar @maya confirm"),
        ]
    )
    assert await console.say("sam", "concern status") == said("""
        🔒 mentorbot (only you see this):
           You have raised no concerns. To tell the program manager privately that something is wrong: `concern <kind> [what happened]`
    """)
    await console.say("sam", "concern mismatch @omar")  # 1: Maya and Lena told
    await console.say("sam", "concern conduct @lena")  # 2: Maya told
    await console.say("omar", "concern other @sam")  # 3: Omar's, not Sam's
    await console.say("maya", "concern ack 1")
    await console.say("lena", "managers remove @maya")  # 2 goes to Priya, the backup
    await console.say("priya", "concern resolve 2")
    assert await console.say("sam", "concern status") == said("""
        🔒 mentorbot (only you see this):
           *Concerns you raised: 2*
           • Conduct · with @lena in Demo Mentoring · raised Mon 23 Nov 2026, 04:00 America/New_York · resolved by @priya
           • Mismatch · with @omar in Demo Mentoring · raised Mon 23 Nov 2026, 04:00 America/New_York · acknowledged by @maya
           (Your partner is never told of a concern.)
    """)
    # Omar sees his own only; the concern Sam raised about him is not his to see.
    assert await console.say("omar", "concern status") == said("""
        🔒 mentorbot (only you see this):
           *Concerns you raised: 1*
           • Other · with @sam in Demo Mentoring · raised Mon 23 Nov 2026, 10:00 Europe/Berlin · not acknowledged yet
           (Your partner is never told of a concern.)
    """)


async def test_concern_status_says_when_no_one_could_be_told_yet(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    await console.say("priya", "concern mismatch")  # Maya, the only manager, is in the pair
    assert await console.say("priya", "concern status") == said("""
        🔒 mentorbot (only you see this):
           *Concerns you raised: 1*
           • Mismatch · with @maya in Demo Mentoring · raised Mon 23 Nov 2026, 14:30 Asia/Kolkata · no one outside your pair could be told yet
           (Your partner is never told of a concern.)
    """)
    await console.say("maya", "managers add @lena backup")  # sent it
    assert "not acknowledged yet" in await console.say("priya", "concern status")


async def test_concern_status_lists_the_newest_fifteen(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    for _ in range(17):
        await console.say("sam", "concern other")
        clock.advance(60)
    lines = (await console.say("sam", "concern status")).splitlines()
    assert lines[1] == "   *Concerns you raised: 17*"
    assert lines[2] == (
        "   • Other · with @omar in Demo Mentoring · raised Mon 23 Nov 2026, 04:16 America/New_York · not acknowledged yet"
    )
    assert lines[16].startswith(
        "   • Other · with @omar in Demo Mentoring · raised Mon 23 Nov 2026, 04:02 "
    )
    assert lines[17:] == ["   …and 2 older", "   (Your partner is never told of a concern.)"]
