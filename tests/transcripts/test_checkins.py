# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Check-ins in the console: asked on the cadence, answered privately through the form,
reminded once, updated in place; trouble raised as a concern at once; the partner never
hears a word of it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from textwrap import dedent

from sqlalchemy import event, update
from sqlmodel import select

from bot.console.session import DEMO_SETUP
from handlers import due_work
from handlers.context import Caller
from handlers.form_router import handle_open_form, handle_submission
from handlers.forms import Submission
from storage.models import Checkin, Concern, DueItem, OutboxMessage, Pair, Person

DAY = 24 * 3600
WORDS = "Omar cancelled again and I feel stuck"


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


async def sweep(console, clock, seconds: float) -> str:
    """Time passes; the due work sweep runs, as the schedule does every 30 s."""
    start = len(console.lines)
    clock.advance(seconds)
    await due_work.run_due(console.session.deps)
    await console.session.drain()
    return "\n".join(console.lines[start:])


async def chat(console, who: str, *lines: str) -> str:
    out = []
    for line in lines:
        out.append(f"@{who} › {line}".rstrip())
        out.append(await console.say(who, line))
    return "\n".join(line for line in out if line)


def prompt(to: str, partner: str, button: int, reminder: bool = False) -> str:
    ask = "A reminder: how" if reminder else "How"
    return said(f"""
        📨 DM to @{to}
           *Check-in*
           {ask} is it going with @{partner}?
           (A few questions, answered privately: your partner is never told.)
           [{button}: Answer]
    """)


QUESTIONS = """
   How is it going?
   1. Good  2. Okay  3. Struggling"""


async def test_rounds_on_the_cadence_answers_reminders_and_in_place_updates(console, clock) -> None:
    await console.setup(DEMO_SETUP)  # @omar and @sam paired on Mon 23 Nov 2026, 09:00 UTC
    assert await sweep(console, clock, 14 * DAY - 60) == ""
    assert await sweep(console, clock, 60) == prompt("omar", "sam", 5) + "\n" + prompt(
        "sam", "omar", 6
    )
    assert await chat(console, "sam", "press 6", "1", "1", "", "n", "n") == said("""
        @sam › press 6
           @sam pressed [Answer]
        📝 Check-in (only you see this; `cancel` stops)
           How is it going with Omar Haddad? Your partner never sees your answers.
           (Your partner is never told. Your words reach the program manager only if you choose to share them.)
           How is it going?
           1. Good  2. Okay  3. Struggling
        @sam › 1
           What gets in the way? (Enter skips)
           1. Nothing  2. We are not meeting  3. My partner doesn't prepare  4. Confidentiality  5. Not a good match  6. Something else
        @sam › 1
           Anything you would like to add? (Enter skips; at most 2,000 characters)
        @sam ›
           Share my words with the program manager? (y/n)
        @sam › n
           I would like the program manager to contact me? (y/n)
        @sam › n
        🔒 mentorbot (only you see this):
           Thank you: your check-in is recorded. Your partner is never told; your program managers see it only in a concern it raised, or as an at-risk note in their status.
        ✏️  DM to @sam updated (message 8)
           *Check-in*
           How is it going with @omar? Answered Mon 07 Dec 2026, 04:00 America/New_York.
           You said: Good; in the way: Nothing.
           (Only you see this.)
    """)
    # Omar has not answered: one reminder three working days on (Thu 10 Dec, 10:00 his time), never two.
    assert await sweep(console, clock, 3 * DAY - 60) == ""
    assert await sweep(console, clock, 60) == prompt("omar", "sam", 7, reminder=True)
    assert await sweep(console, clock, 10 * DAY) == ""
    # Round 2, four weeks after the start (Mon 21 Dec); round 3 four weeks later (Mon 18 Jan).
    assert await sweep(console, clock, DAY - 60) == ""
    assert await sweep(console, clock, 60) == prompt("omar", "sam", 8) + "\n" + prompt(
        "sam", "omar", 9
    )
    await sweep(console, clock, 27 * DAY)
    assert await sweep(console, clock, DAY - 60) == ""
    assert await sweep(console, clock, 60) == prompt("omar", "sam", 12) + "\n" + prompt(
        "sam", "omar", 13
    )
    async with console.session.deps.sessions() as session:
        rounds = (
            await session.exec(select(Checkin.round, Checkin.asked_at).order_by(Checkin.id))
        ).all()
        pending = (
            await session.exec(
                select(DueItem.key, DueItem.due_at)
                .where(DueItem.status == "pending", DueItem.kind == "checkin")
                .order_by(DueItem.key)
            )
        ).all()
    assert [(r, f"{at:%a %d %b %H:%M}") for r, at in rounds] == [
        (1, "Mon 07 Dec 09:00"),
        (1, "Mon 07 Dec 09:00"),
        (2, "Mon 21 Dec 09:00"),
        (2, "Mon 21 Dec 09:00"),
        (3, "Mon 18 Jan 09:00"),
        (3, "Mon 18 Jan 09:00"),
    ]
    # Round 4 is next, for each of them (keys: checkin:<pair>:<round>:<person>).
    assert [(key.rsplit(":", 1)[0], f"{at:%a %d %b %Y %H:%M}") for key, at in pending] == [
        ("checkin:1:4", "Mon 15 Feb 2027 09:00"),
        ("checkin:1:4", "Mon 15 Feb 2027 09:00"),
    ]


async def test_the_last_two_unanswered_are_flagged_in_status(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 14 * DAY)
    assert "At risk" not in await console.say("maya", "status")
    await chat(console, "sam", "press 6", "2", "", "", "n", "n")
    await sweep(console, clock, 14 * DAY)
    # The second has only just been asked: not yet a missed one.
    assert "At risk" not in await console.say("maya", "status")
    clock.advance(3 * DAY)
    status = await console.say("maya", "status")
    assert (
        "   *At risk: 1*\n"
        "   • @omar (with @sam) · two check-ins in a row unanswered · since Mon 07 Dec 2026, 09:00 Europe/London\n"
    ) in status
    assert "@sam (with" not in status


async def test_struggling_twice_without_a_concern_is_flagged(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 14 * DAY)
    await chat(console, "sam", "press 6", "3", "1", "", "n", "n")  # struggling, nothing in the way
    await sweep(console, clock, 14 * DAY)
    await chat(console, "sam", "press 9", "3", "", "", "n", "n")
    status = await console.say("maya", "status")
    assert (
        "• @sam (with @omar) · struggling twice in a row, no concern raised · since Mon 07 Dec 2026, 09:00 Europe/London"
        in status
    )
    async with console.session.deps.sessions() as session:
        assert (await session.exec(select(Concern))).all() == []


RAISED = """
    🔒 mentorbot (only you see this):
       Your check-in is recorded. From your answers, I have passed a concern on at once, with {what}.
       Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
       (To see where your concerns stand: `concern status`)
    ✏️  DM to @sam updated (message 8)
       *Check-in*
       How is it going with @omar? Answered Mon 07 Dec 2026, 04:00 America/New_York.
       You said: Struggling; in the way: We are not meeting{contact}.
       (Only you see this.)
    📨 DM to @maya
       *Concern: missed meeting*
       Program: Demo Mentoring
       Pair: @omar (mentor) and @sam (mentee)
       Raised by: @sam
       Raised: Mon 07 Dec 2026, 09:00 Europe/London
       Raised from a private check-in. *They {asked} to be contacted.*
       How it is going: Struggling
       What gets in the way: We are not meeting
       Contact asked for: {yes}
       {words}
       [7: Acknowledge]  [8: Resolve]
       (The other member of the pair has not been told.)
"""


async def _answer_struggling(console, clock, share: str, contact: str) -> str:
    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 14 * DAY)
    start = len(console.lines)
    await chat(console, "sam", "press 6", "3", "2", WORDS, share, contact)
    return "\n".join(console.lines[start:])


def _tail(transcript: str) -> str:
    return transcript[transcript.index("🔒 mentorbot") :]


async def test_struggling_raises_a_concern_at_once_with_the_choices_only(console, clock) -> None:
    transcript = await _answer_struggling(console, clock, "n", "y")
    assert _tail(transcript) == said(RAISED).format(
        what="the choices you made",
        contact="; you asked to be contacted",
        asked="asked",
        yes="yes",
        words="(They shared no words.)",
    )
    async with console.session.deps.sessions() as session:
        concern = (await session.exec(select(Concern))).one()
        checkin = (
            await session.exec(select(Checkin).where(Checkin.concern_id == concern.id))
        ).one()
    assert (concern.kind, concern.severity, concern.words) == ("missed-meeting", "normal", None)
    assert (checkin.words, checkin.share_words, checkin.wants_contact) == (WORDS, False, True)
    assert WORDS not in "\n".join(
        console.lines[console.lines.index("🔒 mentorbot (only you see this):") :]
    )


async def test_shared_words_reach_the_manager(console, clock) -> None:
    transcript = await _answer_struggling(console, clock, "y", "n")
    assert _tail(transcript) == said(RAISED).format(
        what="the choices you made and your words",
        contact="",
        asked="did not ask",
        yes="no",
        words=f"> {WORDS}",
    ).replace("They did not ask", "They did not ask")


async def test_the_partner_hears_nothing_of_it(console, clock) -> None:
    await _answer_struggling(console, clock, "y", "y")
    await sweep(console, clock, 30 * DAY)
    to_omar = _dms_to(console.lines, "omar")
    # the briefing, the greeting, round 1, its reminder, round 2
    assert to_omar.count("📨 DM to @omar") == 5
    assert WORDS not in to_omar and "truggling" not in to_omar and "Raised" not in to_omar
    async with console.session.deps.sessions() as session:
        omar = (
            await session.exec(select(Person).where(Person.display_name == "Omar Haddad"))
        ).one()
        views = (
            await session.exec(
                select(OutboxMessage.view).where(OutboxMessage.recipient_id == omar.id)
            )
        ).all()
    text = str(views)
    for secret in (WORDS, "truggling", "not meeting", "contact"):
        assert secret not in text


def _dms_to(lines: list[str], who: str) -> str:
    out, mine = [], False
    for line in lines:
        if not line.startswith("   "):
            mine = line.startswith((f"📨 DM to @{who}", f"✏️  DM to @{who}"))
        if mine:
            out.append(line)
    return "\n".join(out)


async def test_confidentiality_and_anything_else_are_urgent_kinds(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 14 * DAY)
    await chat(console, "sam", "press 6", "1", "4", "", "n", "n")  # good, but confidentiality
    await chat(console, "omar", "press 5", "2", "6", "", "n", "y")  # okay, something else, contact
    async with console.session.deps.sessions() as session:
        kinds = (
            await session.exec(select(Concern.kind, Concern.severity).order_by(Concern.id))
        ).all()
    assert kinds == [("confidentiality", "high"), ("other", "normal")]


async def test_a_check_in_is_answered_once_and_only_by_its_person(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 14 * DAY)
    await sweep(
        console, clock, 3 * DAY
    )  # the reminders: [7: Answer] for @sam, [8: Answer] for @omar
    await chat(console, "omar", "press 8", "1", "", "", "n", "n")
    assert await chat(console, "omar", "press 5", "press 8") == said("""
        @omar › press 5
           (@omar has no button 5 to press; yours are 8)
        @omar › press 8
           @omar pressed [Answer]
        🔒 mentorbot (only you see this):
           You answered this check-in on Thu 10 Dec 2026, 10:00 Europe/Berlin. Nothing was changed.
    """)
    deps = console.session.deps
    again = await handle_submission(
        deps,
        Caller("console", "omar"),
        Submission(action="checkin.answer", value="1", answers={"feeling": "struggling"}),
    )
    assert (
        again.blocks[0]
        .content[0]
        .text.startswith("You answered this check-in on Thu 10 Dec 2026, 10:00")
    )
    someone_else = await handle_open_form(deps, Caller("console", "maya"), "checkin.answer", "2")
    assert (
        someone_else.blocks[0].content[0].text
        == "That check-in is not open to you. Nothing was changed."
    )


async def test_checkin_commands(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("sam", "checkin") == said("""
        🔒 mentorbot (only you see this):
           I have sent you a check-in privately: press Answer in it. Your partner is not told.
    """) + "\n" + prompt("sam", "omar", 5)
    assert await console.say("maya", "checkin all") == said("""
        🔒 mentorbot (only you see this):
           Sent a check-in to *2 people* in *Demo Mentoring*.
           (Each gets it in their working hours. Their answers stay private; one that signals trouble reaches you as a concern.)
    """) + "\n" + prompt("omar", "sam", 6) + "\n" + prompt("sam", "omar", 7)
    assert (await console.say("maya", "checkin @sam")).endswith(prompt("sam", "omar", 8))
    assert await console.say("priya", "checkin") == said("""
        🔒 mentorbot (only you see this):
           You are not in a mentoring pair, so there is nothing to check in on.
    """)
    assert await console.say("omar", "checkin @priya") == said("""
        🔒 mentorbot (only you see this):
           Only a program's managers can do that, and you don't manage a program.
    """)
    assert await console.say("sam", "checkin @omar @lena") == said("""
        🔒 mentorbot (only you see this):
           Name one person, or `all`.
           The form is: `checkin [@partner] · checkin @user|all [program "<name>"]`
    """)
    async with console.session.deps.sessions() as session:
        rounds = (await session.exec(select(Checkin.round).order_by(Checkin.id))).all()
    assert rounds == [1000, 1000, 1001, 1002]


async def test_ended_pairs_and_paused_people(console, clock) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "pair @lena @priya")])
    async with console.session.deps.sessions() as session:
        await session.exec(update(Pair).where(Pair.id == 2).values(state="ended"))
        await session.exec(
            update(Person)
            .where(Person.display_name == "Sam Carter")
            .values(paused_until=clock.now() + timedelta(days=20))
        )
        await session.commit()
    assert await sweep(console, clock, 14 * DAY) == prompt(
        "omar", "sam", 5
    )  # sam paused, lena and priya ended
    assert await sweep(console, clock, 6 * DAY - 60) == prompt("omar", "sam", 6, reminder=True)
    assert await sweep(console, clock, 60) == prompt("sam", "omar", 7)  # the day the pause ends


def test_the_schedule_knows_the_check_ins_due_work() -> None:
    code = "import scheduler.runner; from handlers.due_work import DUE; print(sorted(DUE))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['briefing-reminder', 'checkin', 'checkin-reminder']"


async def test_a_member_of_two_pairs_names_the_partner(console, clock) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "pair @lena @sam confirm")])
    assert await console.say("sam", "checkin") == said("""
        🔒 mentorbot (only you see this):
           You are in more than one pair; mention the partner it is about: Omar Haddad or Lena Fischer.
           The form is: `checkin [@partner] · checkin @user|all [program "<name>"]`
    """)
    assert (await console.say("sam", "checkin @lena")).endswith(prompt("sam", "lena", 5))


async def test_flags_cost_status_one_query_however_many_pairs(console, clock, engine) -> None:
    counted = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: counted.append(1))

    async def queries_for_status() -> int:
        await console.say("maya", "status")  # the first may also note when Maya was last seen
        before = len(counted)
        await console.say("maya", "status")
        return len(counted) - before

    await console.setup(DEMO_SETUP)
    await sweep(console, clock, 28 * DAY)
    small = await queries_for_status()
    for n in range(6):
        await console.say("maya", f"enrol @mentee{n} mentee")
        await console.say("maya", f"pair @lena @mentee{n} confirm")
    await sweep(console, clock, 28 * DAY)  # round 1 of the new pairs, then round 2 is due
    await sweep(console, clock, 30)  # the next sweep asks it
    clock.advance(3 * DAY)  # unanswered long enough to count as missed
    status = await console.say("maya", "status")
    # Check-ins: omar and sam, lena in six pairs, six mentees; and the six mentees, paired
    # before confirming their briefings.
    assert "*At risk: 20*" in status
    assert await queries_for_status() == small
