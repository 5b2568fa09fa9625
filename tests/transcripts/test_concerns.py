# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Concerns in the console: a pair member tells the managers, privately and at once; the
managers act on it with buttons; the other member of the pair never hears of it."""

from __future__ import annotations

from dataclasses import replace
from textwrap import dedent

import pytest
from sqlmodel import select

from bot.console.session import DEMO_SETUP
from handlers.commands import CONCERN_KINDS
from handlers.concerns import ACKNOWLEDGE
from handlers.concerns.actions import NOT_YOURS
from handlers.context import Caller
from handlers.router import handle_action
from storage.models import Concern, OutboxMessage, Person

NOT_IN_A_PAIR = (
    "🔒 mentorbot (only you see this):\n"
    "   You are not in a mentoring pair, so there is no pair to raise a concern about. "
    "If something is wrong, contact your program manager directly."
)


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


# ---------------------------------------------------------------------- raising


TITLES = {
    "missed-preparation": "Concern: missed preparation",
    "missed-meeting": "Concern: missed meeting",
    "confidentiality": "Urgent concern: confidentiality",
    "mismatch": "Concern: mismatch",
    "conduct": "Urgent concern: conduct",
    "other": "Concern: other",
}


def test_every_kind_is_covered() -> None:
    assert tuple(TITLES) == CONCERN_KINDS


@pytest.mark.parametrize(("kind", "title"), TITLES.items())
async def test_every_kind_of_concern_reaches_the_manager_at_once(console, kind, title) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("sam", f"concern {kind} It keeps happening") == said(f"""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *{title}*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > It keeps happening
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)


async def test_a_concern_without_words_with_a_partner_and_in_curly_quotes(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    clock.advance(8 * 3600 + 15 * 60)
    assert await console.say("omar", "concern missed_preparation") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: missed preparation*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 17:15 Europe/London
           (They added no words.)
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)
    assert await console.say("omar", "Concern Mismatch @sam “We want different things”") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 17:15 Europe/London
           > We want different things
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)


async def test_a_persons_words_are_kept_as_typed(console, engine) -> None:
    await console.setup(DEMO_SETUP)
    answer = await console.say(
        "sam", 'concern other @omar he said "that\'s "off the record" and told @lena anyway'
    )
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: other*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > he said "that's "off the record" and told @lena anyway
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)
    # What a lock screen shows is the bot's words only.
    async with engine.connect() as conn:
        query = select(OutboxMessage.view).order_by(OutboxMessage.id)
        views = (await conn.execute(query)).scalars().all()
    assert views[-1]["notification"] == (
        "Concern: other in Demo Mentoring. Open mentorbot to respond."
    )


async def test_a_crowd_named_first_is_words_not_the_partner(console, rows) -> None:
    # `@channel`, `@here`, `@everyone` are what Slack's <!channel>… arrive as: not a person.
    await console.setup(DEMO_SETUP)
    assert await console.say(
        "sam", "concern confidentiality @channel knows what I told @omar"
    ) == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Urgent concern: confidentiality*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > @channel knows what I told @omar
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)
    answer = await console.say("omar", "concern conduct @sam @HERE heard him")
    assert "> @HERE heard him" in answer
    assert await rows.count(Person) == 5  # no one called "channel" or "here" was made up


async def test_someone_in_two_pairs_names_the_partner(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "pair @omar @priya")
    async with rows.unchanged():
        unnamed = await console.say("omar", "concern missed-meeting")
        wrong = await console.say("omar", "concern missed-meeting @lena")
    assert unnamed == said("""
        🔒 mentorbot (only you see this):
           You are in more than one pair; mention the partner it is about: Sam Carter or Priya Nair.
           The form is: `concern <kind> [@partner] [what happened]`
    """)
    assert wrong == said("""
        🔒 mentorbot (only you see this):
           You are not in a pair with that person.
           The form is: `concern <kind> [@partner] [what happened]`
    """)
    assert await console.say("omar", "concern missed-meeting @priya Twice now") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @priya (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > Twice now
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)


async def test_someone_in_no_pair_cannot_raise_a_concern(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        enrolled = await console.say("priya", "concern conduct")
        manager = await console.say("maya", "concern other @sam")
        stranger = await console.say("zoe", "concern other")
    assert enrolled == manager == stranger == NOT_IN_A_PAIR


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "concern",
            "Say what kind of concern it is: missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other.",
        ),
        (
            "concern   ",
            "Say what kind of concern it is: missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other.",
        ),
        (
            "concern rude He was rude",
            "The kind of concern is one of: missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other.",
        ),
        (
            "concern @omar conduct",
            "The kind of concern is one of: missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other.",
        ),
        ("concern other " + "x" * 2001, "Please keep it to 2000 characters or fewer."),
    ],
)
async def test_concern_refusals(console, rows, line, problem) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("sam", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `concern <kind> [@partner] [what happened]`
    """)


# ---------------------------------------------------------------------- who is told


async def test_every_manager_is_told_but_never_one_in_the_pair(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    await console.say("maya", "managers add @priya backup")
    await console.say("maya", "enrol @lena mentor")
    await console.say("maya", "pair @lena @sam confirm")
    # Sam's concern about Omar reaches both managers (in name order); not the backup.
    assert await console.say("sam", "concern conduct @omar") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program managers of Demo Mentoring have been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @lena
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
        📨 DM to @maya
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           (They added no words.)
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)
    # About Lena, a manager who mentors Sam: only Maya is told.
    assert await console.say("sam", "concern mismatch @lena") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @lena (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           (They added no words.)
           [9: Acknowledge]  [10: Resolve]
           (The other member of the pair has not been told.)
    """)
    # Lena's lists do not show that a concern about her pair exists.
    assert await console.say("lena", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You mentor @sam in *Demo Mentoring*.
           You manage *Demo Mentoring*. 1 concern waits for acknowledgement.
    """)
    # Nor does her status: only #1, about Omar's pair (#2 is about hers).
    assert await console.say("lena", "status") == said("""
        🔒 mentorbot (only you see this):
           *Demo Mentoring: status*
           Purpose: Help new graduates settle in and grow
           Managers: @lena, @maya
           Backup managers: @priya
           Mentors: 2
           Mentees: 2
           *Active pairs: 2*
           • @omar mentors @sam
           • @lena mentors @sam
           *Open concerns: 1*
           • #1 conduct · @omar & @sam · raised Mon 23 Nov 2026, 10:00 Europe/Berlin · not acknowledged
           (To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`)
           (Every message has been delivered or is on its way.)
    """)


async def test_the_backup_manager_is_told_when_the_only_manager_is_in_the_pair(
    console, rows
) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena backup")
    await console.say("maya", "managers add @priya backup")
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @sam confirm")
    # Sam knows Maya manages the program: the receipt must not say "the program manager".
    assert await console.say("sam", "concern confidentiality @maya She told my team") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The backup managers of Demo Mentoring have been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (No manager in your pair was told: a concern never goes to someone in the pair it is about.)
           (To see where your concerns stand: `concern status`)
        📨 DM to @lena
           *Urgent concern: confidentiality*
           Program: Demo Mentoring
           Pair: @maya (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > She told my team
           [6: Acknowledge]  [7: Resolve]
           (The other member of the pair has not been told.)
        📨 DM to @priya
           *Urgent concern: confidentiality*
           Program: Demo Mentoring
           Pair: @maya (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 14:30 Asia/Kolkata
           > She told my team
           [8: Acknowledge]  [9: Resolve]
           (The other member of the pair has not been told.)
    """)
    # Maya, in the pair, sees nothing of it.
    assert await console.say("maya", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You mentor @sam in *Demo Mentoring*.
           You manage *Demo Mentoring*.
    """)
    assert "*Open concerns: 0*" in await console.say("maya", "status")
    assert "*Open concerns: 1*" in await console.say("lena", "status")


async def test_one_backup_manager_is_told_when_the_only_manager_is_in_the_pair(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena backup")
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    answer = await console.say("priya", "concern mismatch")
    assert answer.startswith(
        said("""
        🔒 mentorbot (only you see this):
           Thank you. The backup manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (No manager in your pair was told: a concern never goes to someone in the pair it is about.)
           (To see where your concerns stand: `concern status`)
        📨 DM to @lena
    """)
    )


NO_ONE_TOLD = said("""
    🔒 mentorbot (only you see this):
       Thank you. Your concern is recorded, but no one has been told yet: Demo Mentoring has no manager outside your pair, and a concern never goes to someone in the pair it is about. Your partner has not been told.
       A manager or backup manager added to the program later will be sent it, and I will let you know when it is acknowledged. If it cannot wait, please tell someone you trust directly, such as your HR contact or whoever runs mentorbot here.
       (To see where your concerns stand: `concern status`)
""")


async def test_with_no_manager_outside_the_pair_the_reporter_knows_no_one_was_told(
    console, rows
) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    # Maya, the only manager, is Priya's mentor: she is not told, and neither is anyone else.
    assert await console.say("priya", "concern mismatch") == NO_ONE_TOLD
    assert await rows.count(Concern) == 1
    # No concern DM: five briefings, four of them confirmed in place, the two pairs' greetings.
    assert await rows.count(OutboxMessage) == 13
    assert "Open concerns: 0" in await console.say("maya", "status")
    # What the receipt promises: a manager added later is sent it, and sees it in status.
    # Maya, in the pair, is not told that anything was sent: that would tell her of it.
    assert await console.say("maya", "managers add @lena") == said("""
        🔒 mentorbot (only you see this):
           @lena is now a manager of *Demo Mentoring*.
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
    assert "*Open concerns: 1*\n   • #1 mismatch · @maya & @priya" in await console.say(
        "lena", "status"
    )
    # Removed, her copy is emptied; added back, it shows the concern again (no second copy).
    assert "(This concern is handled by the program's managers.)" in await console.say(
        "maya", "managers remove @lena"
    )
    # Maya is in the pair: she is not told that Lena was sent anything.
    assert await console.say("maya", "managers add @lena") == said("""
        🔒 mentorbot (only you see this):
           @lena is now a manager of *Demo Mentoring*.
        ✏️  DM to @lena updated (message 10)
           *Concern: mismatch*
           Program: Demo Mentoring
           Pair: @maya (mentor) and @priya (mentee)
           Raised by: @priya
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           [8: Acknowledge]  [9: Resolve]
           (The other member of the pair has not been told.)
    """)
    # 5 briefings (4 confirmed in place), 4 greetings, the DM, 2 updates of it.
    assert await rows.count(OutboxMessage) == 16


async def test_a_new_manager_is_sent_the_open_concerns_and_the_adder_told_how_many(
    console,
) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("omar", "concern missed-meeting")  # Maya is told
    assert await console.say("maya", "managers add @lena") == said("""
        🔒 mentorbot (only you see this):
           @lena is now a manager of *Demo Mentoring*.
           (They were sent 1 open concern of the program.)
        📨 DM to @lena
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)
    await console.say("maya", "press 5")  # Maya acknowledges: Lena's copy shows it
    # and resolves it (button 9: her own copy is updated first, on every database)
    assert await console.say("maya", "press 9") == said("""
           @maya pressed [Resolve]
        🔒 mentorbot (only you see this):
           You marked the concern resolved.
           (@omar, who raised it, has been told that it is resolved.)
        ✏️  DM to @maya updated (message 7)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           (They added no words.)
           *Acknowledged by you* · Mon 23 Nov 2026, 09:00 Europe/London
           *Resolved by you* · Mon 23 Nov 2026, 09:00 Europe/London
        ✏️  DM to @lena updated (message 8)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           *Acknowledged by* @maya · Mon 23 Nov 2026, 10:00 Europe/Berlin
           *Resolved by* @maya · Mon 23 Nov 2026, 10:00 Europe/Berlin
        📨 DM to @omar
           The concern you raised about your pair with @sam in *Demo Mentoring* (missed meeting, Mon 23 Nov 2026, 10:00 Europe/Berlin) was resolved by @maya.
           (If it is not resolved for you, raise it again: `concern <kind> [what happened]`)
    """)
    await console.say("maya", "managers remove @lena")
    # Nothing is left to hand over: Priya is told of no concern, and sent nothing.
    assert await console.say("maya", "managers add @priya") == said("""
        🔒 mentorbot (only you see this):
           @priya is now a manager of *Demo Mentoring*.
    """)


async def test_a_backup_in_the_pair_is_not_told_either(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @omar backup")
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "enrol @omar mentee")
    await console.say("maya", "pair @maya @omar confirm")
    assert await console.say("omar", "concern other @maya") == NO_ONE_TOLD


# ---------------------------------------------------------------------- buttons


async def _two_managers_and_a_concern(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    await console.say("sam", 'concern conduct "He shouted at me"')
    # Button 1 and 2 are on Lena's copy, 3 and 4 on Maya's.


async def test_acknowledge_updates_every_managers_copy_in_place(console, clock) -> None:
    await _two_managers_and_a_concern(console)
    clock.advance(20 * 60)
    assert await console.say("maya", "press 7") == said("""
           @maya pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@sam, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @lena updated (message 7)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > He shouted at me
           *Acknowledged by* @maya · Mon 23 Nov 2026, 10:20 Europe/Berlin
           [9: Resolve]
        ✏️  DM to @maya updated (message 8)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > He shouted at me
           *Acknowledged by you* · Mon 23 Nov 2026, 09:20 Europe/London
           [10: Resolve]
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (conduct, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @maya.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)
    clock.advance(60 * 60)
    assert await console.say("lena", "press 9") == said("""
           @lena pressed [Resolve]
        🔒 mentorbot (only you see this):
           You marked the concern resolved.
           (@sam, who raised it, has been told that it is resolved.)
        ✏️  DM to @lena updated (message 7)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > He shouted at me
           *Acknowledged by* @maya · Mon 23 Nov 2026, 10:20 Europe/Berlin
           *Resolved by you* · Mon 23 Nov 2026, 11:20 Europe/Berlin
        ✏️  DM to @maya updated (message 8)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > He shouted at me
           *Acknowledged by you* · Mon 23 Nov 2026, 09:20 Europe/London
           *Resolved by* @lena · Mon 23 Nov 2026, 10:20 Europe/London
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (conduct, Mon 23 Nov 2026, 04:00 America/New_York) was resolved by @lena.
           (If it is not resolved for you, raise it again: `concern <kind> [what happened]`)
    """)
    assert "*Open concerns: 0*" in await console.say("maya", "status")


async def test_resolve_without_acknowledging_first(console) -> None:
    await _two_managers_and_a_concern(console)
    assert await console.say("lena", "press 6") == said("""
           @lena pressed [Resolve]
        🔒 mentorbot (only you see this):
           You marked the concern resolved.
           (@sam, who raised it, has been told that it is resolved.)
        ✏️  DM to @lena updated (message 7)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > He shouted at me
           *Resolved by you* · Mon 23 Nov 2026, 10:00 Europe/Berlin
        ✏️  DM to @maya updated (message 8)
           *Urgent concern: conduct*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > He shouted at me
           *Resolved by* @lena · Mon 23 Nov 2026, 09:00 Europe/London
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (conduct, Mon 23 Nov 2026, 04:00 America/New_York) was resolved by @lena.
           (If it is not resolved for you, raise it again: `concern <kind> [what happened]`)
    """)
    assert console.session.messenger.buttons == {}


async def test_a_second_press_is_politely_refused(console, rows) -> None:
    await _two_managers_and_a_concern(console)
    buttons = dict(console.session.messenger.buttons)
    await console.say("maya", "press 7")
    # Lena's copy still showed its buttons when she clicked (the update was on its way).
    console.session.messenger.buttons[5] = buttons[5]
    async with rows.unchanged(contact_may_change=True):  # Lena's first contact is noted
        answer = await console.say("lena", "press 5")
    assert answer == said("""
           @lena pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           This concern was already acknowledged by Maya Patel.
    """)
    await console.say("lena", "press 9")
    console.session.messenger.buttons[8] = replace(buttons[8])
    async with rows.unchanged():
        answer = await console.say("maya", "press 8")
    assert answer == said("""
           @maya pressed [Resolve]
        🔒 mentorbot (only you see this):
           This concern was already resolved by Lena Fischer.
    """)


async def test_only_a_manager_can_press(console, rows) -> None:
    await _two_managers_and_a_concern(console)
    # In the console you can press only the buttons of messages you received.
    async with rows.unchanged():
        others = await console.say("sam", "press 7")
        missing = await console.say("maya", "press 103")
        not_a_number = await console.say("maya", "press first")
        nothing = await console.say("maya", "press")
    assert others == "   (@sam has no button 7 to press; you have no buttons now)"
    assert missing == "   (@maya has no button 103 to press; yours are 7, 8)"
    assert not_a_number == "   (@maya has no button first to press; yours are 7, 8)"
    assert nothing == "   (say which button, as in `press 1`: yours are 7, 8)"
    # Someone removed as manager loses the buttons, and a click from the old message
    # (a client that had not refreshed it) is refused.
    await console.say("maya", "managers remove @lena")
    assert await console.say("lena", "press 5") == (
        "   (@lena has no button 5 to press; you have no buttons now)"
    )
    async with rows.unchanged(contact_may_change=True):
        answer = await handle_action(
            console.session.deps, Caller("console", "lena"), ACKNOWLEDGE, "1"
        )
    assert [b.content[0].text for b in answer.blocks] == [NOT_YOURS]


async def test_a_manager_cannot_act_on_a_concern_about_their_own_pair(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @omar backup")
    await console.say("sam", "concern mismatch")
    buttons = console.session.messenger.buttons
    # Omar became a manager later; had the DM reached him, he still could not act on it,
    # and is told no more than for a concern that does not exist (ids are sequential).
    buttons[5] = replace(buttons[5], owner="omar")
    async with rows.unchanged():
        answer = await console.say("omar", "press 5")
    assert answer == said("""
           @omar pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           There is no concern with that number that you can act on.
    """)


async def test_a_concern_to_an_unreachable_manager_shows_in_status(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    console.session.messenger.unreachable.add("maya")
    assert await console.say("sam", "concern missed-meeting") == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program managers of Demo Mentoring have been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @lena
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)
    assert (await console.say("lena", "status")).endswith(
        "   *Open concerns: 1*\n"
        "   • #1 missed-meeting · @omar & @sam · raised Mon 23 Nov 2026, 10:00 Europe/Berlin"
        " · not acknowledged\n"
        "   (To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`)\n"
        "   *Messages that could not be delivered: 1*\n"
        "   • concern #1 DM to manager @maya: their account was not found (user_not_found)"
    )
    # Acknowledging updates the copy that arrived, which now says who could not be reached;
    # the undelivered one is left alone.
    assert await console.say("lena", "press 5") == said("""
           @lena pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@sam, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @lena updated (message 7)
           *Concern: missed meeting*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           (They added no words.)
           *History*
           • Mon 23 Nov 2026, 10:00 Europe/Berlin · sent to @lena
           • Mon 23 Nov 2026, 10:00 Europe/Berlin · could not reach @maya
           *Acknowledged by you* · Mon 23 Nov 2026, 10:00 Europe/Berlin
           [7: Resolve]
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (missed meeting, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @lena.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", "1.0", " 1", ""])
async def test_a_crafted_button_value_is_refused_like_any_other(console, rows, value) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("sam", "concern mismatch")
    deps = console.session.deps
    async with rows.unchanged(contact_may_change=True):
        answer = await handle_action(deps, Caller("console", "maya"), ACKNOWLEDGE, value)
    assert [b.content[0].text for b in answer.blocks] == [
        "There is no concern with that number that you can act on."
    ]


async def test_press_with_a_number_the_console_cannot_read(console) -> None:
    await console.setup(DEMO_SETUP)
    answer = await console.say("maya", "press ²")
    assert answer == "   (@maya has no button ² to press; you have no buttons now)"


@pytest.mark.parametrize("line", ["as", "as omar", "as @", "as @<b>"])
async def test_as_needs_an_at_handle(console, line) -> None:
    assert await console.say("maya", line) == "   (say who you are, as in `as @omar`)"
    assert console.session.me == "maya"


async def test_a_removed_managers_copy_loses_the_words_and_buttons(console) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena")])
    await console.say("sam", 'concern other "private words"')  # Lena's copy 1-2, Maya's 3-4
    answer = await console.say("lena", "managers remove @maya")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           @maya no longer manages *Demo Mentoring*.
        ✏️  DM to @maya updated (message 8)
           (This concern is handled by the program's managers.)
    """)
    # What happens to the concern later reaches only the managers: Maya's copy stays empty.
    assert await console.say("lena", "press 5") == said("""
           @lena pressed [Acknowledge]
        🔒 mentorbot (only you see this):
           You acknowledged the concern. The other managers can see that you have it.
           (@sam, who raised it, has been told that you acknowledged it.)
        ✏️  DM to @lena updated (message 7)
           *Concern: other*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 10:00 Europe/Berlin
           > private words
           *Acknowledged by you* · Mon 23 Nov 2026, 10:00 Europe/Berlin
           [9: Resolve]
        📨 DM to @sam
           The concern you raised about your pair with @omar in *Demo Mentoring* (other, Mon 23 Nov 2026, 04:00 America/New_York) was acknowledged by @lena.
           (I will tell you when it is resolved. Your partner has not been told.)
    """)


async def test_naming_yourself_as_the_partner_is_refused(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("sam", "concern other @sam it is me")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Name your partner, not yourself.
           The form is: `concern <kind> [@partner] [what happened]`
    """)


async def test_a_pair_in_two_programs_says_which_program(console, rows) -> None:
    await console.setup(DEMO_SETUP)  # Omar mentors Sam in Demo Mentoring
    await console.setup(
        [
            ("maya", 'program create "Second"'),
            ("maya", 'enrol @omar mentor program "Second"'),
            ("maya", 'enrol @sam mentee program "Second"'),
            ("maya", 'pair @omar @sam program "Second" confirm'),
        ]
    )
    async with rows.unchanged(contact_may_change=True):
        unsure = await console.say("sam", 'concern missed-meeting "x"')
        elsewhere = await console.say("sam", 'concern missed-meeting program "Third" x')
    assert unsure == said("""
        🔒 mentorbot (only you see this):
           You and your partner are a pair in more than one program; say which: “Demo Mentoring”, “Second”.
           The form is: `concern <kind> [@partner] program "<name>" [what happened]`
    """)
    assert elsewhere == said("""
        🔒 mentorbot (only you see this):
           You are in no pair in a program called “Third”.
           The form is: `concern <kind> [@partner] [what happened]`
    """)
    answer = await console.say("sam", 'concern missed-meeting program "second" he left early')
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Second has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: missed meeting*
           Program: Second
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @sam
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > he left early
           [7: Acknowledge]  [8: Resolve]
           (The other member of the pair has not been told.)
    """)


async def test_a_backup_made_manager_keeps_their_copy_as_it_is(console, rows) -> None:
    await console.setup([*DEMO_SETUP, ("maya", "managers add @lena backup")])
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "pair @maya @priya confirm")
    assert "backup manager of Demo Mentoring has been told" in await console.say(
        "priya", "concern mismatch"
    )
    before = await rows.count(OutboxMessage)
    answer = await console.say("maya", "managers add @lena")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           @lena is now a manager of *Demo Mentoring*.
    """)
    assert await rows.count(OutboxMessage) == before
