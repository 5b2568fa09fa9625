# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""No concern stranded: whenever who manages a program changes (a manager removed, added,
made backup or made manager again), every open concern goes to whoever is now responsible
for it (the managers outside its pair, else the backups), once each, and never to someone
in the pair it is about."""

from __future__ import annotations

from textwrap import dedent

from bot.console.session import DEMO_SETUP
from storage.models import OutboxMessage


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


# Maya and Lena manage, Priya is the backup; Lena mentors Sam (as Omar does).
LENA_MENTORS_SAM = [
    *DEMO_SETUP,
    ("maya", "managers add @lena"),
    ("maya", "managers add @priya backup"),
    ("maya", "pair @lena @sam confirm"),
]


async def test_the_last_manager_outside_the_pair_removed_hands_the_concern_to_the_backup(
    console,
) -> None:
    await console.setup(LENA_MENTORS_SAM)
    await console.say("sam", 'concern conduct @lena "She shouts at me"')  # Maya is told
    # Lena, in the pair, removes Maya: Maya's copy is emptied, and the concern goes to
    # Priya, the backup, at once. Lena is not told that anything was sent.
    assert await console.say("lena", "managers remove @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya no longer manages *Demo Mentoring*.
        ✏️  DM to @maya updated (message 9)
           (This concern is handled by the program's managers.)
        📨 DM to @priya
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 14:30 Asia/Kolkata
           > She shouts at me
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)
    # Priya can act on it, and Sam hears who did.
    assert await console.say("priya", "press 7") == said("""
           @priya pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@sam, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @priya updated (message 10)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 14:30 Asia/Kolkata
           > She shouts at me
           *Acknowledged by you* · Mon 23 Nov 2026, 14:30 Asia/Kolkata
           [9: Resolve]
        📨 DM to @sam
           The concern you raised about your pair with @lena in *Demo Mentoring* (conduct, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @priya.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)


# Maya and Priya manage; Lena and Omar are backups; Lena mentors Priya.
BACKUP_IN_THE_PAIR = [
    *DEMO_SETUP,
    ("maya", "managers add @priya"),
    ("maya", "managers add @lena backup"),
    ("maya", "managers add @omar backup"),
    ("maya", "pair @lena @priya confirm"),
]


async def test_a_manager_leaving_is_told_who_now_has_it_and_no_one_in_the_pair_gets_it(
    console, rows
) -> None:
    await console.setup(BACKUP_IN_THE_PAIR)
    await console.say("priya", 'concern mismatch @lena "We never agree"')  # Maya is told
    # Maya leaves: no manager outside the pair is left, so the backups are responsible,
    # but never Lena, a backup in the pair: Omar alone is sent it.
    assert await console.say("maya", "managers remove @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya no longer manages *Demo Mentoring*.
           (@omar is now responsible for 1 open concern of the program and was sent it.)
        ✏️  DM to @maya updated (message 9)
           (This concern is handled by the program's managers.)
        📨 DM to @omar
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @priya (mentee)
           Raised by: @priya
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > We never agree
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)
    # No one is sent the same concern twice: Omar made manager keeps his copy as it is;
    # Maya added back gets her emptied copy back, in place.
    before = await rows.count(OutboxMessage)
    assert await console.say("priya", "managers add @omar") == said("""
        🔒 mentorbot (only you see this):
           @omar is now a manager of *Demo Mentoring*.
    """)
    assert await rows.count(OutboxMessage) == before
    assert await console.say("priya", "managers add @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya is now a manager of *Demo Mentoring*.
        ✏️  DM to @maya updated (message 9)
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @priya (mentee)
           Raised by: @priya
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > We never agree
           [9: Acknowledge]  [10: Resolve]
           (The other member of the pair has not been told.)
    """)
    # Lena, the backup in the pair, was never sent it.
    assert "📨 DM to @lena\n   *Concern" not in "\n".join(console.lines)


async def test_a_manager_made_backup_hands_over_to_the_other_backups(console) -> None:
    await console.setup(LENA_MENTORS_SAM)
    await console.say("sam", "concern other @lena")  # Maya is told (buttons 1, 2)
    # Maya becomes a backup: the only manager left is Lena, in the pair, so the backups
    # are responsible now. Maya has her copy already; Priya is sent hers.
    assert await console.say("maya", "managers add @maya backup") == said("""
        🔒 mentorbot (only you see this):
           @maya is now a backup manager of *Demo Mentoring*.
           (@priya is now responsible for 1 open concern of the program and was sent it.)
        📨 DM to @priya
           *Concern: other*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 14:30 Asia/Kolkata
           (They added no words.)
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)
    # Made manager again, Maya is sent nothing new.
    assert await console.say("lena", "managers add @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya is now a manager of *Demo Mentoring*.
    """)


async def test_a_backup_added_is_sent_a_concern_no_one_could_be_told(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    await console.say("priya", "concern mismatch")  # Maya, the only manager, is in the pair
    # Maya is not told that anything was sent: that would tell her of it.
    assert await console.say("maya", "managers add @lena backup") == said("""
        🔒 mentorbot (only you see this):
           @lena is now a backup manager of *Demo Mentoring*.
        📨 DM to @lena
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @maya (mentor) and @priya (mentee)
           Raised by: @priya
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           [6: Acknowledge]  [7: Resolve]
           (The other member of the pair has not been told.)
    """)


async def test_a_resolved_concern_is_not_handed_over(console) -> None:
    await console.setup(LENA_MENTORS_SAM)
    await console.say("sam", "concern other @lena")
    await console.say("maya", "press 6")  # resolved
    assert await console.say("lena", "managers remove @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya no longer manages *Demo Mentoring*.
        ✏️  DM to @maya updated (message 9)
           (This concern is handled by the program's managers.)
    """)
