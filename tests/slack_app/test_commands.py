"""Every `/mentoring` command, answered privately in the ack (the HTTP response body)."""

from __future__ import annotations

from fakes.slack_harness import (
    ADMINS,
    EVERYONE,
    IN_A_PAIR,
    MANAGERS,
    ONCE_PAIRED,
    SlackHarness,
    context,
    ephemeral,
    fields,
    header,
    refused,
    run_script,
    section,
    slack_app,
)
from sqlmodel import select

from storage.db import session_factory
from storage.models import Identity, Membership, Person, Program

CREATE_FORM = 'program create "&lt;name&gt;" [purpose "&lt;text&gt;"]'
NOT_A_MANAGER = "Only a program's managers can do that, and you don't manage a program."


def _help(*sections: dict) -> dict:
    return ephemeral("What mentorbot can do", [header("mentorbot"), *sections])


async def _rows(slack: SlackHarness, model: type) -> list:
    query = select(model).order_by(*model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    async with session_factory(slack.runtime.engine)() as session:
        return list((await session.exec(query)).all())


async def _memberships(slack: SlackHarness) -> set[tuple[str, str]]:
    people = {p.id: p.display_name for p in await _rows(slack, Person)}
    return {(people[m.person_id], m.role) for m in await _rows(slack, Membership)}


async def _refused_and_unchanged(slack: SlackHarness, user: str, text: str, expected: dict) -> None:
    before = await slack.counts()
    reply = await slack.command(user, text, response_id="refusal")
    assert (reply.status, reply.json) == (200, expected)
    assert await slack.counts() == before
    assert await slack.deliver() == 0
    assert slack.fake.responses_to("refusal") == []


# ---------------------------------------------------------------------- help


async def test_help_for_someone_in_no_program_lists_only_everyones_commands(slack) -> None:
    reply = await slack.command("ULENA", "help")
    assert reply.status == 200
    assert reply.json == _help(EVERYONE)


async def test_help_for_a_manager_adds_the_managers_commands(demo) -> None:
    reply = await demo.command("UMAX", "help")
    assert reply.json == _help(EVERYONE, MANAGERS)
    reply = await demo.command("UOMAR", "help")  # a mentor is no manager
    assert reply.json == _help(IN_A_PAIR)


async def test_help_offers_concern_and_checkin_to_members_of_a_pair_only(demo) -> None:
    """Who is in no pair has no pair to raise a concern about: not offered; told instead,
    if they wait for a partner, that it will be there once they are paired."""
    assert (await demo.command("USAM", "help")).json == _help(IN_A_PAIR)
    assert (await demo.command("ULENA", "help")).json == _help(EVERYONE)  # in no program
    await run_script(demo, [("UADA", "enrol <@ULENA|lena> mentee")])
    assert (await demo.command("ULENA", "help")).json == _help(EVERYONE, ONCE_PAIRED)


async def test_help_for_an_admin_adds_program_create(slack) -> None:
    reply = await slack.command("UADA", "help")
    assert reply.json == _help(EVERYONE, ADMINS)


async def test_help_for_an_admin_who_manages(demo) -> None:
    assert (await demo.command("UADA", "?")).json == _help(EVERYONE, MANAGERS, ADMINS)


async def test_help_for_a_manager_of_two_programs_mentions_the_program_option(demo) -> None:
    await run_script(demo, [("UADA", 'program create "Pilot"')])
    reply = await demo.command("UADA", "help")
    assert reply.json == _help(
        EVERYONE,
        MANAGERS,
        context('You manage several programs: add program "&lt;name&gt;" to a manager\'s command.'),
        ADMINS,
    )


async def test_no_command_shows_my_mentoring(demo) -> None:
    reply = await demo.command("USAM", "")
    assert reply.json == ephemeral(
        "Your mentoring",
        [header("Your mentoring"), section("Your mentor is <@UOMAR> in *Demo*.")],
    )
    reply = await demo.command("ULENA", "   ")
    assert reply.json == ephemeral(
        "Your mentoring",
        [
            header("Your mentoring"),
            section(
                "You are not in a mentoring program yet. When a program manager pairs you, "
                "I will introduce you to your partner here."
            ),
        ],
    )


# ---------------------------------------------------------------------- program create


async def test_an_admin_creates_a_program_and_manages_it(slack) -> None:
    reply = await slack.command("UADA", 'program create "Demo" purpose "Grow new graduates"')
    assert reply.status == 200
    assert reply.json == ephemeral(
        "Created the program Demo.",
        [
            section("Created the program *Demo*. You manage it."),
            section(
                "Next: `/mentoring enrol @person mentor` or `/mentoring enrol @person mentee`, "
                "then `/mentoring pair @mentor @mentee`."
            ),
        ],
    )
    [program] = await _rows(slack, Program)
    assert (program.name, program.purpose) == ("Demo", "Grow new graduates")
    [ada] = await _rows(slack, Person)
    assert (ada.display_name, ada.email, ada.timezone) == (
        "Ada",
        "ada@example.com",
        "Europe/London",
    )
    [identity] = await _rows(slack, Identity)
    assert (identity.platform, identity.external_id, identity.workspace_id) == (
        "slack",
        "UADA",
        "T0001",
    )
    assert await _memberships(slack) == {("Ada", "manager")}
    # The caller was looked up once, through the real client; nothing else was said.
    assert [(c.method, c.args) for c in slack.fake.calls if c.method != "auth.test"] == [
        ("users.info", {"user": "UADA"})
    ]
    assert slack.fake.responses == []


async def test_program_names_keep_what_was_typed_and_are_escaped_back(slack) -> None:
    # Typed: program create "R&D <2027>"; Slack sends &, < and > as entities.
    reply = await slack.command("UADA", 'program create "R&amp;D &lt;2027&gt;"')
    assert reply.json == ephemeral(
        "Created the program R&amp;D &lt;2027&gt;.",
        [
            section("Created the program *R&amp;D &lt;2027&gt;*. You manage it."),
            section(
                "Next: `/mentoring enrol @person mentor` or `/mentoring enrol @person mentee`, "
                "then `/mentoring pair @mentor @mentee`."
            ),
        ],
    )
    [program] = await _rows(slack, Program)
    assert program.name == "R&D <2027>"


async def test_a_non_admin_cannot_create_a_program(slack) -> None:
    await _refused_and_unchanged(
        slack,
        "UMAX",
        'program create "Mine"',
        refused(
            "Only the people named in MENTORBOT_ADMINS can create programs. "
            "Ask whoever runs mentorbot here to add you."
        ),
    )
    assert await _rows(slack, Program) == []
    assert await _rows(slack, Person) == []


async def test_admins_may_be_named_by_email(engine, clock) -> None:
    async with slack_app(engine, clock, admins="Max@Example.com") as slack:
        reply = await slack.command("UMAX", 'program create "Max\'s"')
        assert reply.json["text"] == "Created the program Max's."
        reply = await slack.command("UADA", 'program create "Ada\'s"')
        assert reply.json["blocks"][0]["text"]["text"].startswith(
            "Only the people named in MENTORBOT_ADMINS"
        )
        assert [p.name for p in await _rows(slack, Program)] == ["Max's"]


async def test_a_program_name_is_taken_whatever_its_case(slack) -> None:
    await run_script(slack, [("UADA", 'program create "Demo"')])
    await _refused_and_unchanged(
        slack,
        "UADA",
        'program create "  demo "',
        refused("There is already a program called “demo”.", CREATE_FORM),
    )


# ---------------------------------------------------------------------- managers


async def test_managers_add_and_remove(slack) -> None:
    await run_script(slack, [("UADA", 'program create "Demo"')])

    reply = await slack.command("UADA", "managers add <@UMAX|max>")
    assert reply.json == ephemeral(
        "Added a manager to Demo.", [section("<@UMAX> is now a manager of *Demo*.")]
    )
    reply = await slack.command("UADA", "manager add <@UBEA|bea> BACKUP")
    assert reply.json == ephemeral(
        "Added a backup manager to Demo.", [section("<@UBEA> is now a backup manager of *Demo*.")]
    )
    assert await _memberships(slack) == {
        ("Ada", "manager"),
        ("Max", "manager"),
        ("Bea", "backup_manager"),
    }
    # The people named were looked up through users.info on the fake.
    looked_up = [c.args["user"] for c in slack.fake.calls_to("users.info")]
    assert looked_up == ["UADA", "UMAX", "UBEA"]

    await _refused_and_unchanged(
        slack, "UADA", "managers add <@UMAX|max>", refused("Max is already a manager of Demo.")
    )
    await _refused_and_unchanged(
        slack,
        "UADA",
        "managers add <@UBEA|bea> backup",
        refused("Bea is already a backup manager of Demo."),
    )

    reply = await slack.command("UMAX", "managers remove <@UBEA|bea>")  # any manager may
    assert reply.json == ephemeral(
        "Removed a manager from Demo.", [section("<@UBEA> no longer manages *Demo*.")]
    )
    reply = await slack.command("UADA", "managers add <@UMAX|max> backup")  # a demotion
    assert reply.json == ephemeral(
        "Added a backup manager to Demo.", [section("<@UMAX> is now a backup manager of *Demo*.")]
    )
    assert await _memberships(slack) == {("Ada", "manager"), ("Max", "backup_manager")}


async def test_the_last_manager_cannot_be_removed_or_demoted(slack) -> None:
    await run_script(
        slack, [("UADA", 'program create "Demo"'), ("UADA", "managers add <@UBEA> backup")]
    )
    last = refused("Ada is the only manager of Demo; add another first.")
    await _refused_and_unchanged(slack, "UADA", "managers remove <@UADA|ada>", last)
    await _refused_and_unchanged(slack, "UBEA", "managers remove <@UADA|ada>", last)
    await _refused_and_unchanged(slack, "UADA", "managers add <@UADA|ada> backup", last)
    assert await _memberships(slack) == {("Ada", "manager"), ("Bea", "backup_manager")}


async def test_managers_refusals(demo) -> None:
    await _refused_and_unchanged(
        demo,
        "UADA",
        "managers remove <@UOMAR|omar>",
        refused("Omar does not manage Demo.", 'managers remove @user [program "&lt;name&gt;"]'),
    )
    await _refused_and_unchanged(
        demo, "UOMAR", "managers add <@ULENA|lena>", refused(NOT_A_MANAGER)
    )


# ---------------------------------------------------------------------- enrol


async def test_enrol_by_mention_with_and_without_a_name(slack) -> None:
    await run_script(slack, [("UADA", 'program create "Demo"')])
    reply = await slack.command("UADA", "enrol <@UOMAR> mentor")
    assert reply.json == ephemeral(
        "Enrolled a mentor in Demo.", [section("Enrolled <@UOMAR> as a mentor in *Demo*.")]
    )
    reply = await slack.command("UADA", "enroll <@USAM|sam> MENTEE")
    assert reply.json == ephemeral(
        "Enrolled a mentee in Demo.", [section("Enrolled <@USAM> as a mentee in *Demo*.")]
    )
    # While Slack cannot be asked, the mention is taken with the name Slack sent with it.
    slack.fake.fail_next("users.info", status=503)
    reply = await slack.command("UADA", "enrol <@W0NEW|newbie> mentee")
    assert reply.json == ephemeral(
        "Enrolled a mentee in Demo.", [section("Enrolled <@W0NEW> as a mentee in *Demo*.")]
    )
    assert await _memberships(slack) == {
        ("Ada", "manager"),
        ("Omar", "mentor"),
        ("Sam", "mentee"),
        ("newbie", "mentee"),
    }
    omar = next(p for p in await _rows(slack, Person) if p.display_name == "Omar")
    assert (omar.email, omar.timezone) == ("omar@example.com", "Europe/London")


async def test_enrol_refuses_who_slack_says_is_not_a_person_to_mentor(slack) -> None:
    await run_script(slack, [("UADA", 'program create "Demo"')])
    slack.fake.add_user("UBOTX", "helperbot")
    slack.fake.users["UBOTX"]["is_bot"] = True
    slack.fake.add_user("ULEFT", "leaver")
    slack.fake.users["ULEFT"]["deleted"] = True
    before = await slack.counts()
    for mention, problem in (
        ("<@UGONE|ghost>", "I can't find @ghost in this workspace."),
        ("<@UBOTX>", "That person is a bot, not a person."),
        ("<@ULEFT|leaver>", "@leaver's account is deactivated."),
    ):
        reply = await slack.command("UADA", f"enrol {mention} mentor")
        assert reply.json == refused(problem), mention
    assert await slack.counts() == before


async def test_enrol_by_email_as_slack_sends_it(slack) -> None:
    await run_script(slack, [("UADA", 'program create "Demo"')])
    reply = await slack.command("UADA", "enrol <mailto:lena@example.com|lena@example.com> mentee")
    assert reply.json == ephemeral(
        "Enrolled a mentee in Demo.", [section("Enrolled <@ULENA> as a mentee in *Demo*.")]
    )
    [lookup] = slack.fake.calls_to("users.lookupByEmail")
    assert lookup.args == {"email": "lena@example.com"}
    lena = next(p for p in await _rows(slack, Person) if p.display_name == "Lena")
    assert lena.email == "lena@example.com"
    identities = {(i.external_id, i.person_id) for i in await _rows(slack, Identity)}
    assert ("ULENA", lena.id) in identities

    # The same person named by mention later is the same person, not a new one (a mentee
    # enrolled as a mentor too: confirmed, see test_confirmations.py).
    reply = await slack.command("UADA", "enrol <@ULENA|lena> mentor confirm")
    assert reply.json["blocks"] == [section("Enrolled <@ULENA> as a mentor in *Demo*.")]
    assert len([p for p in await _rows(slack, Person) if p.display_name == "Lena"]) == 1
    # An address the bot already knows needs no lookup.
    reply = await slack.command("UADA", "enrol <mailto:LENA@example.com|LENA@example.com> mentor")
    assert reply.json == refused("Lena is already enrolled as a mentor in Demo.")
    assert len(slack.fake.calls_to("users.lookupByEmail")) == 1


async def test_enrol_refusals(demo) -> None:
    await _refused_and_unchanged(
        demo,
        "UADA",
        "enrol <mailto:nobody@example.com|nobody@example.com> mentor",
        refused("I can't find anyone with the address nobody@example.com here."),
    )
    assert demo.fake.calls_to("users.lookupByEmail")[-1].args == {"email": "nobody@example.com"}
    await _refused_and_unchanged(
        demo,
        "UADA",
        "enrol <@UOMAR|omar> mentor",
        refused("Omar is already enrolled as a mentor in Demo."),
    )
    await _refused_and_unchanged(demo, "USAM", "enrol <@ULENA|lena> mentor", refused(NOT_A_MANAGER))


# ---------------------------------------------------------------------- pair


async def test_pair_greets_both_privately(demo) -> None:
    await run_script(demo, [("UADA", "enrol <@ULENA|lena> mentee")])
    reply = await demo.command("UADA", "pair <@UOMAR|omar> <@ULENA|lena> confirm")
    assert reply.json == ephemeral(
        "Paired a mentor and a mentee in Demo.",
        [
            section("Paired <@UOMAR> (mentor) with <@ULENA> (mentee) in *Demo*."),
            context("I have greeted them both privately."),
        ],
    )
    assert demo.fake.calls_to("chat.postMessage") == []  # queued in the outbox, not sent yet
    assert await demo.deliver() == 3  # Lena's briefing, then the two greetings
    assert await demo.deliver() == 0

    [to_mentor] = demo.dms_to("UOMAR")
    to_lena = {c.args["text"]: c for c in demo.dms_to("ULENA")}  # sent in either order
    assert set(to_lena) == {
        "Your role as a mentee in Demo: please read.",
        "You have a new mentoring partner in Demo.",
    }
    to_mentee = to_lena["You have a new mentoring partner in Demo."]
    assert len(demo.fake.calls_to("chat.postMessage")) == 3
    assert to_mentor.token == to_mentee.token == "xoxb-test"
    concern_hint = section(
        "If something is not working, tell the program manager privately at any time: "
        "`/mentoring concern &lt;kind&gt; [what happened]`. Your partner is not told."
    )
    purpose = section("The program's purpose: Help new graduates settle in")
    assert to_mentor.args == {
        "channel": "UOMAR",
        "text": "You have a new mentoring partner in Demo.",
        "blocks": [
            header("Welcome to your mentoring pair"),
            section("You are now mentoring <@ULENA> in *Demo*."),
            purpose,
            section(
                "Your mentee owns the agenda and the goals; you support them. "
                "What you say to each other stays between you."
            ),
            concern_hint,
        ],
        "metadata": await demo.metadata_of(to_mentor),
    }
    assert to_mentee.args == {
        "channel": "ULENA",
        "text": "You have a new mentoring partner in Demo.",
        "blocks": [
            header("Welcome to your mentoring pair"),
            section("Your mentor is <@UOMAR> in *Demo*."),
            purpose,
            section(
                "You own the agenda and the goals: bring what you want to work on. "
                "What you say to each other stays between you."
            ),
            concern_hint,
        ],
        "metadata": await demo.metadata_of(to_mentee),
    }


async def test_pair_refusals(demo) -> None:
    await _refused_and_unchanged(
        demo,
        "UADA",
        "pair <@UOMAR|omar> <@USAM|sam>",
        refused("Those two are already a pair in this program."),
    )
    await _refused_and_unchanged(
        demo,
        "UADA",
        "pair <@USAM|sam> <@UOMAR|omar>",
        refused(
            "Omar is the mentor and Sam the mentee in Demo: the mentor comes first.",
            'pair @mentor @mentee [program "&lt;name&gt;"]',
        ),
    )
    await _refused_and_unchanged(
        demo,
        "UADA",
        "pair <@UOMAR|omar> <@ULENA|lena>",
        refused("Lena is not enrolled as a mentee in Demo.", "enrol lena@example.com mentee"),
    )
    await _refused_and_unchanged(demo, "UOMAR", "pair <@UOMAR> <@USAM>", refused(NOT_A_MANAGER))
    assert demo.fake.calls_to("chat.postMessage") == []


# ---------------------------------------------------------------------- status

# The demo's Omar and Sam were paired before confirming their briefings.
UNBRIEFED = "briefing not confirmed when paired · since Mon 23 Nov 2026, 09:00 Europe/London"


async def test_status_shows_people_pairs_concerns_and_failed_deliveries(demo) -> None:
    demo.fake.unreachable["ULENA"] = "user_not_found"
    await run_script(
        demo,
        [
            ("UADA", "enrol <@ULENA|lena> mentee"),
            ("UADA", "pair <@UOMAR|omar> <@ULENA|lena> confirm"),
            ("UOMAR", "concern missed-meeting <@USAM|sam> Sam did not come"),
        ],
    )
    assert await demo.deliver() == 5  # Lena's briefing, two greetings, two managers told
    assert [c.args["channel"] for c in demo.dms_to("ULENA")] == ["ULENA"] * 2  # tried, refused

    reply = await demo.command("UADA", "status")
    assert reply.json == ephemeral(
        "Status of Demo",
        [
            header("Demo: status"),
            section("Purpose: Help new graduates settle in"),
            fields(
                "*Managers*\n<@UADA>, <@UMAX>",
                "*Backup managers*\n<@UBEA>",
                "*Mentors*\n1",
                "*Mentees*\n2",
            ),
            section("*Active pairs: 2*\n• <@UOMAR> mentors <@USAM>\n• <@UOMAR> mentors <@ULENA>"),
            section(
                "*Open concerns: 1*\n• #1 missed-meeting · <@UOMAR> &amp; <@USAM> · "
                "raised Mon 23 Nov 2026, 09:00 Europe/London · not acknowledged"
            ),
            context(
                "To act on one by its number: `/mentoring concern ack &lt;n&gt; [note]` or "
                "`/mentoring concern resolve &lt;n&gt; [note]`"
            ),
            section(
                "*At risk: 4*"
                f"\n• <@UOMAR> (with <@USAM>) · {UNBRIEFED}"
                f"\n• <@USAM> (with <@UOMAR>) · {UNBRIEFED}"
                f"\n• <@UOMAR> (with <@ULENA>) · {UNBRIEFED}"
                f"\n• <@ULENA> (with <@UOMAR>) · {UNBRIEFED}"
            ),
            section(
                "*Briefings not yet confirmed:*\n• <@UOMAR> (mentor)\n• <@USAM> (mentee)\n"
                "• <@ULENA> (mentee)"
            ),
            section(
                "*Messages that could not be delivered: 2*\n• greeting to <@ULENA> for the pair "
                "<@UOMAR> &amp; <@ULENA>: their Slack account was not found (user_not_found)\n"
                "• role briefing to <@ULENA>: their Slack account was not found (user_not_found)"
            ),
        ],
    )


async def test_status_when_all_is_well(demo) -> None:
    reply = await demo.command("UMAX", "status")
    assert reply.json == ephemeral(
        "Status of Demo",
        [
            header("Demo: status"),
            section("Purpose: Help new graduates settle in"),
            fields(
                "*Managers*\n<@UADA>, <@UMAX>",
                "*Backup managers*\n<@UBEA>",
                "*Mentors*\n1",
                "*Mentees*\n1",
            ),
            section("*Active pairs: 1*\n• <@UOMAR> mentors <@USAM>"),
            section("*Open concerns: 0*"),
            section(
                "*At risk: 2*"
                f"\n• <@UOMAR> (with <@USAM>) · {UNBRIEFED}"
                f"\n• <@USAM> (with <@UOMAR>) · {UNBRIEFED}"
            ),
            section("*Briefings not yet confirmed:*\n• <@UOMAR> (mentor)\n• <@USAM> (mentee)"),
            context("Every message has been delivered or is on its way."),
        ],
    )


async def test_status_flags_a_member_paired_unbriefed_until_they_confirm(demo, clock) -> None:
    async with session_factory(demo.runtime.engine)() as session:
        query = select(Membership.id).where(Membership.role == "mentee")
        sams = str((await session.exec(query)).one())
    clock.advance(3600)
    reply = await demo.click("USAM", "briefing.confirm", sams, response_id="sam")
    assert reply.status == 200
    before = await demo.counts()
    reply = await demo.command("UMAX", "status")
    assert await demo.counts() == before  # shown in status, never sent as a DM
    assert reply.json == ephemeral(
        "Status of Demo",
        [
            header("Demo: status"),
            section("Purpose: Help new graduates settle in"),
            fields(
                "*Managers*\n<@UADA>, <@UMAX>",
                "*Backup managers*\n<@UBEA>",
                "*Mentors*\n1",
                "*Mentees*\n1",
            ),
            section("*Active pairs: 1*\n• <@UOMAR> mentors <@USAM>"),
            section("*Open concerns: 0*"),
            section(f"*At risk: 1*\n• <@UOMAR> (with <@USAM>) · {UNBRIEFED}"),
            section("*Briefings not yet confirmed:*\n• <@UOMAR> (mentor)"),
            context("Every message has been delivered or is on its way."),
        ],
    )


async def test_status_with_several_programs_needs_the_program(demo) -> None:
    await run_script(demo, [("UADA", 'program create "Pilot"')])
    await _refused_and_unchanged(
        demo,
        "UADA",
        "status",
        refused(
            'You manage several programs (“Demo”, “Pilot”); add `program "&lt;name&gt;"` at '
            'the end of the command, as in `status program "Demo"`.'
        ),
    )
    reply = await demo.command("UADA", 'status program "pilot"')
    assert reply.json == ephemeral(
        "Status of Pilot",
        [
            header("Pilot: status"),
            fields("*Managers*\n<@UADA>", "*Mentors*\n0", "*Mentees*\n0"),
            section("*Active pairs: 0*"),
            section("*Open concerns: 0*"),
            context("Every message has been delivered or is on its way."),
        ],
    )
    await _refused_and_unchanged(
        demo,
        "UMAX",
        'status program "Pilot"',
        refused("You don't manage a program called “Pilot”."),
    )
    await _refused_and_unchanged(demo, "USAM", "status", refused(NOT_A_MANAGER))


async def test_a_command_holding_the_word_payload_is_done_as_any_other(demo) -> None:
    """Bolt reads a form body holding "payload" anywhere as an interactive payload, and one
    starting with "{" as JSON: such commands were dropped, or answered 500."""
    from urllib.parse import urlencode

    from storage.models import Concern

    form = demo.command_form("UOMAR", "concern other my payloads were ignored")
    form["team_domain"] = "payloads-inc"
    reply = await demo.post(urlencode(form), "application/x-www-form-urlencoded")
    assert reply.status == 200 and reply.json["text"] == "Your concern was recorded."
    odd = "{=1&" + urlencode(demo.command_form("UOMAR", "help"))
    reply = await demo.post(odd, "application/x-www-form-urlencoded")
    assert reply.status == 200 and reply.json["text"] == "What mentorbot can do"
    async with session_factory(demo.runtime.engine)() as session:
        [concern] = (await session.exec(select(Concern))).all()
    assert concern.words == "my payloads were ignored"
