# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Role briefings: on `enrol` each mentor and mentee is briefed privately and confirms
with a button; unconfirmed after 3 working days, one reminder; `status` lists who has
not confirmed; `pair` with an unconfirmed member warns, and goes ahead on the click; a
member so paired is at risk in `status` until they confirm."""

from __future__ import annotations

from textwrap import dedent

from handlers import due_work
from handlers.briefings import CONFIRM_READ
from handlers.context import Caller
from handlers.router import handle_action
from storage.models import Membership

SETUP = [("maya", 'program create "Pilot" purpose "Help new graduates settle in"')]
SAMS_BRIEFING = """\
   *Your briefing as a mentee*
   You are enrolled as a mentee in *Pilot*.
   The program's purpose: Help new graduates settle in
   As a mentee, you own the agenda and the goals: decide what you want to work on, prepare for each meeting, and keep them going.
   What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`."""


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def test_enrol_briefs_the_person_and_their_click_confirms_it(console, rows) -> None:
    await console.setup(SETUP)
    assert await console.say("maya", "enrol @omar mentor") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @omar as a mentor in *Pilot*.
        📨 DM to @omar
           *Your briefing as a mentor*
           You are enrolled as a mentor in *Pilot*.
           The program's purpose: Help new graduates settle in
           As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
           What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
           [1: I've read it]
    """)
    assert await console.say("omar", "press 1") == said("""
           @omar pressed [I've read it]
        🔒 mentorbot (only you see this):
           Thank you: your briefing as a mentor in *Pilot* is confirmed.
        ✏️  DM to @omar updated (message 1)
           *Your briefing as a mentor*
           You are enrolled as a mentor in *Pilot*.
           The program's purpose: Help new graduates settle in
           As a mentor, you support: your mentee owns the agenda and the goals. Meet regularly, listen, share what you know, and help them find their own way.
           What you and your partner say to each other stays between you. If you raise a concern, only the program's managers see it: I never tell your partner.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`.
           (You confirmed this on Mon 23 Nov 2026, 10:00 Europe/Berlin.)
    """)
    [membership] = [m for m in await _memberships(rows) if m.role == "mentor"]
    caller = Caller("console", "omar")
    again = await handle_action(console.session.deps, caller, CONFIRM_READ, str(membership.id))
    assert [b.model_dump()["content"][0]["text"] for b in again.blocks] == [
        "You already confirmed this briefing on Mon 23 Nov 2026, 10:00 Europe/Berlin. Thank you."
    ]
    async with rows.unchanged(contact_may_change=True):
        other = Caller("console", "sam")
        refused = await handle_action(console.session.deps, other, CONFIRM_READ, str(membership.id))
        assert refused.blocks[0].model_dump()["content"][0]["text"] == (
            "That button is for someone else's briefing."
        )


async def _memberships(rows) -> list[Membership]:
    async with rows.engine.connect() as conn:
        result = await conn.execute(Membership.__table__.select())  # type: ignore[attr-defined]
        return [Membership(**row._mapping) for row in result]


async def test_one_reminder_after_three_working_days_and_none_once_confirmed(
    console, clock
) -> None:
    await console.setup([*SETUP, ("maya", "enrol @sam mentee"), ("maya", "enrol @omar mentor")])
    await console.say("omar", "press 2")  # Omar confirms; Sam does not
    # Sam is in New York: enrolled Monday 04:00 there, so 3 working days end Wednesday
    # 17:00 New York (22:00 UTC).
    clock.advance((2 * 24 + 12) * 3600)  # Wednesday 21:00 UTC
    assert await due_work.run_due(console.session.deps) == 0
    clock.advance(3600)
    start = len(console.lines)
    assert await due_work.run_due(console.session.deps) == 1  # Sam's reminder
    await console.session.drain()
    assert "\n".join(console.lines[start:]).endswith(
        "\n".join(
            [
                "📨 DM to @sam",
                "   *Your briefing as a mentee*",
                "   A reminder: please read your briefing and confirm it.",
                *SAMS_BRIEFING.splitlines()[1:],
                "   [3: I've read it]",
            ]
        )
    )
    lines = len(console.lines)
    # Omar's falls due Thursday 10:00 Berlin: he has confirmed, so it says nothing; and
    # Sam's came once: nothing more.
    clock.advance(7 * 24 * 3600)
    assert await due_work.run_due(console.session.deps) == 1
    await console.session.drain()
    assert len(console.lines) == lines


async def test_status_lists_who_has_not_confirmed_and_pair_warns(console) -> None:
    await console.setup([*SETUP, ("maya", "enrol @omar mentor"), ("maya", "enrol @sam mentee")])
    await console.say("omar", "press 1")
    assert await console.say("maya", "status") == said("""
        🔒 mentorbot (only you see this):
           *Pilot: status*
           Purpose: Help new graduates settle in
           Managers: @maya
           Mentors: 1
           Mentees: 1
           *Active pairs: 0*
           *Open concerns: 0*
           *Briefings not yet confirmed:*
           • @sam (mentee)
           (Every message has been delivered or is on its way.)
    """)
    assert await console.say("maya", "pair @omar @sam") == said("""
        🔒 mentorbot (only you see this):
           *Please confirm*
           @sam has not yet confirmed reading their role briefing for *Pilot*.
           This cannot be undone, so I have done nothing yet.
           [3: Pair them]
           (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
    """)
    assert (await console.say("maya", "press 3")).splitlines()[:3] == [
        "   @maya pressed [Pair them]",
        "🔒 mentorbot (only you see this):",
        "   Paired @omar (mentor) with @sam (mentee) in *Pilot*.",
    ]


async def test_a_member_paired_before_confirming_is_at_risk_until_they_confirm(
    console, clock, rows
) -> None:
    await console.setup([*SETUP, ("maya", "enrol @omar mentor"), ("maya", "enrol @sam mentee")])
    await console.say("omar", "press 1")
    clock.advance(2 * 24 * 3600)  # Sam, briefed on Monday, is paired on Wednesday
    await console.say("maya", "pair @omar @sam confirm")
    clock.advance(24 * 3600)
    async with rows.unchanged(contact_may_change=True):  # a flag is shown, never sent
        assert await console.say("maya", "status") == said("""
            🔒 mentorbot (only you see this):
               *Pilot: status*
               Purpose: Help new graduates settle in
               Managers: @maya
               Mentors: 1
               Mentees: 1
               *Active pairs: 1*
               • @omar mentors @sam
               *Open concerns: 0*
               *At risk: 1*
               • @sam (with @omar) · briefing not confirmed when paired · since Wed 25 Nov 2026, 09:00 Europe/London
               *Briefings not yet confirmed:*
               • @sam (mentee)
               (Every message has been delivered or is on its way.)
        """)
    await console.say("sam", "press 2")
    assert await console.say("maya", "status") == said("""
        🔒 mentorbot (only you see this):
           *Pilot: status*
           Purpose: Help new graduates settle in
           Managers: @maya
           Mentors: 1
           Mentees: 1
           *Active pairs: 1*
           • @omar mentors @sam
           *Open concerns: 0*
           (Every message has been delivered or is on its way.)
    """)


async def test_the_briefing_flag_is_per_role_and_never_about_the_viewers_own_pair(
    console,
) -> None:
    await console.setup(
        [
            *SETUP,
            ("maya", "managers add @lena"),
            ("maya", "enrol @omar mentor"),
            ("maya", "enrol @omar mentee"),  # briefed as a mentee too, which he confirms
            ("omar", "press 2"),
            ("maya", "enrol @maya mentor"),
            ("maya", "enrol @sam mentee"),
            ("sam", "press 4"),
            ("maya", "pair @maya @sam confirm"),
            ("maya", "enrol @priya mentee"),
            ("maya", "pair @omar @priya confirm"),
        ]
    )
    lena_sees = (await console.say("lena", "status")).splitlines()
    at_risk = lena_sees.index("   *At risk: 3*")
    assert lena_sees[at_risk : at_risk + 4] == [
        "   *At risk: 3*",
        "   • @maya (with @sam) · briefing not confirmed when paired · since Mon 23 Nov 2026, 10:00 Europe/Berlin",
        "   • @omar (with @priya) · briefing not confirmed when paired · since Mon 23 Nov 2026, 10:00 Europe/Berlin",
        "   • @priya (with @omar) · briefing not confirmed when paired · since Mon 23 Nov 2026, 10:00 Europe/Berlin",
    ]
    maya_sees = (await console.say("maya", "status")).splitlines()
    at_risk = maya_sees.index("   *At risk: 2*")
    assert maya_sees[at_risk : at_risk + 3] == [
        "   *At risk: 2*",
        "   • @omar (with @priya) · briefing not confirmed when paired · since Mon 23 Nov 2026, 09:00 Europe/London",
        "   • @priya (with @omar) · briefing not confirmed when paired · since Mon 23 Nov 2026, 09:00 Europe/London",
    ]


async def test_the_reminder_kind_is_known_where_the_sweep_runs() -> None:
    """The registry fills at import: the scheduler's module must import the briefings."""
    import subprocess
    import sys

    check = (
        "import scheduler.runner\n"
        "from handlers.due_work import DUE\n"
        "assert 'briefing-reminder' in DUE, sorted(DUE)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
