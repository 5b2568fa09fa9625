"""People on Teams see times in their own zone: their client reports it on every activity
(`localTimezone`, an IANA name), the bot keeps the latest valid one on the person, and the
concern cards and `status` are written in it. Junk is ignored, never stored or shown."""

from __future__ import annotations

import pytest
from fakes.teams_harness import (
    ACKNOWLEDGE,
    RESOLVE,
    TeamsHarness,
    bold,
    concern_card,
    concern_message,
    content,
    plain,
    rich,
)

from storage.models import Person

WORDS = "Sam missed two meetings."
CONCERN = f'concern missed-meeting "{WORDS}"'
ACKNOWLEDGED = plain(
    "You acknowledged the concern. The other managers can see that you have it.\n\n"
    "Omar Khayyam, who raised it, has been told that you acknowledged it.",
    "You acknowledged the concern.",
)


async def zone_of(teams: TeamsHarness, name: str) -> str | None:
    return next(p.timezone for p in await teams.rows(Person) if p.display_name == name)


def without_id(activity: dict) -> dict:
    return {k: v for k, v in content(activity).items() if k != "id"}


async def test_a_concern_acknowledged_by_a_manager_in_berlin(demo: TeamsHarness, clock) -> None:
    # Ada writes from New York before the concern; Max has never said where he is.
    await demo.say("ada", "help", timezone="America/New_York")
    await demo.send(demo.message("omar", CONCERN))
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Omar's receipt, Ada's and Max's cards
    sent = {c.conversation_id: c for c in demo.since(mark, "reply_to_activity")}
    assert content(sent["a:1ada"].body) == concern_message(
        concern_card(1, words=WORDS, raised="Mon 23 Nov 2026, 04:00 America/New_York")
    )
    assert content(sent["a:1max"].body) == concern_message(
        concern_card(1, words=WORDS, raised="Mon 23 Nov 2026, 09:00 UTC")
    )

    clock.advance(600)
    max_card = sent["a:1max"].answer["id"]
    replies = await demo.click("max", ACKNOWLEDGE, "1", card_id=max_card, timezone="Europe/Berlin")
    assert [content(r) for r in replies] == [ACKNOWLEDGED]
    assert await zone_of(demo, "Max Planck") == "Europe/Berlin"

    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # the two cards, and Omar told
    updates = {c.conversation_id: c for c in demo.since(mark, "update_activity")}
    assert without_id(updates["a:1max"].body) == concern_message(
        concern_card(
            1,
            words=WORDS,
            raised="Mon 23 Nov 2026, 10:00 Europe/Berlin",
            progress=[rich(bold("Acknowledged by you"), " · Mon 23 Nov 2026, 10:10 Europe/Berlin")],
            buttons=(RESOLVE,),
        )
    )
    assert without_id(updates["a:1ada"].body) == concern_message(
        concern_card(
            1,
            words=WORDS,
            raised="Mon 23 Nov 2026, 04:00 America/New_York",
            progress=[
                rich(
                    bold("Acknowledged by"),
                    " ",
                    bold("Max Planck"),
                    " · Mon 23 Nov 2026, 04:10 America/New_York",
                )
            ],
            buttons=(RESOLVE,),
        )
    )


async def test_status_shows_when_a_concern_was_raised_in_the_managers_zone(
    demo: TeamsHarness,
) -> None:
    await demo.say("omar", CONCERN)
    [status] = await demo.say("ada", "status", timezone="Asia/Kolkata")
    assert status["text"].endswith(
        "Open concerns: 1\n"
        "• #1 missed-meeting · Omar Khayyam & Sam Cooke · raised Mon 23 Nov 2026, 14:30 "
        "Asia/Kolkata · not acknowledged\n\n"
        "To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`"
        "\n\n"
        "At risk: 2\n"
        "• Omar Khayyam (with Sam Cooke) · briefing not confirmed when paired"
        " · since Mon 23 Nov 2026, 14:30 Asia/Kolkata\n"
        "• Sam Cooke (with Omar Khayyam) · briefing not confirmed when paired"
        " · since Mon 23 Nov 2026, 14:30 Asia/Kolkata\n\n"
        "Briefings not yet confirmed:\n• Omar Khayyam (mentor)\n• Sam Cooke (mentee)\n\n"
        "Every message has been delivered or is on its way."
    )


async def test_a_new_person_gets_their_zone_at_first_contact(teams: TeamsHarness) -> None:
    await teams.say("lena", "help", timezone="Australia/Sydney")
    [lena] = await teams.rows(Person)
    assert (lena.display_name, lena.timezone) == ("Lena Meyer", "Australia/Sydney")


async def test_a_person_who_travels_takes_their_zone_along(teams: TeamsHarness) -> None:
    await teams.say("sam", "help", timezone="Europe/Berlin")
    await teams.say("sam", "help", timezone="Asia/Tokyo")
    assert await zone_of(teams, "Sam Cooke") == "Asia/Tokyo"
    await teams.say("sam", "help")  # an activity without one changes nothing
    assert await zone_of(teams, "Sam Cooke") == "Asia/Tokyo"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "Mars/Olympus_Mons",
        "W. Europe Standard Time",  # a Windows zone name, not IANA
        "+02:00",
        "../../../etc/passwd",
        "/usr/share/zoneinfo/Europe/Berlin",
        "localtime",  # the server's own zone file
        "europe/berlin",  # IANA names are case-sensitive
        "Europe/Berlin" * 10,
    ],
)
async def test_a_zone_that_is_no_iana_name_is_ignored(teams: TeamsHarness, junk: str) -> None:
    usual = await teams.say("sam", "help", timezone="Europe/Berlin")
    replies = await teams.say("sam", "help", timezone=junk)
    assert [content(r) for r in replies] == [content(r) for r in usual]  # answered as usual
    assert content(replies[0])["summary"] == "What mentorbot can do"
    assert await zone_of(teams, "Sam Cooke") == "Europe/Berlin"
    await teams.say("lena", "help", timezone=junk)
    assert await zone_of(teams, "Lena Meyer") is None
