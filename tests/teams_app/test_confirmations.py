"""A step that cannot be undone asks first, on Teams: the warning arrives as a card (the
typed command's answer, through the outbox) with an Action.Submit whose data carries the
command; the click runs it as the clicker, checked afresh, and is answered in the turn."""

from __future__ import annotations

from fakes.teams_harness import (
    CARD,
    TeamsHarness,
    adaptive_card,
    bold,
    content,
    heading,
    plain,
    rich,
    small,
    submit,
)

from handlers.router import COULD_NOT
from storage.models import Membership

VALUE = '20261123T090000Z|mentee-as-mentor|enrol sam@example.com mentor program "Demo" confirm'


async def test_enrolling_a_mentee_as_a_mentor_asks_with_a_card_then_one_click(
    demo: TeamsHarness,
) -> None:
    before = await demo.counts()
    mark = len(demo.connector.calls)
    [asked] = await demo.say("ada", "enrol sam@example.com mentor")
    [sent] = demo.since(mark, "reply_to_activity")  # the answer, sent by the dispatcher
    assert content(asked) == {
        "type": "message",
        "summary": "Please confirm: this cannot be undone.",
        "attachments": [
            {
                "contentType": CARD,
                "content": adaptive_card(
                    [
                        heading("Please confirm"),
                        rich(
                            bold("Sam Cooke"),
                            " is enrolled as a mentee in ",
                            bold("Demo"),
                            ". Enrolled as a mentor too, they can be paired as either.",
                        ),
                        rich("This cannot be undone, so I have done nothing yet."),
                        small(
                            "The button works for 30 minutes. Or type the same command with "
                            "`confirm` at the end."
                        ),
                    ],
                    [submit("Enrol them", "confirm", VALUE)],
                ),
            }
        ],
    }
    # Nothing was enrolled: only the request and its answer were recorded.
    after = await demo.counts()
    assert after["membership"] == before["membership"]

    click = demo.submit("ada", "confirm", VALUE, card_id=sent.answer["id"])
    assert [content(r) for r in await demo.send(click)] == [
        plain("Enrolled Sam Cooke as a mentor in Demo.", "Enrolled a mentor in Demo.")
    ]
    roles = [m.role for m in await demo.rows(Membership)]
    assert roles.count("mentor") == 2  # Omar, and now Sam
    # Teams redelivers the click: handled once. A new click is checked afresh.
    assert await demo.send(click) == []
    again = await demo.click("ada", "confirm", VALUE, card_id=sent.answer["id"])
    assert [content(r) for r in again] == [
        plain("Sam Cooke is already enrolled as a mentor in Demo.", COULD_NOT)
    ]
