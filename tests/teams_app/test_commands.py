"""Every command, typed to the bot in Teams: the same words as in Slack, people named by
<at> mention or by e-mail/UPN. Nothing here has a button, so every answer is plain text,
queued in the outbox with the command's effects and sent by the dispatcher into the
person's stored 1:1 conversation (`say` runs the dispatcher round)."""

from __future__ import annotations

import re

from fakes.teams_harness import (
    BOT_ID,
    DEMO_SETUP,
    EVERYONE,
    PEOPLE,
    TENANT,
    TeamsHarness,
    concern_card,
    concern_message,
    content,
    plain,
    run_script,
)

from handlers.router import COULD_NOT
from storage import outbox
from storage.models import Identity, Membership, OutboxMessage, Pair, Person, Program

WELCOME = (
    "Hi, I'm mentorbot. I help your mentoring pair keep going, and I tell your program "
    "manager at once if something is wrong. Type help to see what I can do."
)
MANAGERS = (
    "For program managers\n"
    "• `enrol @person mentor|mentee` add someone to your program; they get a role briefing "
    "to read and confirm\n"
    "• `pair @mentor @mentee` start a mentoring pair; both are greeted privately, then "
    "checked in with on the program's schedule. It asks first for a second mentor, a manager "
    "in the pair, or a member who has not confirmed their briefing\n"
    "• `managers add @person [backup]` add a manager or a backup manager\n"
    "• `managers remove @person` remove a manager\n"
    "• `status` people, pairs, open concerns (with their numbers), who is at risk and why "
    "(two check-ins in a row unanswered, struggling twice with no concern, paired before "
    "confirming their briefing), unconfirmed briefings, who is paused or at the weekly cap, "
    "undelivered messages\n"
    "• `program set timezone|checkins|weekly-cap <value>` change a setting: `timezone "
    "Europe/Vilnius` (working hours for people whose own zone is unknown), `checkins "
    "2w,4w,every 4w` (when pairs are asked how it is going), `weekly-cap 4` (routine "
    "messages a person a week, check-ins before reminders); `program set` alone shows them\n"
    "• `program set ack-deadline high|normal <30m|4h|2d>` how long a concern may wait for "
    "acknowledgement before its managers are reminded and then its backup managers told\n"
    "• `program set escalation [repeat-high on|off]` show the escalation policy, or say whether "
    "an urgent concern is reminded every deadline at the last level\n"
    "• `checkin @person|all` send a check-in now, in each recipient's working hours\n"
    "• `concern ack|resolve <n> [note]` acknowledge or resolve concern n, as its buttons do; "
    "a note is for the managers only"
)
ADMINS = (
    "For mentorbot admins\n"
    '• `program create "<name>" [purpose "<text>"]` create a program you manage'
)
NOT_A_MANAGER = "Only a program's managers can do that, and you don't manage a program."
ONLY_ADMINS = (
    "Only the people named in MENTORBOT_ADMINS can create programs. "
    "Ask whoever runs mentorbot here to add you."
)
UNKNOWN_BOGUS = "I don't know the command “bogus”. Type `help` to see what I can do."
RECEIPT = plain(
    "Thank you. The program managers of Demo have been told. I will let you know when it "
    "is acknowledged and when it is resolved, and by whom. Your partner has not been told."
    "\n\nTo see where your concerns stand: `concern status`",
    "Your concern was recorded.",
)
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CONCERN = 'concern missed-meeting "Sam missed two meetings"'


def help_reply(*sections: str) -> dict:
    return plain("\n\n".join(["mentorbot", *sections]), "What mentorbot can do")


def refusal(problem: str, form: str | None = None) -> dict:
    text = problem if form is None else f"{problem}\n\nThe form is: `{form}`"
    return plain(text, COULD_NOT)


def arrived(teams: TeamsHarness, who: str, mark: int) -> list[dict]:
    """What reached `who`'s 1:1 chat since `mark`."""
    return [content(a) for a in teams.arrived(teams.person(who).conversation_id, mark)]


async def memberships(teams: TeamsHarness) -> set[tuple[str, str]]:
    names = {p.id: p.display_name for p in await teams.rows(Person)}
    return {(names[m.person_id], m.role) for m in await teams.rows(Membership)}


# ---------------------------------------------------------------------- answers, via the outbox


async def test_an_answer_is_sent_by_the_dispatcher_into_the_stored_conversation(
    teams: TeamsHarness,
) -> None:
    activity = teams.message("sam", "help")
    assert await teams.send(activity) == []  # nothing is said in the turn
    [row] = await teams.rows(OutboxMessage)
    assert (row.dedupe_key, row.status, row.priority) == (
        f"answer:teams:a:1sam:{activity['id']}",
        "pending",
        outbox.URGENT,  # Sam is waiting for it
    )
    assert await teams.deliver() == 1
    # botbuilder's continue_conversation on the reference stored as Sam wrote: a reply to
    # the continuation activity's fresh uuid1 id.
    [call] = teams.connector.calls_to("reply_to_activity")
    continuation = call.body["replyToId"]
    assert re.fullmatch(UUID, continuation)
    assert call.path == f"/v3/conversations/a%3A1sam/activities/{continuation}"
    assert call.body == {
        "type": "message",
        "serviceUrl": teams.connector.service_url,
        "channelId": "msteams",
        "from": {"id": BOT_ID, "name": "mentorbot"},
        "conversation": {"conversationType": "personal", "id": "a:1sam"},
        "recipient": {"id": "29:1sam", "name": "Sam Cooke", "aadObjectId": "aad-sam"},
        "inputHint": "acceptingInput",
        "replyToId": continuation,
        "textFormat": "plain",
        "text": f"mentorbot\n\n{EVERYONE}",
        "summary": "What mentorbot can do",
    }
    # Nothing else: no new conversation, nothing sent twice.
    assert [c.operation for c in teams.connector.calls] == ["get_member", "reply_to_activity"]
    [row] = await teams.rows(OutboxMessage)
    assert (row.status, row.platform, row.sent_ref["activity_id"]) == (
        "sent",
        "teams",
        call.answer["id"],
    )
    assert await teams.deliver() == 0


async def test_an_answer_the_connector_refused_arrives_later_and_once(
    teams: TeamsHarness, clock
) -> None:
    """Once the activity is recorded as handled, Teams' redelivery is ignored: the answer
    must survive a refused send on its own, in the outbox."""
    activity = teams.message("sam", "help")
    teams.connector.fail_next("send", status=500)
    assert await teams.send(activity) == []
    assert await teams.deliver() == 1  # tried once, and refused
    [refused] = teams.connector.calls_to("reply_to_activity")
    assert refused.status == 500
    [row] = await teams.rows(OutboxMessage)
    assert (row.status, row.last_error) == ("pending", "teams answered 500")

    before = await teams.counts()
    assert await teams.send(activity) == []  # Teams redelivers the same activity id
    assert await teams.counts() == before  # not handled again: no second answer queued
    assert await teams.deliver() == 0  # backing off
    clock.advance(2)
    assert await teams.deliver() == 1
    sends = teams.connector.calls_to("reply_to_activity")
    assert [(c.status, content(c.body)) for c in sends] == [
        (500, help_reply(EVERYONE)),
        (200, help_reply(EVERYONE)),
    ]
    [row] = await teams.rows(OutboxMessage)
    assert (row.status, row.attempts) == ("sent", 2)

    assert await teams.send(activity) == []  # and redelivered once more, after it arrived
    clock.advance(3600)
    assert await teams.deliver() == 0
    assert len(teams.connector.sent("a:1sam")) == 1


# ---------------------------------------------------------------------- help, overview


async def test_help_lists_what_a_newcomer_can_do(teams: TeamsHarness) -> None:
    assert [content(r) for r in await teams.say("sam", "help")] == [help_reply(EVERYONE)]


async def test_help_for_the_admin_who_manages_a_program(teams: TeamsHarness) -> None:
    assert [content(r) for r in await teams.say("ada", "help")] == [help_reply(EVERYONE, ADMINS)]
    await teams.say("ada", 'program create "Demo"')
    replies = await teams.say("ada", "help")
    assert [content(r) for r in replies] == [help_reply(EVERYONE, MANAGERS, ADMINS)]


async def test_the_bots_own_mention_and_html_are_ignored(teams: TeamsHarness) -> None:
    replies = await teams.say("sam", "<p><at>mentorbot</at>&nbsp;help</p>")
    assert [content(r) for r in replies] == [help_reply(EVERYONE)]


async def test_nothing_typed_shows_my_mentoring(demo: TeamsHarness) -> None:
    assert [content(r) for r in await demo.say("omar", "")] == [
        plain("Your mentoring\n\nYou mentor Sam Cooke in Demo.", "Your mentoring")
    ]
    assert [content(r) for r in await demo.say("sam", "")] == [
        plain("Your mentoring\n\nYour mentor is Omar Khayyam in Demo.", "Your mentoring")
    ]
    assert [content(r) for r in await demo.say("lena", "")] == [
        plain(
            "Your mentoring\n\nYou are not in a mentoring program yet. When a program manager "
            "pairs you, I will introduce you to your partner here.",
            "Your mentoring",
        )
    ]


async def test_an_unknown_command_gets_the_way_to_help(teams: TeamsHarness) -> None:
    assert [content(r) for r in await teams.say("sam", "bogus")] == [refusal(UNKNOWN_BOGUS)]


# ---------------------------------------------------------------------- installing the app


async def test_installing_the_app_welcomes_and_stores_the_conversation_reference(
    teams: TeamsHarness,
) -> None:
    replies = await teams.install("sam")
    assert [content(r) for r in replies] == [plain(WELCOME)]
    [identity] = await teams.rows(Identity)
    [person] = await teams.rows(Person)
    assert (person.display_name, person.email) == ("Sam Cooke", "sam@example.com")
    assert (identity.platform, identity.external_id, identity.workspace_id) == (
        "teams",
        "29:1sam",
        TENANT,
    )
    reference = identity.address["reference"]
    assert {k: v for k, v in reference.items() if k != "activityId"} == {
        "user": {"id": "29:1sam", "name": "Sam Cooke", "aadObjectId": "aad-sam"},
        "bot": {"id": BOT_ID, "name": "mentorbot"},
        "conversation": {"conversationType": "personal", "id": "a:1sam"},
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": teams.connector.service_url,
    }


async def test_an_upgrade_of_the_app_is_not_welcomed_again(teams: TeamsHarness) -> None:
    await teams.install("sam")
    replies = await teams.send(teams.installation("sam", action="add-upgrade"))
    assert replies == []
    assert len(await teams.rows(Identity)) == 1


async def test_the_bot_joining_a_personal_chat_stores_the_reference_quietly(
    teams: TeamsHarness,
) -> None:
    activity = teams.members_added("sam")
    activity["membersAdded"] = [{"id": BOT_ID}]  # what Teams sends when the app is added
    assert await teams.send(activity) == []
    [identity] = await teams.rows(Identity)
    assert identity.external_id == "29:1sam"
    assert identity.address["reference"]["conversation"]["id"] == "a:1sam"


async def test_the_person_joining_stores_the_reference_too(teams: TeamsHarness) -> None:
    assert await teams.send(teams.members_added("omar")) == []
    [identity] = await teams.rows(Identity)
    assert identity.address["reference"]["user"]["id"] == "29:1omar"


# ---------------------------------------------------------------------- program create


async def test_the_admin_creates_a_program(teams: TeamsHarness) -> None:
    replies = await teams.say("ada", 'program create "Demo" purpose "Help new graduates"')
    assert [content(r) for r in replies] == [
        plain(
            "Created the program Demo. You manage it.\n\n"
            "Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.",
            "Created the program Demo.",
        )
    ]
    [program] = await teams.rows(Program)
    assert (program.name, program.purpose) == ("Demo", "Help new graduates")
    assert await memberships(teams) == {("Ada Lovelace", "manager")}


async def test_only_admins_create_programs_and_a_refusal_changes_nothing(
    teams: TeamsHarness,
) -> None:
    await teams.install("sam")
    before = await teams.counts()
    replies = await teams.say("sam", 'program create "Mine"')
    assert [content(r) for r in replies] == [refusal(ONLY_ADMINS)]
    after = await teams.counts()  # the event recorded and its answer queued, nothing else
    assert after == {
        **before,
        "processed_event": before["processed_event"] + 1,
        "outbox": before["outbox"] + 1,
    }


async def test_curly_quotes_work_as_in_slack(teams: TeamsHarness) -> None:
    await teams.say("ada", "program create “Emerging leaders”")
    assert [p.name for p in await teams.rows(Program)] == ["Emerging leaders"]


# ---------------------------------------------------------------------- managers


async def test_managers_add_and_remove_by_mention(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    replies = await teams.say("ada", "managers add <at>Max</at>")
    assert [content(r) for r in replies] == [
        plain("Max Planck is now a manager of Demo.", "Added a manager to Demo.")
    ]
    replies = await teams.say("ada", "managers add <at>Bea</at> backup")
    assert [content(r) for r in replies] == [
        plain("Bea Arthur is now a backup manager of Demo.", "Added a backup manager to Demo.")
    ]
    assert await memberships(teams) == {
        ("Ada Lovelace", "manager"),
        ("Max Planck", "manager"),
        ("Bea Arthur", "backup_manager"),
    }
    replies = await teams.say("ada", "managers remove <at>Bea</at>")
    assert [content(r) for r in replies] == [
        plain("Bea Arthur no longer manages Demo.", "Removed a manager from Demo.")
    ]
    assert await memberships(teams) == {("Ada Lovelace", "manager"), ("Max Planck", "manager")}


async def test_a_mentioned_person_is_added_with_their_teams_profile(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    await teams.say("ada", "managers add <at>Max</at>")
    max_person = next(p for p in await teams.rows(Person) if p.display_name == "Max Planck")
    assert max_person.email == "max@example.com"  # from get_member
    identity = next(i for i in await teams.rows(Identity) if i.external_id == "29:1max")
    assert identity.workspace_id == TENANT
    # Max never wrote: how to open a conversation with him later, not a reference.
    assert identity.address == {
        "service_url": teams.connector.service_url,
        "tenant_id": TENANT,
        "bot_id": BOT_ID,
    }
    [lookup] = [c for c in teams.connector.calls_to("get_member") if c.member_id == "29:1max"]
    assert lookup.path == "/v3/conversations/a%3A1ada/members/29%3A1max"


async def test_the_last_manager_cannot_be_removed(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    replies = await teams.say("ada", "managers remove <at>Ada</at>")
    assert [content(r) for r in replies] == [
        refusal("Ada Lovelace is the only manager of Demo; add another first.")
    ]


async def test_a_manager_command_from_someone_who_manages_nothing(teams: TeamsHarness) -> None:
    for text in ("managers add <at>Max</at>", "enrol <at>Omar</at> mentor", "status"):
        assert [content(r) for r in await teams.say("sam", text)] == [refusal(NOT_A_MANAGER)]


# ---------------------------------------------------------------------- enrol and pair


async def test_enrol_by_mention_and_by_email_or_upn(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    replies = await teams.say("ada", "enrol <at>Omar</at> mentor")
    assert [content(r) for r in replies] == [
        plain("Enrolled Omar Khayyam as a mentor in Demo.", "Enrolled a mentor in Demo.")
    ]
    replies = await teams.say("ada", "enrol Sam@Example.com mentee")
    assert [content(r) for r in replies] == [
        plain("Enrolled Sam Cooke as a mentee in Demo.", "Enrolled a mentee in Demo.")
    ]
    [by_upn] = [c for c in teams.connector.calls_to("get_member") if "%40" in c.path]
    assert by_upn.path == "/v3/conversations/a%3A1ada/members/sam%40example.com"
    sam = next(i for i in await teams.rows(Identity) if i.external_id == "29:1sam")
    # The briefing reached Sam: the conversation it opened is how Sam is reached now.
    assert sam.address["reference"]["serviceUrl"] == teams.connector.service_url
    assert await memberships(teams) == {
        ("Ada Lovelace", "manager"),
        ("Omar Khayyam", "mentor"),
        ("Sam Cooke", "mentee"),
    }


async def test_an_address_teams_does_not_know_is_refused(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    before = await teams.counts()
    replies = await teams.say("ada", "enrol nobody@example.com mentee")
    assert [content(r) for r in replies] == [
        refusal("I can't find anyone with the address nobody@example.com here.")
    ]
    assert (await teams.counts())["person"] == before["person"]


async def test_a_bad_enrol_gets_the_form(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    replies = await teams.say("ada", "enrol <at>Omar</at> boss")
    [reply] = [content(r) for r in replies]
    assert reply["text"].endswith('The form is: `enrol @user mentor|mentee [program "<name>"]`')


async def test_pair_greets_both_privately(teams: TeamsHarness) -> None:
    await run_script(teams, DEMO_SETUP[:1] + DEMO_SETUP[3:5])
    replies = await teams.say("ada", "pair <at>Omar</at> <at>Sam</at> confirm")
    assert [content(r) for r in replies] == [
        plain(
            "Paired Omar Khayyam (mentor) with Sam Cooke (mentee) in Demo.\n\n"
            "I have greeted them both privately.",
            "Paired a mentor and a mentee in Demo.",
        )
    ]
    [pair] = await teams.rows(Pair)
    assert pair.state == "active"


async def test_pair_needs_both_enrolled(teams: TeamsHarness) -> None:
    await teams.say("ada", 'program create "Demo"')
    await teams.say("ada", "enrol <at>Omar</at> mentor")
    replies = await teams.say("ada", "pair <at>Omar</at> <at>Sam</at> confirm")
    assert [content(r) for r in replies] == [
        refusal("Sam Cooke is not enrolled as a mentee in Demo.", "enrol sam@example.com mentee")
    ]
    assert await teams.rows(Pair) == []


# ---------------------------------------------------------------------- status and concern


async def test_status_at_a_glance(demo: TeamsHarness) -> None:
    assert [content(r) for r in await demo.say("ada", "status")] == [
        plain(
            "Demo: status\n\n"
            "Purpose: Help new graduates settle in\n\n"
            "Managers: Ada Lovelace, Max Planck\n"
            "Backup managers: Bea Arthur\n"
            "Mentors: 1\n"
            "Mentees: 1\n\n"
            "Active pairs: 1\n"
            "• Omar Khayyam mentors Sam Cooke\n\n"
            "Open concerns: 0\n\n"
            "At risk: 2\n"
            "• Omar Khayyam (with Sam Cooke) · briefing not confirmed when paired"
            " · since Mon 23 Nov 2026, 09:00 UTC\n"
            "• Sam Cooke (with Omar Khayyam) · briefing not confirmed when paired"
            " · since Mon 23 Nov 2026, 09:00 UTC\n\n"
            "Briefings not yet confirmed:\n• Omar Khayyam (mentor)\n• Sam Cooke (mentee)\n\n"
            "Every message has been delivered or is on its way.",
            "Status of Demo",
        )
    ]


async def test_a_concern_gets_a_receipt(demo: TeamsHarness) -> None:
    replies = await demo.say("omar", 'concern missed-meeting "Sam missed two meetings"')
    assert [content(r) for r in replies] == [RECEIPT]


async def test_a_concern_from_someone_in_no_pair(teams: TeamsHarness) -> None:
    replies = await teams.say("lena", "concern other")
    assert [content(r) for r in replies] == [
        refusal(
            "You are not in a mentoring pair, so there is no pair to raise a concern about. "
            "If something is wrong, contact your program manager directly."
        )
    ]


# ---------------------------------------------------------------------- redelivery


async def test_a_redelivered_activity_is_handled_once(demo: TeamsHarness) -> None:
    activity = demo.message("omar", CONCERN)
    mark = len(demo.connector.calls)
    assert await demo.send(activity) == []
    before = await demo.counts()
    assert await demo.send(activity) == []  # the same id again: Teams retried
    assert await demo.counts() == before
    assert await demo.deliver() == 3  # the receipt and one DM per manager, once
    card = concern_card(1, words="Sam missed two meetings", raised="Mon 23 Nov 2026, 09:00 UTC")
    assert {who: arrived(demo, who, mark) for who in ("omar", "sam", "ada", "max", "bea")} == {
        "omar": [RECEIPT],
        "sam": [],  # the partner is not told
        "ada": [concern_message(card)],
        "max": [concern_message(card)],
        "bea": [],  # only a backup
    }
    assert await demo.deliver() == 0


async def test_a_redelivered_refusal_is_answered_once(teams: TeamsHarness) -> None:
    for text, answer in (  # refused by the handler, by the parser
        ('program create "Mine"', refusal(ONLY_ADMINS)),
        ("bogus", refusal(UNKNOWN_BOGUS)),
    ):
        activity = teams.message("sam", text)
        mark = len(teams.connector.calls)
        await teams.send(activity)
        await teams.send(activity)
        assert await teams.deliver() == 1
        assert arrived(teams, "sam", mark) == [answer]


async def test_the_same_words_in_a_new_activity_are_handled_again(teams: TeamsHarness) -> None:
    mark = len(teams.connector.calls)
    assert [content(r) for r in await teams.say("sam", "help")] == [help_reply(EVERYONE)]
    assert [content(r) for r in await teams.say("sam", "help")] == [help_reply(EVERYONE)]
    assert arrived(teams, "sam", mark) == [help_reply(EVERYONE)] * 2


def test_the_harness_people_are_distinct() -> None:
    assert len({p.id for p in PEOPLE.values()}) == len(PEOPLE)
