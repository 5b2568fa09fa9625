"""A role briefing over Slack: the exact chat.postMessage on enrolment, the "I've read it"
click (only by the person briefed), and the briefing updated in place with chat.update."""

from __future__ import annotations

from fakes.slack_harness import SlackHarness, actions, button, context, header, run_script, section
from sqlmodel import select

from storage.db import session_factory
from storage.models import Membership

SETUP = [
    ("UADA", 'program create "Demo" purpose "Help new graduates settle in"'),
    ("UADA", "enrol <@USAM|sam> mentee"),
]
BRIEFING = [
    header("Your briefing as a mentee"),
    section("You are enrolled as a mentee in *Demo*."),
    section("The program's purpose: Help new graduates settle in"),
    section(
        "As a mentee, you own the agenda and the goals: decide what you want to work on, "
        "prepare for each meeting, and keep them going."
    ),
    section(
        "What you and your partner say to each other stays between you. If you raise a "
        "concern, only the program's managers see it: I never tell your partner."
    ),
    section(
        "If something is not working, tell the program manager privately at any time: "
        "`/mentoring concern &lt;kind&gt; [what happened]`."
    ),
]


async def _membership_id(slack: SlackHarness) -> str:
    async with session_factory(slack.runtime.engine)() as session:
        membership = (
            await session.exec(select(Membership).where(Membership.role == "mentee"))
        ).one()
    return str(membership.id)


async def test_the_briefing_is_posted_and_its_button_confirms_it_in_place(slack) -> None:
    await run_script(slack, SETUP)
    assert await slack.deliver() == 1
    [posted] = slack.dms_to("USAM")
    value = await _membership_id(slack)
    assert posted.args == {
        "channel": "USAM",
        "text": "Your role as a mentee in Demo: please read.",
        "blocks": [
            *BRIEFING,
            actions(button("I've read it", "briefing.confirm", value, style="primary")),
        ],
        "metadata": await slack.metadata_of(posted),
    }

    # Someone else pressing a copy of the button is refused, privately.
    reply = await slack.click("UADA", "briefing.confirm", value, response_id="ada")
    assert reply.status == 200
    assert await slack.deliver() == 1
    assert [r["blocks"] for r in slack.fake.responses_to("ada")] == [
        [section("That button is for someone else's briefing.")]
    ]
    async with session_factory(slack.runtime.engine)() as session:
        assert (await session.get(Membership, int(value))).briefing_confirmed_at is None

    reply = await slack.click("USAM", "briefing.confirm", value, response_id="sam")
    assert reply.status == 200
    assert await slack.deliver() == 2  # the answer to the click, and the briefing updated
    assert [r["blocks"] for r in slack.fake.responses_to("sam")] == [
        [section("Thank you: your briefing as a mentee in *Demo* is confirmed.")]
    ]
    channel, ts = slack.posted_ref("USAM")
    [update] = slack.updates()
    assert update.args == {
        "channel": channel,
        "ts": ts,
        "text": "Your role as a mentee in Demo: please read.",
        "blocks": [
            *BRIEFING,
            context("You confirmed this on Mon 23 Nov 2026, 09:00 Europe/London."),
        ],
    }
