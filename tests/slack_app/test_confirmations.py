"""A step that cannot be undone asks first, on Slack: the warning travels in the slash
command's ephemeral answer with a Confirm button whose value is the command itself (well
under Slack's 2,000 characters); the click runs it as the clicker, checked afresh."""

from __future__ import annotations

from fakes.slack_harness import (
    actions,
    button,
    context,
    ephemeral,
    header,
    section,
)
from sqlmodel import select

from handlers.grammar import MENTION_CLOSE, MENTION_OPEN
from storage.db import session_factory
from storage.models import Membership, Pair

CONFIRM_VALUE = (
    "20261123T090000Z|briefing-unconfirmed,manager-in-pair,second-mentor|"
    f"pair {MENTION_OPEN}UMAX{MENTION_CLOSE} "
    f'{MENTION_OPEN}USAM{MENTION_CLOSE} program "Demo" confirm'
)
TYPE_CONFIRM = "type the same command with `confirm` at the end."


def warning(*says: dict, label: str, value: str) -> dict:
    return ephemeral(
        "Please confirm: this cannot be undone.",
        [
            header("Please confirm"),
            *says,
            section("This cannot be undone, so I have done nothing yet."),
            actions(button(label, "confirm", value)),
            context(f"The button works for 30 minutes. Or {TYPE_CONFIRM}"),
        ],
    )


async def _pairs(slack) -> list[tuple[int, int]]:
    async with session_factory(slack.runtime.engine)() as session:
        return [(p.mentor_id, p.mentee_id) for p in (await session.exec(select(Pair))).all()]


async def test_pairing_a_manager_with_a_mentee_who_has_a_mentor_asks_first(demo) -> None:
    await demo.command("UADA", "enrol <@UMAX|max> mentor")
    assert await demo.deliver() == 1  # Max's briefing
    before = await demo.counts()
    reply = await demo.command("UADA", "pair <@UMAX|max> <@USAM|sam>")
    assert reply.status == 200
    assert reply.json == warning(
        section(
            "<@USAM> already has a mentor in *Demo*: <@UOMAR>. Paired with <@UMAX> too, they "
            "will have 2 mentors."
        ),
        section(
            "<@UMAX> manages *Demo*. A concern never goes to someone in the pair it is about, "
            "so concerns about this pair would go only to <@UADA>."
        ),
        section(
            "<@UMAX> and <@USAM> have not yet confirmed reading their role briefing for *Demo*."
        ),
        label="Pair them",
        value=CONFIRM_VALUE,
    )
    # Nothing done yet: only the request is recorded, with its answer.
    assert await demo.counts() == {**before, "processed_event": before["processed_event"] + 1}
    assert await demo.deliver() == 0

    reply = await demo.click("UADA", "confirm", CONFIRM_VALUE, response_id="yes")
    assert (reply.status, reply.text) == (200, "")
    assert len(await _pairs(demo)) == 2
    assert await demo.deliver() == 3  # the answer to the click, and Max and Sam greeted
    assert demo.fake.responses_to("yes") == [
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": "Paired a mentor and a mentee in Demo.",
            "blocks": [
                section("Paired <@UMAX> (mentor) with <@USAM> (mentee) in *Demo*."),
                context("I have greeted them both privately."),
            ],
        }
    ]
    # The same button again: checked afresh, it does nothing twice.
    await demo.click("UADA", "confirm", CONFIRM_VALUE, response_id="again")
    assert await demo.deliver() == 1
    assert [r["blocks"] for r in demo.fake.responses_to("again")] == [
        [section("Those two are already a pair in this program.")]
    ]
    assert len(await _pairs(demo)) == 2


async def test_enrolling_a_mentee_as_a_mentor_asks_and_a_click_by_someone_else_is_refused(
    demo,
) -> None:
    value = (
        f"20261123T090000Z|mentee-as-mentor|enrol {MENTION_OPEN}USAM{MENTION_CLOSE} mentor "
        'program "Demo" confirm'
    )
    reply = await demo.command("UMAX", "enrol <@USAM|sam> mentor")
    assert reply.json == warning(
        section(
            "<@USAM> is enrolled as a mentee in *Demo*. Enrolled as a mentor too, they can be "
            "paired as either."
        ),
        label="Enrol them",
        value=value,
    )
    # Omar, no manager, presses a copy of the button: refused, nothing done.
    before = await demo.counts()
    await demo.click("UOMAR", "confirm", value, response_id="omar")
    assert await demo.deliver() == 1
    assert [r["blocks"] for r in demo.fake.responses_to("omar")] == [
        [section("You don't manage a program called “Demo”.")]
    ]
    assert (await demo.counts())["membership"] == before["membership"]
    await demo.click("UMAX", "confirm", value, response_id="max")
    assert await demo.deliver() == 2  # the answer, and Sam's briefing as a mentor
    assert [r["text"] for r in demo.fake.responses_to("max")] == ["Enrolled a mentor in Demo."]
    async with session_factory(demo.runtime.engine)() as session:
        roles = (await session.exec(select(Membership.role))).all()
    assert sorted(roles).count("mentor") == 2  # Omar, and now Sam
