"""Messages nobody asked for: the greetings after `pair`, a concern's DM to every manager, and
the in-place update of a manager's card. Each goes through botbuilder's continue_conversation
on the stored reference, or creates the 1:1 conversation for someone who never wrote."""

from __future__ import annotations

import json
import re

from fakes.bot_connector import SENDS
from fakes.teams_harness import (
    ACKNOWLEDGE,
    BOT_ID,
    DEMO_SETUP,
    INSTALLED,
    RESOLVE,
    TENANT,
    TeamsHarness,
    bold,
    card_message,
    concern_card,
    concern_message,
    content,
    plain,
    rich,
    run_script,
)

from handlers import due_work
from handlers.router import COULD_NOT
from storage.models import Identity, OutboxMessage, Person, Subject

RAISED = "Mon 23 Nov 2026, 09:00 UTC"  # Teams gives no time zone: people see UTC
WORDS = "Sam missed two meetings. [click](http://evil) **really**"
CONCERN = f'concern missed-meeting "{WORDS}"'
RECEIPT = plain(
    "Thank you. The program managers of Demo have been told. I will let you know when it "
    "is acknowledged and when it is resolved, and by whom. Your partner has not been told."
    "\n\nTo see where your concerns stand: `concern status`",
    "Your concern was recorded.",
)
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ACKNOWLEDGED = plain(
    "You acknowledged the concern. The other managers can see that you have it.\n\n"
    "Omar Khayyam, who raised it, has been told that you acknowledged it.",
    "You acknowledged the concern.",
)


def continued(call, conversation: str) -> bool:
    """A proactive send as botbuilder's continue_conversation makes it: a reply to the
    continuation activity's fresh uuid1 id, in the stored conversation."""
    return call.operation == "reply_to_activity" and bool(
        re.fullmatch(f"/v3/conversations/{conversation}/activities/{UUID}", call.path)
    )


async def identity(teams: TeamsHarness, external_id: str) -> Identity:
    return next(i for i in await teams.rows(Identity) if i.external_id == external_id)


async def row_for(teams: TeamsHarness, key_prefix: str) -> OutboxMessage:
    return next(r for r in await teams.rows(OutboxMessage) if r.dedupe_key.startswith(key_prefix))


# ---------------------------------------------------------------------- greetings


async def test_pair_greetings_continue_the_stored_conversations(teams: TeamsHarness) -> None:
    for who in INSTALLED:
        await teams.install(who)
    await run_script(teams, DEMO_SETUP[:-1])
    who, pair = DEMO_SETUP[-1]
    await teams.send(teams.message(who, pair))
    mark = len(teams.connector.calls)
    assert await teams.deliver() == 3  # Ada's answer, and the two greetings
    greetings = [c for c in teams.since(mark) if c.conversation_id != "a:1ada"]
    calls = sorted(greetings, key=lambda c: c.conversation_id)
    assert [c.conversation_id for c in calls] == ["a:1omar", "a:1sam"]
    assert all(continued(c, c.path.split("/")[3]) for c in calls)  # never create_conversation
    omar, sam = calls
    assert omar.body["conversation"] == {"conversationType": "personal", "id": "a:1omar"}
    assert omar.body["recipient"] == {
        "id": "29:1omar",
        "name": "Omar Khayyam",
        "aadObjectId": "aad-omar",
    }
    assert omar.body["from"] == {"id": BOT_ID, "name": "mentorbot"}
    assert omar.body["serviceUrl"] == teams.connector.service_url
    assert content(omar.body) == plain(
        "Welcome to your mentoring pair\n\n"
        "You are now mentoring Sam Cooke in Demo.\n\n"
        "The program's purpose: Help new graduates settle in\n\n"
        "Your mentee owns the agenda and the goals; you support them. "
        "What you say to each other stays between you.\n\n"
        "If something is not working, tell the program manager privately at any time: "
        "`concern <kind> [what happened]`. Your partner is not told.",
        "You have a new mentoring partner in Demo.",
    )
    assert content(sam.body) == plain(
        "Welcome to your mentoring pair\n\n"
        "Your mentor is Omar Khayyam in Demo.\n\n"
        "The program's purpose: Help new graduates settle in\n\n"
        "You own the agenda and the goals: bring what you want to work on. "
        "What you say to each other stays between you.\n\n"
        "If something is not working, tell the program manager privately at any time: "
        "`concern <kind> [what happened]`. Your partner is not told.",
        "You have a new mentoring partner in Demo.",
    )
    rows = await teams.rows(OutboxMessage)
    assert {r.status for r in rows} == {"sent"}
    omar_row = next(r for r in rows if r.dedupe_key.endswith(":greeting:2"))
    assert omar_row.platform == "teams"
    assert omar_row.sent_ref["activity_id"] == omar.answer["id"]


# ---------------------------------------------------------------------- a concern's DMs


async def test_a_concern_reaches_every_manager_at_once(demo: TeamsHarness) -> None:
    await demo.send(demo.message("omar", CONCERN))
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Omar's receipt; Ada and Max (Bea is only a backup)
    calls = [c for c in demo.since(mark) if c.conversation_id != "a:1omar"]
    expected = concern_message(concern_card(1, words=WORDS, raised=RAISED))

    [to_ada] = [c for c in calls if c.conversation_id == "a:1ada"]
    assert continued(to_ada, "a%3A1ada")
    assert content(to_ada.body) == expected

    # Max never wrote to the bot: the bot opens the 1:1 first (tenant, service URL, his id).
    [create] = [c for c in calls if c.operation == "create_conversation"]
    assert create.path == "/v3/conversations"
    assert create.body == {
        "isGroup": False,
        "bot": {"id": BOT_ID},
        "members": [{"id": "29:1max"}],
        "channelData": {"tenant": {"id": TENANT}},
        "tenantID": TENANT,  # botbuilder-python's spelling; Teams reads channelData's
    }
    [to_max] = [c for c in calls if c.conversation_id == "a:1max"]
    assert continued(to_max, "a%3A1max")
    assert to_max.body["recipient"] == {"id": "29:1max"}
    assert content(to_max.body) == expected
    assert calls.index(create) < calls.index(to_max)


async def test_the_new_conversation_is_stored_and_continued_next_time(demo: TeamsHarness) -> None:
    await demo.say("omar", CONCERN)  # Max's card goes in the round after it
    max_identity = await identity(demo, "29:1max")
    reference = max_identity.address["reference"]
    assert reference["conversation"] == {"id": "a:1max", "tenantID": TENANT}
    assert reference["serviceUrl"] == demo.connector.service_url
    assert reference["bot"] == {"id": BOT_ID}
    assert reference["user"] == {"id": "29:1max"}

    await demo.send(demo.message("sam", 'concern mismatch "We do not get on"'))
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Sam's receipt, Ada's and Max's cards
    calls = demo.since(mark)
    assert demo.connector.calls_to("create_conversation") == [
        c for c in demo.connector.calls if c.operation == "create_conversation"
    ]
    assert [c for c in calls if c.operation == "create_conversation"] == []
    [to_max] = [c for c in calls if c.conversation_id == "a:1max"]
    assert continued(to_max, "a%3A1max")
    assert content(to_max.body) == concern_message(
        concern_card(
            2, kind="mismatch", words="We do not get on", raised=RAISED, reporter="Sam Cooke"
        ),
        kind="mismatch",
    )


async def test_an_urgent_concern_without_words(demo: TeamsHarness) -> None:
    mark = len(demo.connector.calls)
    await demo.say("sam", "concern conduct")
    [to_ada] = [c for c in demo.since(mark) if c.conversation_id == "a:1ada"]
    assert content(to_ada.body) == concern_message(
        concern_card(
            1, kind="conduct", words=None, raised=RAISED, reporter="Sam Cooke", urgent=True
        ),
        kind="conduct",
        urgent=True,
    )


# ---------------------------------------------------------------------- clicking a card


async def _concern_delivered(teams: TeamsHarness) -> dict[str, str]:
    """Omar raises a concern (delivered with his receipt); returns each manager's card
    activity id."""
    mark = len(teams.connector.calls)
    await teams.say("omar", CONCERN)
    return {
        c.conversation_id: c.answer["id"]
        for c in teams.since(mark, "reply_to_activity")
        if c.status == 200
    }


async def test_acknowledge_updates_every_managers_card_in_place(demo: TeamsHarness, clock) -> None:
    cards = await _concern_delivered(demo)
    clock.advance(600)
    replies = await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    assert [content(r) for r in replies] == [ACKNOWLEDGED]

    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # both cards, and Omar, who raised it, told
    updates = {c.conversation_id: c for c in demo.since(mark, "update_activity")}
    assert set(updates) == {"a:1max", "a:1ada"}
    [to_omar] = demo.since(mark, "reply_to_activity")
    assert continued(to_omar, "a%3A1omar")
    assert content(to_omar.body) == plain(
        "The concern you raised about your pair with Sam Cooke in Demo (missed meeting, "
        "Mon 23 Nov 2026, 09:00 UTC) was acknowledged by Max Planck.\n\n"
        "I will tell you when it is resolved. Your partner has not been told.",
        "Your concern was acknowledged.",
    )

    stamp = " · Mon 23 Nov 2026, 09:10 UTC"
    to_max = updates["a:1max"]
    assert to_max.method == "PUT"
    assert (
        to_max.path
        == f"/v3/conversations/a%3A1max/activities/{cards['a:1max'].replace(':', '%3A')}"
    )
    assert to_max.body["id"] == cards["a:1max"]
    assert {k: v for k, v in content(to_max.body).items() if k != "id"} == concern_message(
        concern_card(
            1,
            words=WORDS,
            raised=RAISED,
            progress=[rich(bold("Acknowledged by you"), stamp)],
            buttons=(RESOLVE,),
        )
    )
    to_ada = updates["a:1ada"]
    assert to_ada.activity_id == cards["a:1ada"]
    assert {k: v for k, v in content(to_ada.body).items() if k != "id"} == concern_message(
        concern_card(
            1,
            words=WORDS,
            raised=RAISED,
            progress=[rich(bold("Acknowledged by"), " ", bold("Max Planck"), stamp)],
            buttons=(RESOLVE,),
        )
    )
    # The conversation now shows the new card where the old one was.
    assert demo.connector.activity("a:1ada", cards["a:1ada"]) == to_ada.body


async def test_resolving_leaves_a_card_without_buttons(demo: TeamsHarness, clock) -> None:
    cards = await _concern_delivered(demo)
    await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    await demo.deliver()
    clock.advance(3600)
    replies = await demo.click("ada", RESOLVE, "1", card_id=cards["a:1ada"])
    assert [content(r) for r in replies] == [
        plain(
            "You marked the concern resolved.\n\n"
            "Omar Khayyam, who raised it, has been told that it is resolved.",
            "You resolved the concern.",
        )
    ]
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # two cards updated, Omar told
    [to_ada] = [c for c in demo.since(mark) if c.conversation_id == "a:1ada"]
    assert to_ada.operation == "update_activity"
    assert {k: v for k, v in content(to_ada.body).items() if k != "id"} == card_message(
        concern_card(
            1,
            words=WORDS,
            raised=RAISED,
            progress=[
                rich(
                    bold("Acknowledged by"),
                    " ",
                    bold("Max Planck"),
                    " · Mon 23 Nov 2026, 09:00 UTC",
                ),
                rich(bold("Resolved by you"), " · Mon 23 Nov 2026, 10:00 UTC"),
            ],
            buttons=(),
        ),
        "Concern: missed meeting in Demo. Open mentorbot to respond.",
    )


async def test_a_second_click_is_told_it_was_done(demo: TeamsHarness) -> None:
    cards = await _concern_delivered(demo)
    await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    replies = await demo.click("ada", ACKNOWLEDGE, "1", card_id=cards["a:1ada"])
    assert [content(r) for r in replies] == [
        plain("This concern was already acknowledged by Max Planck.", "Already acknowledged.")
    ]


async def test_a_redelivered_click_is_handled_once(demo: TeamsHarness) -> None:
    cards = await _concern_delivered(demo)
    click = demo.submit("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    assert [content(r) for r in await demo.send(click)] == [ACKNOWLEDGED]
    assert await demo.send(click) == []
    assert await demo.deliver() == 3  # two cards updated, Omar told once
    assert await demo.deliver() == 0


async def test_only_managers_can_press_the_buttons(demo: TeamsHarness) -> None:
    await _concern_delivered(demo)
    before = await demo.counts()
    replies = await demo.click("sam", ACKNOWLEDGE, "1")
    assert [content(r) for r in replies] == [
        plain("There is no concern with that number that you can act on.", COULD_NOT)
    ]
    assert await demo.counts() == {**before, "processed_event": before["processed_event"] + 1}


async def test_a_stale_button_does_nothing(demo: TeamsHarness) -> None:
    replies = await demo.click("ada", "concern.rematch", "1")
    assert [content(r) for r in replies] == [
        plain("That button no longer does anything.", COULD_NOT)
    ]


# ---------------------------------------------------------------------- who cannot be reached

# The reason as the messenger records it: in words, with Teams' code and status kept.
BLOCKED = "they have blocked the bot / app not installed (MessageWritesBlocked; teams answered 403)"


async def test_message_writes_blocked_fails_the_row_and_status_says_who_and_why(
    demo: TeamsHarness,
) -> None:
    demo.connector.block("29:1max")
    await demo.send(demo.message("omar", CONCERN))
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Omar's receipt and the two managers' cards
    [refused] = demo.since(mark, "create_conversation")
    assert refused.status == 403
    assert refused.answer["error"]["code"] == "MessageWritesBlocked"
    row = await row_for(demo, "escalation:1:level:1:reminder:0:")
    rows = {
        r.recipient_id: r
        for r in await demo.rows(OutboxMessage)
        if r.dedupe_key.startswith("escalation:1:level:1:reminder:0:")
    }
    assert sorted((r.status, r.last_error) for r in rows.values()) == [
        ("failed", BLOCKED),
        ("sent", None),
    ]
    assert row.attempts == 1
    assert await demo.deliver() == 0  # never tried again

    [status] = await demo.say("ada", "status")
    assert status["text"].endswith(
        "Open concerns: 1\n"
        "• #1 missed-meeting · Omar Khayyam & Sam Cooke · raised Mon 23 Nov 2026, 09:00 UTC"
        " · not acknowledged\n\n"
        "To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`"
        "\n\n"
        "At risk: 2\n"
        "• Omar Khayyam (with Sam Cooke) · briefing not confirmed when paired"
        " · since Mon 23 Nov 2026, 09:00 UTC\n"
        "• Sam Cooke (with Omar Khayyam) · briefing not confirmed when paired"
        " · since Mon 23 Nov 2026, 09:00 UTC\n\n"
        "Briefings not yet confirmed:\n• Omar Khayyam (mentor)\n• Sam Cooke (mentee)\n\n"
        "Messages that could not be delivered: 1\n"
        "• concern #1 DM to manager Max Planck: they have blocked the bot / app not installed "
        "(MessageWritesBlocked; teams answered 403)"
    )


async def test_a_blocked_stored_conversation_fails_too(teams: TeamsHarness) -> None:
    for who in INSTALLED:
        await teams.install(who)
    teams.connector.block("29:1sam")  # Sam wrote to the bot, then blocked it
    await run_script(teams, DEMO_SETUP)  # the greetings go in the round after `pair`
    assert await teams.deliver() == 0
    briefing, failed = [r for r in await teams.rows(OutboxMessage) if r.status == "failed"]
    assert briefing.subject == "briefing"  # Sam's too
    assert failed.dedupe_key.endswith(":greeting:3")  # Sam's
    assert failed.last_error == briefing.last_error == BLOCKED
    [status] = await teams.say("ada", "status")
    assert status["text"].endswith(
        "Messages that could not be delivered: 2\n"
        "• greeting to Sam Cooke for the pair Omar Khayyam & Sam Cooke: they have blocked the "
        "bot / app not installed (MessageWritesBlocked; teams answered 403)\n"
        "• role briefing to Sam Cooke: they have blocked the bot / app not installed "
        "(MessageWritesBlocked; teams answered 403)"
    )


async def test_rate_limited_waits_for_retry_after(demo: TeamsHarness, clock) -> None:
    demo.connector.fail_next("send", status=429, retry_after=30, conversation="a:1ada")
    await demo.send(demo.message("omar", CONCERN))
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Omar's receipt, Ada's card (refused), Max's card
    limited = [c for c in demo.since(mark) if c.status == 429]
    assert len(limited) == 1  # the client did not retry by itself
    # A failed proactive turn is no chat turn: nobody gets "Sorry, something went wrong".
    card = concern_message(concern_card(1, words=WORDS, raised="Mon 23 Nov 2026, 09:00 UTC"))
    sends = demo.since(mark, "reply_to_activity")
    assert sorted((c.conversation_id, c.status, content(c.body)) for c in sends) == [
        ("a:1ada", 429, card),
        ("a:1max", 200, card),
        ("a:1omar", 200, RECEIPT),
    ]
    assert "Sorry" not in str([c.body for c in demo.connector.calls])
    [waiting] = [r for r in await demo.rows(OutboxMessage) if r.status == "pending"]
    assert waiting.last_error == "rate limited; retry after 30s"
    assert await demo.deliver() == 0
    clock.advance(29)
    assert await demo.deliver() == 0
    clock.advance(1)
    assert await demo.deliver() == 1
    assert {r.status for r in await demo.rows(OutboxMessage)} == {"sent"}


async def test_a_server_error_backs_off_and_the_client_does_not_retry(
    demo: TeamsHarness, clock
) -> None:
    cards = await _concern_delivered(demo)
    await demo.click("max", ACKNOWLEDGE, "1", card_id=cards["a:1max"])
    demo.connector.fail_next("update_activity", status=500, times=2)
    mark = len(demo.connector.calls)
    assert await demo.deliver() == 3  # Omar told; the two updates refused
    puts = demo.since(mark, "update_activity")
    assert sorted(c.status for c in puts) == [500, 500]  # one try each, no hidden retries
    pending = [r for r in await demo.rows(OutboxMessage) if r.status == "pending"]
    assert [r.last_error for r in pending] == ["teams answered 500"] * 2
    clock.advance(2)
    assert await demo.deliver() == 2
    assert {r.status for r in await demo.rows(OutboxMessage)} == {"sent"}


async def test_an_unreachable_connector_is_a_temporary_failure(demo: TeamsHarness, clock) -> None:
    from storage.db import session_factory, transaction

    async with transaction(session_factory(demo.runtime.engine)) as session:
        ada = await session.get(Identity, (await identity(demo, "29:1ada")).id)
        reference = dict(ada.address["reference"])
        reference["serviceUrl"] = "http://127.0.0.1:9/amer/"  # nothing listens on port 9
        ada.address = {"reference": reference}
        session.add(ada)
    await demo.send(demo.message("omar", CONCERN))
    assert await demo.deliver() == 3  # Omar's receipt and the two managers' cards
    rows = [r for r in await demo.rows(OutboxMessage) if r.subject == Subject.CONCERN]
    assert sorted((r.status, r.last_error) for r in rows) == [
        ("pending", "connection failed: ClientRequestError"),
        ("sent", None),
    ]


async def test_a_slow_member_lookup_is_not_waited_for(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    teams.connector.fail_next("get_member", status=503, retry_after=30)
    replies = await teams.say("ada", "enrol <at>Omar</at> mentor")
    assert [content(r) for r in replies] == [
        plain("Enrolled Omar as a mentor in Demo.", "Enrolled a mentor in Demo.")
    ]  # the mention's name, since Teams could not say more
    assert [c.status for c in teams.connector.calls_to("get_member")][-1:] == [503]
    assert (
        len([c for c in teams.connector.calls_to("get_member") if c.member_id == "29:1omar"]) == 1
    )


async def test_managers_who_blocked_the_bot_are_passed_over_for_the_backup_at_once(
    demo: TeamsHarness,
) -> None:
    """Escalation: when no manager can be reached (403 MessageWritesBlocked for each), the
    backup is sent the concern at once, not a deadline later, and the reporter is told."""
    demo.connector.block("29:1ada")
    demo.connector.block("29:1max")
    await demo.send(demo.message("omar", CONCERN))
    assert await demo.deliver() == 3  # Omar's receipt, and the two managers' cards: refused
    mark = len(demo.connector.calls)
    await due_work.run_due(demo.runtime.deps)  # the same moment: the failures were seen
    while await demo.deliver():
        pass
    people = {p.display_name.split()[0]: p.id for p in await demo.rows(Person)}
    told = {
        r.recipient_id: r.status
        for r in await demo.rows(OutboxMessage)
        if r.subject == Subject.CONCERN
    }
    assert told == {people["Ada"]: "failed", people["Max"]: "failed", people["Bea"]: "sent"}
    cards = json.dumps([c.body for c in demo.since(mark, *SENDS) if c.status == 200])
    assert "Sent to you, a backup manager: no manager of the program could be reached." in cards
    assert "could not reach the program's managers, so its backup managers have been told" in cards
