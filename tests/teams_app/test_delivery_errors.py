"""Teams' 4xx answers: one the same message would get again fails the row (shown by
`status`) instead of being retried forever, with the reason in words and Teams' code kept;
our own credentials refused (401) is an operator's alarm (logged, /readyz, status) and
the row waits, since the admin's fix lets the waiting messages go."""

from __future__ import annotations

import pytest
from fakes.teams_harness import TeamsHarness

from storage.models import OutboxMessage, Subject

CONCERN = 'concern missed-meeting "Sam missed two meetings."'


async def send_concern(teams: TeamsHarness) -> None:
    """Omar raises a concern; one dispatcher round tries his receipt and Ada's and Max's
    cards (the failure scripted for Ada's conversation, so never his receipt)."""
    await teams.send(teams.message("omar", CONCERN))
    assert await teams.deliver() == 3


async def concern_rows(teams: TeamsHarness) -> list[tuple[str, str | None]]:
    rows = await teams.rows(OutboxMessage)
    return sorted((r.status, r.last_error) for r in rows if r.subject == Subject.CONCERN)


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (400, "BadArgument", "Teams refused the message (BadArgument; teams answered 400)"),
        (
            413,
            "MessageSizeTooBig",
            "the message was too large for Teams (MessageSizeTooBig; teams answered 413)",
        ),
        (400, None, "Teams refused the message (BadArgument; teams answered 400)"),
    ],
)
async def test_a_refused_message_fails_at_once(
    demo: TeamsHarness, clock, status: int, code: str | None, reason: str
) -> None:
    demo.connector.fail_next("send", status=status, code=code, conversation="a:1ada")
    await send_concern(demo)
    assert await concern_rows(demo) == [("failed", reason), ("sent", None)]
    clock.advance(3600)
    assert await demo.deliver() == 0  # never tried again
    [answer] = await demo.say("ada", "status")
    assert answer["text"].endswith(
        "Messages that could not be delivered: 1\n"
        f"• concern #1 DM to manager Ada Lovelace: {reason}"
    )


REFUSED = (
    "Teams refused the bot's credentials: check TEAMS_APP_ID and TEAMS_APP_PASSWORD "
    "(Unauthorized; teams answered 401)"
)


async def test_our_credentials_refused_are_an_alarm_and_the_message_waits(
    demo: TeamsHarness, clock
) -> None:
    demo.connector.fail_next("send", status=401, code="Unauthorized", conversation="a:1ada")
    await send_concern(demo)
    assert await concern_rows(demo) == [("pending", REFUSED), ("sent", None)]
    readyz = demo.url.replace("/api/messages", "/readyz")
    async with demo.http.get(readyz) as response:
        assert (response.status, await response.json()) == (503, {"ok": False, "teams": REFUSED})
    clock.advance(1.999)  # Teams is paused for the first backoff (2 s): nothing goes
    assert await demo.deliver() == 0
    assert await concern_rows(demo) == [("pending", REFUSED), ("sent", None)]

    clock.advance(3600)
    assert await demo.deliver() == 1
    assert await concern_rows(demo) == [("sent", None), ("sent", None)]
    async with demo.http.get(readyz) as response:  # cleared by the message delivered
        assert (response.status, await response.json()) == (200, {"ok": True})


async def test_a_retry_after_that_is_a_date_waits_a_second(demo: TeamsHarness, clock) -> None:
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    demo.connector.fail_next("send", status=429, retry_after=date, conversation="a:1ada")
    await send_concern(demo)
    assert await concern_rows(demo) == [
        ("pending", "rate limited; retry after 1s"),
        ("sent", None),
    ]
    clock.advance(1)
    assert await demo.deliver() == 1
