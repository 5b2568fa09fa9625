# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""Mistakes that cannot be undone warn first: `pair` giving a mentee a second mentor or
putting a manager in a pair, and `enrol` of a mentee as a mentor, say what would happen
and wait for a Confirm button (or the command typed with `confirm`). The click runs the
command afresh: it asks again if something new came up or if the button has expired."""

from __future__ import annotations

from textwrap import dedent

import pytest
from fakes.transcripts import briefed

from bot.console.session import DEMO_SETUP
from handlers.confirmations import CONFIRM
from handlers.context import Caller
from handlers.router import handle_action
from storage.models import Membership, Pair


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


GREETED_LENA_AND_SAM = """\
📨 DM to @lena
   *Welcome to your mentoring pair*
   You are now mentoring @sam in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   Your mentee owns the agenda and the goals; you support them. What you say to each other stays between you.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
📨 DM to @sam
   *Welcome to your mentoring pair*
   Your mentor is @lena in *Demo Mentoring*.
   The program's purpose: Help new graduates settle in and grow
   You own the agenda and the goals: bring what you want to work on. What you say to each other stays between you.
   If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told."""


async def test_a_second_mentor_is_confirmed_with_one_click(console, rows) -> None:
    await console.setup(DEMO_SETUP)  # Omar mentors Sam
    async with rows.unchanged():
        assert await console.say("maya", "pair @lena @sam") == said("""
            🔒 mentorbot (only you see this):
               *Please confirm*
               @sam already has a mentor in *Demo Mentoring*: @omar. Paired with @lena too, they will have 2 mentors.
               This cannot be undone, so I have done nothing yet.
               [5: Pair them]
               (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
        """)
    assert await console.say("maya", "press 5") == "\n".join(
        [
            "   @maya pressed [Pair them]",
            "🔒 mentorbot (only you see this):",
            "   Paired @lena (mentor) with @sam (mentee) in *Demo Mentoring*.",
            "   (I have greeted them both privately.)",
            GREETED_LENA_AND_SAM,
        ]
    )
    assert await rows.count(Pair) == 2
    # Pressed again: everything is checked afresh, and nothing is done twice.
    async with rows.unchanged():
        assert await console.say("maya", "press 5") == said("""
               @maya pressed [Pair them]
            🔒 mentorbot (only you see this):
               Those two are already a pair in this program.
        """)


async def test_a_manager_in_a_pair_is_told_who_its_concerns_would_reach(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "enrol @maya mentor")
    await console.say("maya", "press 5")  # Maya reads her briefing as a mentor
    await console.say("maya", "managers add @priya backup")
    async with rows.unchanged():
        no_one = await console.say("maya", "pair @maya @priya")
    assert no_one == said("""
        🔒 mentorbot (only you see this):
           *Please confirm*
           @maya manages *Demo Mentoring*. @priya is a backup manager of it. A concern never goes to someone in the pair it is about, so concerns about this pair would reach no one: Demo Mentoring has no manager or backup manager outside this pair. Add one first: `managers add @user [backup]`.
           This cannot be undone, so I have done nothing yet.
           [6: Pair them]
           (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
    """)
    await console.say("maya", "managers add @lena backup")
    async with rows.unchanged():
        backups = await console.say("maya", "pair @maya @priya")
    assert backups.splitlines()[2] == (
        "   @maya manages *Demo Mentoring*. @priya is a backup manager of it. A concern never goes to someone in the pair it is about, so concerns about this pair would go only to the backup manager, @lena, as no other manager is left."
    )
    await console.say("maya", "managers add @omar")
    async with rows.unchanged():
        managers = await console.say("maya", "pair @maya @priya")
    assert managers.splitlines()[2] == (
        "   @maya manages *Demo Mentoring*. @priya is a backup manager of it. A concern never goes to someone in the pair it is about, so concerns about this pair would go only to @omar."
    )
    typed = await console.say("maya", "pair @maya @priya confirm")
    assert typed.splitlines()[:3] == [
        "🔒 mentorbot (only you see this):",
        "   Paired @maya (mentor) with @priya (mentee) in *Demo Mentoring*.",
        "   (I have greeted them both privately.)",
    ]


async def test_a_mentee_enrolled_as_a_mentor_is_confirmed(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        assert await console.say("maya", "enrol @sam mentor") == said("""
            🔒 mentorbot (only you see this):
               *Please confirm*
               @sam is enrolled as a mentee in *Demo Mentoring*. Enrolled as a mentor too, they can be paired as either.
               This cannot be undone, so I have done nothing yet.
               [5: Enrol them]
               (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
        """)
    assert briefed(await console.say("maya", "press 5"), "sam") == said("""
           @maya pressed [Enrol them]
        🔒 mentorbot (only you see this):
           Enrolled @sam as a mentor in *Demo Mentoring*.
    """)
    assert await rows.count(Membership) == 6  # Maya, 2 mentors, 2 mentees, and Sam again
    # A mentor enrolled as a mentee, or a new person, needs no confirmation.
    assert briefed(await console.say("maya", "enrol @omar mentee"), "omar").endswith(
        "Enrolled @omar as a mentee in *Demo Mentoring*."
    )


async def test_a_click_after_something_changed_asks_again(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "pair @lena @sam")  # button 1: a second mentor
    await console.say("maya", "managers add @lena")  # and now a manager in the pair too
    async with rows.unchanged():
        assert await console.say("maya", "press 5") == said("""
               @maya pressed [Pair them]
            🔒 mentorbot (only you see this):
               *Please confirm*
               Something has changed since I asked:
               @sam already has a mentor in *Demo Mentoring*: @omar. Paired with @lena too, they will have 2 mentors.
               @lena manages *Demo Mentoring*. A concern never goes to someone in the pair it is about, so concerns about this pair would go only to @maya.
               This cannot be undone, so I have done nothing yet.
               [6: Pair them]
               (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
        """)
    assert "Paired @lena (mentor) with @sam (mentee)" in await console.say("maya", "press 6")


async def test_an_expired_button_asks_again_or_does_nothing(console, clock, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "pair @lena @sam")  # button 1
    await console.say("maya", "enrol @priya mentor")  # button 2
    clock.advance(31 * 60)
    async with rows.unchanged():
        assert await console.say("maya", "press 5") == said("""
               @maya pressed [Pair them]
            🔒 mentorbot (only you see this):
               *Please confirm*
               That button had expired. As things stand now:
               @sam already has a mentor in *Demo Mentoring*: @omar. Paired with @lena too, they will have 2 mentors.
               This cannot be undone, so I have done nothing yet.
               [7: Pair them]
               (The button works for 30 minutes. Or type the same command with `confirm` at the end.)
        """)
    # Priya's enrolment as a mentee ended meanwhile (as `unenrol` will do): nothing to
    # warn of now, but an old click still does nothing by itself.
    await _drop_membership(console, "priya", "mentee")
    async with rows.unchanged():
        assert await console.say("maya", "press 6") == said("""
               @maya pressed [Enrol them]
            🔒 mentorbot (only you see this):
               That button has expired, so I did nothing. Things may have changed since: type the command again to go ahead.
        """)
    assert "Paired @lena (mentor) with @sam (mentee)" in await console.say("maya", "press 7")


async def _drop_membership(console, handle: str, role: str) -> None:
    from sqlmodel import col, delete, select

    from storage.db import transaction
    from storage.models import Identity

    async with transaction(console.session.deps.sessions) as session:
        identity = (
            await session.exec(select(Identity).where(Identity.external_id == handle))
        ).one()
        await session.exec(
            delete(Membership).where(
                col(Membership.person_id) == identity.person_id, col(Membership.role) == role
            )
        )


async def test_only_a_manager_of_the_program_can_confirm(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "pair @lena @sam")
    value = console.session.messenger.buttons[5].value
    async with rows.unchanged(contact_may_change=True):
        answer = await handle_action(
            console.session.deps, Caller("console", "omar"), CONFIRM, value
        )
    assert [b.content[0].text for b in answer.blocks] == [
        "You don't manage a program called “Demo Mentoring”."
    ]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "20261123T090000Z||status",
        "20261123T090000Z||pair @lena @sam",  # not a confirmation
        "yesterday|second-mentor|pair @lena @sam confirm",
        "x" * 3000,
    ],
)
async def test_a_value_this_version_did_not_make_does_nothing(console, rows, value) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged(contact_may_change=True):
        answer = await handle_action(
            console.session.deps, Caller("console", "maya"), CONFIRM, value
        )
    assert [b.content[0].text for b in answer.blocks] == ["That button no longer does anything."]


async def test_a_forged_value_does_no_more_than_typing_confirm(console, rows) -> None:
    """The value is not trusted: made up, it is only the command the clicker could type."""
    await console.setup(DEMO_SETUP)
    value = '20261123T090000Z|second-mentor|pair \ue000lena\ue001 \ue000sam\ue001 program "Demo Mentoring" confirm'
    answer = await handle_action(console.session.deps, Caller("console", "maya"), CONFIRM, value)
    assert answer.blocks[0].content[0].text == "Paired "
    assert await rows.count(Pair) == 2
