# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""The console's scripted tour, and a first transcript: each asserts everything every person
sees, in order (who typed what, who got which DM and what it said)."""

from __future__ import annotations

import re
import subprocess
import sys
from textwrap import dedent

from bot.console.session import DEMO_SETUP

# The tour runs on the real clock: its times are shown as <when>.
WHEN = re.compile(r"\b[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\b")


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def test_concern_reaches_the_manager_and_acknowledge_updates_it(console) -> None:
    await console.setup(DEMO_SETUP)
    receipt = await console.say("omar", 'concern missed-meeting @sam "Sam missed two meetings"')
    assert receipt == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > Sam missed two meetings
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)
    assert await console.say("maya", "press 5") == said("""
           @maya pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@omar, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @maya updated (message 7)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > Sam missed two meetings
           *Acknowledged by you* · Mon 23 Nov 2026, 09:00 Europe/London
           [7: Resolve]
        📨 DM to @omar
           The concern you raised about your pair with @sam in *Demo Mentoring* (missed meeting, Mon 23 Nov 2026, 10:00 Europe/Berlin) was acknowledged by @maya.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)


# Each person enrolled is sent a briefing and confirms it; only Omar and Sam are greeted
# (they are paired); the concern reaches Maya, the manager, with Omar's words, and no one else: not Sam, whom it is about. Acknowledging changes
# Maya's copy in place and tells Omar, who raised it, who acknowledged it: no one else.
TOUR = """
mentorbot console tour: a program from scratch to a concern.
@maya › program create "Demo Mentoring" purpose "Help new graduates settle in and grow"
🔒 mentorbot (only you see this):
   Created the program *Demo Mentoring*. You manage it.
   Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.
@maya › enrol @omar mentor
🔒 mentorbot (only you see this):
   Enrolled @omar as a mentor in *Demo Mentoring*.
📨 DM to @omar
   *Your briefing as a mentor*
   You are enrolled as a mentor in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   [1: I've read it]
@maya › enrol @lena mentor
🔒 mentorbot (only you see this):
   Enrolled @lena as a mentor in *Demo Mentoring*.
📨 DM to @lena
   *Your briefing as a mentor*
   You are enrolled as a mentor in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   [2: I've read it]
@maya › enrol @sam mentee
🔒 mentorbot (only you see this):
   Enrolled @sam as a mentee in *Demo Mentoring*.
📨 DM to @sam
   *Your briefing as a mentee*
   You are enrolled as a mentee in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentee, you own the agenda and the goals: decide what you want to work on, prepare for each meeting, and keep them going.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   [3: I've read it]
@maya › enrol @priya mentee
🔒 mentorbot (only you see this):
   Enrolled @priya as a mentee in *Demo Mentoring*.
📨 DM to @priya
   *Your briefing as a mentee*
   You are enrolled as a mentee in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentee, you own the agenda and the goals: decide what you want to work on, prepare for each meeting, and keep them going.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   [4: I've read it]
── you are now @omar ──
@omar › press 1
   @omar pressed [I've read it]
🔒 mentorbot (only you see this):
   Thank you: your briefing as a mentor in *Demo Mentoring* is confirmed.
✏️  DM to @omar updated (message 1)
   *Your briefing as a mentor*
   You are enrolled as a mentor in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   (You confirmed this on <when> Europe/Berlin.)
── you are now @lena ──
@lena › press 2
   @lena pressed [I've read it]
🔒 mentorbot (only you see this):
   Thank you: your briefing as a mentor in *Demo Mentoring* is confirmed.
✏️  DM to @lena updated (message 2)
   *Your briefing as a mentor*
   You are enrolled as a mentor in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   (You confirmed this on <when> Europe/Berlin.)
── you are now @sam ──
@sam › press 3
   @sam pressed [I've read it]
🔒 mentorbot (only you see this):
   Thank you: your briefing as a mentee in *Demo Mentoring* is confirmed.
✏️  DM to @sam updated (message 3)
   *Your briefing as a mentee*
   You are enrolled as a mentee in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentee, you own the agenda and the goals: decide what you want to work on, prepare for each meeting, and keep them going.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   (You confirmed this on <when> America/New_York.)
── you are now @priya ──
@priya › press 4
   @priya pressed [I've read it]
🔒 mentorbot (only you see this):
   Thank you: your briefing as a mentee in *Demo Mentoring* is confirmed.
✏️  DM to @priya updated (message 4)
   *Your briefing as a mentee*
   You are enrolled as a mentee in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   As a mentee, you own the agenda and the goals: decide what you want to work on, prepare for each meeting, and keep them going.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
   (You confirmed this on <when> Asia/Kolkata.)
── you are now @maya ──
@maya › pair @omar @sam
🔒 mentorbot (only you see this):
   Paired @omar (mentor) with @sam (mentee) in *Demo Mentoring*.
   (I have greeted them both privately.)
📨 DM to @omar
   *Welcome to your mentoring pair*
   You are now mentoring @sam in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   Your mentee owns the agenda and the goals; you support them. What you say to each other stays between you.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
📨 DM to @sam
   *Welcome to your mentoring pair*
   Your mentor is @omar in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   You own the agenda and the goals: bring what you want to work on. What you say to each other stays between you.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
── you are now @omar ──
@omar › concern missed-meeting @sam "Sam has missed our last two meetings & I am worried"
🔒 mentorbot (only you see this):
   Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
   (To see where your concerns stand: `concern status`)
📨 DM to @maya
   *Concern: missed meeting*
   Program: Demo Mentoring
   Pair: @omar (mentor) and @sam (mentee)
   Raised by: @omar
   Raised: <when> Europe/London
   > Sam has missed our last two meetings & I am worried
   [5: Acknowledge]  [6: Resolve]
   (The other member of the pair has not been told.)
── you are now @maya ──
@maya › press 5
   @maya pressed [Acknowledge]
🔒 mentorbot (only you see this):
   You acknowledged the concern. The other managers can see that you have it.
   (@omar, who raised it, has been told that you acknowledged it.)
✏️  DM to @maya updated (message 7)
   *Concern: missed meeting*
   Program: Demo Mentoring
   Pair: @omar (mentor) and @sam (mentee)
   Raised by: @omar
   Raised: <when> Europe/London
   > Sam has missed our last two meetings & I am worried
   *Acknowledged by you* · <when> Europe/London
   [7: Resolve]
📨 DM to @omar
   The concern you raised about your pair with @sam in *Demo Mentoring* (missed meeting, <when> Europe/Berlin) was acknowledged by @maya.
   (I will tell you when it is resolved. Your partner has not been told.)
@maya › status
🔒 mentorbot (only you see this):
   *Demo Mentoring: status*
   Purpose: Help new graduates settle in and grow
   Managers: @maya
   Mentors: 2
   Mentees: 2
   *Active pairs: 1*
   • @omar mentors @sam
   *Open concerns: 1*
   • #1 missed-meeting · @omar & @sam · raised <when> Europe/London · acknowledged
   (To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`)
   (Every message has been delivered or is on its way.)
"""


def test_tour_runs_without_a_terminal_and_exits_zero(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert WHEN.sub("<when>", result.stdout).splitlines() == TOUR.strip("\n").splitlines()
