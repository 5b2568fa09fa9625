# ruff: noqa: E501  (a transcript line is as long as the console prints it)
"""The command language, as people use it in the console: what each command answers,
what it sends, and how every wrong or unauthorised command is refused without changing
anything."""

from __future__ import annotations

from textwrap import dedent

import pytest
from fakes.transcripts import briefed

from bot.console.session import DEMO_SETUP
from storage.models import Membership, Pair, Person, Program


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


# What everyone sees; a member of a pair also sees what only they can do (FOR_PAIRED).
FOR_EVERYONE = """\
   *For everyone*
   • `help` what I can do for you
   • (nothing) your pairs and programs
   • `concern status` where the concerns you raised stand, and who acknowledged or resolved them
   • `pause 2w` pause your check-ins, reminders and other routine messages for up to 4 weeks (or `pause 10d`); concerns still go at once, and your program managers see the pause
   • `resume` end your pause early: what waited comes in your next working hours
   • I also write to you privately, in your working hours and a few times a week at most: a role briefing when you are enrolled (press I've read it), and a check-in on your program's schedule. Struggling with something in the way, confidentiality, or asking to be contacted reaches the program manager at once"""
FOR_PAIRED = """\
   *For everyone*
   • `help` what I can do for you
   • (nothing) your pairs and programs
   • `concern <kind> [@partner] [what happened]` tell the program manager privately that something is wrong; kinds: missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other
   • `concern status` where the concerns you raised stand, and who acknowledged or resolved them
   • `pause 2w` pause your check-ins, reminders and other routine messages for up to 4 weeks (or `pause 10d`); concerns still go at once, and your program managers see the pause
   • `resume` end your pause early: what waited comes in your next working hours
   • `checkin [@partner]` check in now, privately, on how your pair is going; your partner is never told
   • I also write to you privately, in your working hours and a few times a week at most: a role briefing when you are enrolled (press I've read it), and a check-in on your program's schedule. Struggling with something in the way, confidentiality, or asking to be contacted reaches the program manager at once"""
ONCE_PAIRED = "   (Once you are paired you can raise a concern at any time: `concern <kind> [what happened]` tells the program manager privately that something is wrong.)"
FOR_MANAGERS = """\
   *For program managers*
   • `enrol @person mentor|mentee` add someone to your program; they get a role briefing to read and confirm
   • `pair @mentor @mentee` start a mentoring pair; both are greeted privately, then checked in with on the program's schedule. It asks first for a second mentor, a manager in the pair, or a member who has not confirmed their briefing
   • `managers add @person [backup]` add a manager or a backup manager
   • `managers remove @person` remove a manager
   • `status` people, pairs, open concerns (with their numbers), who is at risk and why (two check-ins in a row unanswered, struggling twice with no concern, paired before confirming their briefing), unconfirmed briefings, who is paused or at the weekly cap, undelivered messages
   • `program set timezone|checkins|weekly-cap <value>` change a setting: `timezone Europe/Vilnius` (working hours for people whose own zone is unknown), `checkins 2w,4w,every 4w` (when pairs are asked how it is going), `weekly-cap 4` (routine messages a person a week, check-ins before reminders); `program set` alone shows them
   • `program set ack-deadline high|normal <30m|4h|2d>` how long a concern may wait for acknowledgement before its managers are reminded and then its backup managers told
   • `program set escalation [repeat-high on|off]` show the escalation policy, or say whether an urgent concern is reminded every deadline at the last level
   • `checkin @person|all` send a check-in now, in each recipient's working hours
   • `concern ack|resolve <n> [note]` acknowledge or resolve concern n, as its buttons do; a note is for the managers only"""
FOR_ADMINS = """\
   *For mentorbot admins*
   • `program create "<name>" [purpose "<text>"]` create a program you manage"""
HELP_HEADING = "🔒 mentorbot (only you see this):\n   *mentorbot*"
NOT_A_MANAGER = said("""
    🔒 mentorbot (only you see this):
       Only a program's managers can do that, and you don't manage a program.
""")


# ---------------------------------------------------------------------- help


async def test_help_for_someone_in_no_program(console) -> None:
    # Console callers count as admins, so even a newcomer sees how to create a program.
    assert await console.say("sam", "help") == "\n".join([HELP_HEADING, FOR_EVERYONE, FOR_ADMINS])


async def test_help_for_someone_waiting_for_a_partner_says_how_to_raise_a_concern(console):
    """A concern is about a pair: whoever is in none is not offered the command, but is
    told it will be there once they are paired."""
    await console.say("maya", 'program create "Demo"')
    await console.say("maya", "enrol @sam mentee")
    assert await console.say("sam", "help") == "\n".join(
        [HELP_HEADING, FOR_EVERYONE, ONCE_PAIRED, FOR_ADMINS]
    )


async def test_help_for_a_member_of_a_pair_lists_concern_and_checkin(console) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("sam", "help") == "\n".join([HELP_HEADING, FOR_PAIRED, FOR_ADMINS])
    assert await console.say("omar", "help") == "\n".join([HELP_HEADING, FOR_PAIRED, FOR_ADMINS])
    # Still waiting for a partner, in the same program: as before.
    assert await console.say("lena", "help") == "\n".join(
        [HELP_HEADING, FOR_EVERYONE, ONCE_PAIRED, FOR_ADMINS]
    )


async def test_help_for_a_manager_lists_the_managers_commands(console) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("maya", "help") == "\n".join(
        [HELP_HEADING, FOR_EVERYONE, FOR_MANAGERS, FOR_ADMINS]
    )


async def test_help_for_someone_managing_two_programs_says_how_to_choose(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", 'program create "Leaders"')
    several = '   (You manage several programs: add program "<name>" to a manager\'s command.)'
    assert await console.say("maya", "help") == "\n".join(
        [HELP_HEADING, FOR_EVERYONE, FOR_MANAGERS, several, FOR_ADMINS]
    )


async def test_help_takes_nothing_after_it(console, rows) -> None:
    async with rows.unchanged():
        answer = await console.say("sam", "help me please")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           `help` takes nothing after it.
           The form is: `help`
    """)


# ---------------------------------------------------------------------- the overview


async def test_the_overview_for_a_mentee_a_mentor_a_manager_and_a_stranger(console) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("sam", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           Your mentor is @omar in *Demo Mentoring*.
    """)
    assert await console.say("omar", "   ") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You mentor @sam in *Demo Mentoring*.
    """)
    assert await console.say("maya", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You manage *Demo Mentoring*.
    """)
    not_yet = said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You are not in a mentoring program yet. When a program manager pairs you, I will introduce you to your partner here.
    """)
    assert await console.say("zoe", "") == not_yet  # never heard of
    assert await console.say("priya", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You are enrolled as a mentee in *Demo Mentoring*. When you are paired, I will introduce you to your partner here.
    """)


async def test_the_overview_lists_every_pair_and_what_waits_for_a_manager(console) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "pair @omar @priya")
    assert await console.say("omar", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You mentor @sam in *Demo Mentoring*.
           You mentor @priya in *Demo Mentoring*.
    """)
    await console.say("sam", "concern missed-meeting")
    assert await console.say("maya", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You manage *Demo Mentoring*. 1 concern waits for acknowledgement.
    """)
    await console.say("priya", "concern mismatch")
    assert await console.say("maya", "") == said("""
        🔒 mentorbot (only you see this):
           *Your mentoring*
           You manage *Demo Mentoring*. 2 concerns wait for acknowledgement.
    """)


# ---------------------------------------------------------------------- program create


async def test_program_create_with_a_purpose(console, rows) -> None:
    answer = await console.say(
        "maya", 'program create "Graduates 2026" purpose "Help new graduates settle in"'
    )
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Created the program *Graduates 2026*. You manage it.
           Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.
    """)
    assert await console.say("maya", "status") == said("""
        🔒 mentorbot (only you see this):
           *Graduates 2026: status*
           Purpose: Help new graduates settle in
           Managers: @maya
           Mentors: 0
           Mentees: 0
           *Active pairs: 0*
           *Open concerns: 0*
           (Every message has been delivered or is on its way.)
    """)
    assert await rows.count(Program) == 1


async def test_program_create_without_a_purpose_and_with_curly_quotes(console, rows) -> None:
    answer = await console.say("maya", "program create “Emerging Leaders”")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Created the program *Emerging Leaders*. You manage it.
           Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.
    """)
    answer = await console.say("omar", "Program Create „Engineers“ purpose “Grow seniors”")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Created the program *Engineers*. You manage it.
           Next: `enrol @person mentor` or `enrol @person mentee`, then `pair @mentor @mentee`.
    """)
    assert await console.say("omar", "status") == said("""
        🔒 mentorbot (only you see this):
           *Engineers: status*
           Purpose: Grow seniors
           Managers: @omar
           Mentors: 0
           Mentees: 0
           *Active pairs: 0*
           *Open concerns: 0*
           (Every message has been delivered or is on its way.)
    """)
    assert await rows.count(Program) == 2


async def test_a_program_name_is_taken_whatever_its_case_and_spacing(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("lena", 'program create "  demo   MENTORING "')
    assert answer == said("""
        🔒 mentorbot (only you see this):
           There is already a program called “demo   MENTORING”.
           The form is: `program create "<name>" [purpose "<text>"]`
    """)


NOT_A_PERSON = "A program's name is plain text in quotes, not a person or an address."


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('program create "' + "x" * 81 + '"', "A program's name is 1 to 80 characters."),
        ('program create ""', "A program's name is 1 to 80 characters."),
        ('program create "   "', "A program's name is 1 to 80 characters."),
        ("program create", "To create a program, give it a name in quotes."),
        ("program create @spring", NOT_A_PERSON),
        ("program create spring@example.com", NOT_A_PERSON),
        ('program create "@spring"', NOT_A_PERSON),
        ('program make "Demo"', "To create a program, give it a name in quotes."),
        ('program create "Demo" purpose', 'After the name, only `purpose "<text>"` may follow.'),
        (
            'program create "Demo" for "grads"',
            'After the name, only `purpose "<text>"` may follow.',
        ),
    ],
)
async def test_program_create_refusals(console, rows, line, problem) -> None:
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `program create "<name>" [purpose "<text>"]`
    """)


async def test_a_name_of_80_characters_is_fine(console, rows) -> None:
    name = "n" * 80
    answer = await console.say("maya", f'program create "{name}"')
    assert answer.splitlines()[1] == f"   Created the program *{name}*. You manage it."
    assert await rows.count(Program) == 1


async def test_only_admins_create_programs_where_the_platform_is_not_open(console, rows) -> None:
    # As on Slack and Teams: only the people in MENTORBOT_ADMINS may create programs.
    console.session.deps.open_platforms = frozenset()
    console.session.deps.admins = frozenset({"maya@example.com"})
    async with rows.unchanged():
        answer = await console.say("omar", 'program create "Omar\'s"')
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Only the people named in MENTORBOT_ADMINS can create programs. Ask whoever runs mentorbot here to add you.
    """)
    assert "\n".join([HELP_HEADING, FOR_EVERYONE]) == await console.say("omar", "help")
    answer = await console.say("maya", 'program create "Maya\'s"')
    assert answer.splitlines()[1] == "   Created the program *Maya's*. You manage it."


# ---------------------------------------------------------------------- managers


async def test_managers_add_a_manager_and_a_backup(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    assert await console.say("maya", "managers add @lena") == said("""
        🔒 mentorbot (only you see this):
           @lena is now a manager of *Demo Mentoring*.
    """)
    assert await console.say("maya", "manager add @priya backup") == said("""
        🔒 mentorbot (only you see this):
           @priya is now a backup manager of *Demo Mentoring*.
    """)
    assert await console.say("lena", "status") == said("""
        🔒 mentorbot (only you see this):
           *Demo Mentoring: status*
           Purpose: Help new graduates settle in and grow
           Managers: @lena, @maya
           Backup managers: @priya
           Mentors: 2
           Mentees: 2
           *Active pairs: 1*
           • @omar mentors @sam
           *Open concerns: 0*
           (Every message has been delivered or is on its way.)
    """)
    # A backup manager manages too: they may run manager commands.
    assert (await console.say("priya", "")).endswith("   You manage *Demo Mentoring*.")


async def test_managers_add_refuses_someone_who_already_has_that_role(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena backup")
    async with rows.unchanged():
        as_manager = await console.say("maya", "managers add @maya")
        as_backup = await console.say("maya", "managers add @lena backup")
    assert as_manager == said("""
        🔒 mentorbot (only you see this):
           Maya Patel is already a manager of Demo Mentoring.
    """)
    assert as_backup == said("""
        🔒 mentorbot (only you see this):
           Lena Fischer is already a backup manager of Demo Mentoring.
    """)


async def test_a_manager_becomes_a_backup_only_while_another_manager_remains(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", "managers add @maya backup")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Maya Patel is the only manager of Demo Mentoring; add another first.
    """)
    await console.say("maya", "managers add @lena")
    assert await console.say("maya", "managers add @maya backup") == said("""
        🔒 mentorbot (only you see this):
           @maya is now a backup manager of *Demo Mentoring*.
    """)
    status = await console.say("lena", "status")
    assert "   Managers: @lena\n   Backup managers: @maya\n" in status
    # …and a backup becomes a manager again.
    assert await console.say("lena", "managers add @maya") == said("""
        🔒 mentorbot (only you see this):
           @maya is now a manager of *Demo Mentoring*.
    """)
    assert "   Managers: @lena, @maya\n   Mentors: 2\n" in await console.say("lena", "status")


async def test_managers_remove(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena")
    await console.say("maya", "managers add @priya backup")
    assert await console.say("maya", "managers remove @lena") == said("""
        🔒 mentorbot (only you see this):
           @lena no longer manages *Demo Mentoring*.
    """)
    assert await console.say("maya", "managers remove @priya") == said("""
        🔒 mentorbot (only you see this):
           @priya no longer manages *Demo Mentoring*.
    """)
    assert await console.say("lena", "status") == NOT_A_MANAGER
    assert "   Managers: @maya\n   Mentors: 2\n" in await console.say("maya", "status")


async def test_managers_remove_refuses_the_last_manager_and_a_non_manager(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @priya backup")  # a backup is not a manager
    async with rows.unchanged():
        last = await console.say("maya", "managers remove @maya")
        stranger = await console.say("maya", "managers remove @sam")
    assert last == said("""
        🔒 mentorbot (only you see this):
           Maya Patel is the only manager of Demo Mentoring; add another first.
    """)
    assert stranger == said("""
        🔒 mentorbot (only you see this):
           Sam Carter does not manage Demo Mentoring.
           The form is: `managers remove @user [program "<name>"]`
    """)


@pytest.mark.parametrize(
    ("line", "problem", "form"),
    [
        ("managers", "Say `managers add` or `managers remove`.", "add"),
        ("managers list", "Say `managers add` or `managers remove`.", "add"),
        ("managers add", "Name the person with an @mention or an e-mail address.", "add"),
        ("managers add lena", "Name the person with an @mention or an e-mail address.", "add"),
        ("managers add @lena as backup", "There is something extra at the end.", "add"),
        ("managers remove @lena backup", "There is something extra at the end.", "remove"),
        ("managers remove @lena program", "`program` needs a name in quotes.", "remove"),
    ],
)
async def test_managers_refusals(console, rows, line, problem, form) -> None:
    await console.setup(DEMO_SETUP)
    forms = {
        "add": 'managers add @user [backup] [program "<name>"]',
        "remove": 'managers remove @user [program "<name>"]',
    }
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `{forms[form]}`
    """)


# ---------------------------------------------------------------------- enrol


async def test_enrol_a_mentor_and_a_mentee(console, rows) -> None:
    await console.say("maya", 'program create "Demo"')
    assert briefed(await console.say("maya", "enrol @omar mentor"), "omar") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @omar as a mentor in *Demo*.
    """)
    assert briefed(await console.say("maya", "enroll @sam MENTEE"), "sam") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @sam as a mentee in *Demo*.
    """)
    assert "   Mentors: 1\n   Mentees: 1\n" in await console.say("maya", "status")
    assert await rows.count(Membership) == 3  # maya manages, omar mentors, sam is mentored


async def test_enrol_by_email_address(console, rows) -> None:
    await console.say("maya", 'program create "Demo"')
    # Someone the bot has not met: found in the directory by their address.
    assert briefed(await console.say("maya", "enrol jo.doe@example.com mentee"), "jo.doe") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @jo.doe as a mentee in *Demo*.
    """)
    # Someone it knows: the same person, whatever the case of the address.
    await console.say("omar", "")
    people = await rows.count(Person)
    assert briefed(await console.say("maya", "enrol Omar@Example.COM mentor"), "omar") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @omar as a mentor in *Demo*.
    """)
    assert await rows.count(Person) == people
    # Paired before they confirmed their briefings: `confirm` goes ahead.
    assert await console.say("maya", "pair omar@example.com @jo.doe confirm") == said("""
        🔒 mentorbot (only you see this):
           Paired @omar (mentor) with @jo.doe (mentee) in *Demo*.
           (I have greeted them both privately.)
        📨 DM to @omar
           *Welcome to your mentoring pair*
           You are now mentoring @jo.doe in *Demo*.
           Your mentee owns the agenda and the goals; you support them. What you say to each other stays between you.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
        📨 DM to @jo.doe
           *Welcome to your mentoring pair*
           Your mentor is @omar in *Demo*.
           You own the agenda and the goals: bring what you want to work on. What you say to each other stays between you.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
    """)


async def test_enrol_refuses_someone_already_enrolled_in_that_role(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", "enrol @omar mentor")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Omar Haddad is already enrolled as a mentor in Demo Mentoring.
    """)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("enrol @omar boss", "The role is `mentor` or `mentee`."),
        ("enrol @omar", "Name one person and their role."),
        ("enrol mentor", "Name one person and their role."),
        ("enrol omar mentor", "Name one person and their role."),
        ("enrol", "Name one person and their role."),
        ("enrol @omar @sam mentor", "Name one person and their role."),
        ("enrol @omar mentor program", "`program` needs a name in quotes."),
    ],
)
async def test_enrol_refusals(console, rows, line, problem) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
           The form is: `enrol @user mentor|mentee [program "<name>"]`
    """)


# ---------------------------------------------------------------------- pair


async def test_pair_greets_both_privately(console, rows) -> None:
    await console.setup(DEMO_SETUP[:-1])
    assert await console.say("maya", "pair @lena @priya") == said("""
        🔒 mentorbot (only you see this):
           Paired @lena (mentor) with @priya (mentee) in *Demo Mentoring*.
           (I have greeted them both privately.)
        📨 DM to @lena
           *Welcome to your mentoring pair*
           You are now mentoring @priya in *Demo Mentoring*.
           The program's purpose: Help new graduates settle in and grow
           Your mentee owns the agenda and the goals; you support them. What you say to each other stays between you.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
        📨 DM to @priya
           *Welcome to your mentoring pair*
           Your mentor is @lena in *Demo Mentoring*.
           The program's purpose: Help new graduates settle in and grow
           You own the agenda and the goals: bring what you want to work on. What you say to each other stays between you.
           If something is not working, tell the program manager privately at any time: `concern <kind> [what happened]`. Your partner is not told.
    """)
    assert await rows.count(Pair) == 1


async def test_pair_refuses_people_not_enrolled_in_that_role_with_a_hint(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        swapped = await console.say("maya", "pair @priya @lena")
        no_mentor = await console.say("maya", "pair @zoe @priya")
        not_enrolled = await console.say("maya", "pair @lena @zoe")
    # Named the other way round: not an offer to make a mentee a mentor.
    assert swapped == said("""
        🔒 mentorbot (only you see this):
           Lena Fischer is the mentor and Priya Nair the mentee in Demo Mentoring: the mentor comes first.
           The form is: `pair @mentor @mentee [program "<name>"]`
    """)
    assert no_mentor == said("""
        🔒 mentorbot (only you see this):
           Zoe is not enrolled as a mentor in Demo Mentoring.
           The form is: `enrol @user mentor`
    """)
    assert not_enrolled == said("""
        🔒 mentorbot (only you see this):
           Zoe is not enrolled as a mentee in Demo Mentoring.
           The form is: `enrol @user mentee`
    """)


async def test_the_pair_hint_can_be_typed_as_shown(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", 'program create "Leaders"')
    hint = await console.say("maya", 'pair @omar @priya program "Leaders"')
    assert (
        hint.splitlines()[-1] == '   The form is: `enrol omar@example.com mentor program "Leaders"`'
    )
    typed = hint.splitlines()[-1].split("`")[1]
    assert briefed(await console.say("maya", typed), "omar") == said("""
        🔒 mentorbot (only you see this):
           Enrolled @omar as a mentor in *Leaders*.
    """)


async def test_pair_refuses_the_same_pair_twice_and_a_person_with_themselves(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        twice = await console.say("maya", "pair @omar @sam")
        by_address = await console.say("maya", "pair omar@example.com sam@example.com")
        themselves = await console.say("maya", "pair @omar @omar")
        same_person = await console.say("maya", "pair @omar omar@example.com")
    already = said("""
        🔒 mentorbot (only you see this):
           Those two are already a pair in this program.
    """)
    assert twice == by_address == already
    cannot = said("""
        🔒 mentorbot (only you see this):
           A person cannot mentor themselves.
           The form is: `pair @mentor @mentee [program "<name>"]`
    """)
    assert themselves == same_person == cannot


async def test_pair_refuses_the_same_two_people_the_other_way_round(console, rows) -> None:
    await console.setup(DEMO_SETUP)  # Omar mentors Sam
    await console.say("maya", "enrol @sam mentor confirm")
    await console.say("maya", "enrol @omar mentee")
    async with rows.unchanged():
        reversed_pair = await console.say("maya", "pair @sam @omar")
    assert reversed_pair == said("""
        🔒 mentorbot (only you see this):
           Those two are already a pair in this program.
    """)


@pytest.mark.parametrize("line", ["pair", "pair @omar", "pair @omar sam", "pair @omar @sam @lena"])
async def test_pair_needs_a_mentor_and_a_mentee(console, rows, line) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said("""
        🔒 mentorbot (only you see this):
           Name the mentor, then the mentee.
           The form is: `pair @mentor @mentee [program "<name>"]`
    """)


# ---------------------------------------------------------------------- status


async def test_status_shows_people_pairs_concerns_and_undelivered_messages(console, clock) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", "managers add @lena backup")
    await console.say("omar", 'concern missed-meeting "Sam did not come"')
    clock.advance(90 * 60)
    console.session.messenger.unreachable.add("priya")
    await console.say("maya", "pair @lena @priya confirm")  # Lena is a backup manager
    assert await console.say("maya", "status") == said("""
        🔒 mentorbot (only you see this):
           *Demo Mentoring: status*
           Purpose: Help new graduates settle in and grow
           Managers: @maya
           Backup managers: @lena
           Mentors: 2
           Mentees: 2
           *Active pairs: 2*
           • @omar mentors @sam
           • @lena mentors @priya
           *Open concerns: 1*
           • #1 missed-meeting · @omar & @sam · raised Mon 23 Nov 2026, 09:00 Europe/London · not acknowledged
           (To act on one by its number: `concern ack <n> [note]` or `concern resolve <n> [note]`)
           *Messages that could not be delivered: 1*
           • greeting to @priya for the pair @lena & @priya: their account was not found (user_not_found)
    """)


async def test_status_takes_only_a_program(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", "status now")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           `status` takes only a program.
           The form is: `status [program "<name>"]`
    """)


# ---------------------------------------------------------------------- who may do what


@pytest.mark.parametrize(
    "line",
    [
        "enrol @priya mentee",
        "pair @lena @priya",
        "status",
        "managers add @omar",
        "managers remove @maya",
    ],
)
async def test_manager_commands_are_refused_to_everyone_else(console, rows, line) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        by_mentor = await console.say("omar", line)
        by_stranger = await console.say("zoe", line)
    assert by_mentor == by_stranger == NOT_A_MANAGER


async def test_a_manager_of_two_programs_names_the_program(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", 'program create "Leaders"')
    async with rows.unchanged():
        unnamed = await console.say("maya", "enrol @lena mentee")
        unknown = await console.say("maya", 'enrol @lena mentee program "Nope"')
        not_mine = await console.say("omar", 'status program "Leaders"')
    assert unnamed == said("""
        🔒 mentorbot (only you see this):
           You manage several programs (“Demo Mentoring”, “Leaders”); add `program "<name>"` at the end of the command, as in `status program "Demo Mentoring"`.
    """)
    assert unknown == said("""
        🔒 mentorbot (only you see this):
           You don't manage a program called “Nope”.
    """)
    assert not_mine == said("""
        🔒 mentorbot (only you see this):
           You don't manage a program called “Leaders”.
    """)
    # The option may come anywhere after the verb, in any quotes and any case.
    assert briefed(
        await console.say("maya", 'enrol program "leaders" @lena mentee'), "lena"
    ) == said("""
        🔒 mentorbot (only you see this):
           Enrolled @lena as a mentee in *Leaders*.
    """)
    assert briefed(
        await console.say("maya", "enrol @omar PROGRAM “Leaders” mentor"), "omar"
    ) == said("""
        🔒 mentorbot (only you see this):
           Enrolled @omar as a mentor in *Leaders*.
    """)
    paired = await console.say("maya", 'pair @omar @lena program "Leaders" confirm')
    assert paired.splitlines()[1] == "   Paired @omar (mentor) with @lena (mentee) in *Leaders*."
    assert await console.say("maya", 'status program "Leaders"') == said("""
        🔒 mentorbot (only you see this):
           *Leaders: status*
           Managers: @maya
           Mentors: 1
           Mentees: 1
           *Active pairs: 1*
           • @omar mentors @lena
           *Open concerns: 0*
           *At risk: 2*
           • @omar (with @lena) · briefing not confirmed when paired · since Mon 23 Nov 2026, 09:00 Europe/London
           • @lena (with @omar) · briefing not confirmed when paired · since Mon 23 Nov 2026, 09:00 Europe/London
           *Briefings not yet confirmed:*
           • @lena (mentee)
           • @omar (mentor)
           (Every message has been delivered or is on its way.)
    """)


# ---------------------------------------------------------------------- what is not a command


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("hello", "I don't know the command “hello”. Type `help` to see what I can do."),
        ("Match @sam", "I don't know the command “Match”. Type `help` to see what I can do."),
        ('"status"', "I don't know the command “status”. Type `help` to see what I can do."),
        (
            "x" * 60,
            f"I don't know the command “{'x' * 40}”. Type `help` to see what I can do.",
        ),
        ('hello "there', "A quotation mark is not closed."),
    ],
)
async def test_what_is_not_a_command_is_explained(console, rows, line, problem) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           {problem}
    """)


@pytest.mark.parametrize(
    ("line", "form"),
    [
        ('program create "Spring', 'program create "<name>" [purpose "<text>"]'),
        ('program create "Spring" purpose “Grow', 'program create "<name>" [purpose "<text>"]'),
        ("enrol @omar mentor program “Demo", 'enrol @user mentor|mentee [program "<name>"]'),
        ('pair @omar @priya program "Demo', 'pair @mentor @mentee [program "<name>"]'),
        ('status program "Demo', 'status [program "<name>"]'),
        ('managers add @lena program "Demo', 'managers add @user [backup] [program "<name>"]'),
        ('managers remove @lena program "Demo', 'managers remove @user [program "<name>"]'),
    ],
)
async def test_an_unclosed_quote_gets_the_form_of_its_command(console, rows, line, form) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        answer = await console.say("maya", line)
    assert answer == said(f"""
        🔒 mentorbot (only you see this):
           A quotation mark is not closed.
           The form is: `{form}`
    """)


async def test_program_option_first_and_an_unquoted_name_are_explained(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    async with rows.unchanged():
        option_first = await console.say("maya", 'program "Demo Mentoring" status')
        unquoted = await console.say("maya", "program create Spring Pilot")
    assert option_first == said("""
        🔒 mentorbot (only you see this):
           Put `program "<name>"` after the command it is for, as in `status program "Demo Mentoring"`.
    """)
    assert unquoted == said("""
        🔒 mentorbot (only you see this):
           Put the program's name in quotes, as in `program create "Spring Pilot"`.
           The form is: `program create "<name>" [purpose "<text>"]`
    """)


async def test_a_manager_of_two_programs_is_shown_where_the_program_goes(console, rows) -> None:
    await console.setup(DEMO_SETUP)
    await console.say("maya", 'program create "Two"')
    async with rows.unchanged():
        answer = await console.say("maya", "status")
    assert answer == said("""
        🔒 mentorbot (only you see this):
           You manage several programs (“Demo Mentoring”, “Two”); add `program "<name>"` at the end of the command, as in `status program "Demo Mentoring"`.
    """)
