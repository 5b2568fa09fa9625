"""What a person sees about themselves: `help`, the overview (no command), App Home."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.concerns import seen_by
from handlers.context import Context
from handlers.pairing import active_pairs_of
from handlers.people import mention
from handlers.programs import is_admin
from handlers.roles import programs_managed_by
from handlers.views import CommandHint, MessageView, Section, bold, note, section
from storage.models import Concern, ConcernStatus, Membership, Pair, Person, Program, Role

EVERYONE = [
    ("help", "what I can do for you"),
    ("", "(nothing) your pairs and programs"),
    (
        "concern <kind> [@partner] [what happened]",
        "tell the program manager privately that something is wrong; kinds: missed-preparation, "
        "missed-meeting, confidentiality, mismatch, conduct, other",
    ),
    (
        "concern status",
        "where the concerns you raised stand, and who acknowledged or resolved them",
    ),
    (
        "pause 2w",
        "pause your check-ins, reminders and other routine messages for up to 4 weeks (or "
        "`pause 10d`); concerns still go at once, and your program managers see the pause",
    ),
    ("resume", "end your pause early: what waited comes in your next working hours"),
    (
        "checkin [@partner]",
        "check in now, privately, on how your pair is going; your partner is never told",
    ),
    (
        "",
        "I also write to you privately, in your working hours and a few times a week at most: "
        "a role briefing when you are enrolled (press I've read it), and a check-in on your "
        "program's schedule. Struggling with something in the way, confidentiality, or asking "
        "to be contacted reaches the program manager at once",
    ),
]
MANAGERS = [
    (
        "enrol @person mentor|mentee",
        "add someone to your program; they get a role briefing to read and confirm",
    ),
    (
        "pair @mentor @mentee",
        "start a mentoring pair; both are greeted privately, then checked in with on the "
        "program's schedule. It asks first for a second mentor, a manager in the pair, or "
        "a member who has not confirmed their briefing",
    ),
    ("managers add @person [backup]", "add a manager or a backup manager"),
    ("managers remove @person", "remove a manager"),
    (
        "status",
        "people, pairs, open concerns (with their numbers), who is at risk and why (two "
        "check-ins in a row unanswered, struggling twice with no concern, paired before "
        "confirming their briefing), unconfirmed briefings, who is paused or at the weekly "
        "cap, undelivered messages",
    ),
    (
        "program set timezone|checkins|weekly-cap <value>",
        "change a setting: `timezone Europe/Vilnius` (working hours for people whose own zone "
        "is unknown), `checkins 2w,4w,every 4w` (when pairs are asked how it is going), "
        "`weekly-cap 4` (routine messages a person a week, check-ins before reminders); "
        "`program set` alone shows them",
    ),
    (
        "program set ack-deadline high|normal <30m|4h|2d>",
        "how long a concern may wait for acknowledgement before its managers are reminded "
        "and then its backup managers told",
    ),
    (
        "program set escalation [repeat-high on|off]",
        "show the escalation policy, or say whether an urgent concern is reminded every "
        "deadline at the last level",
    ),
    ("checkin @person|all", "send a check-in now, in each recipient's working hours"),
    (
        "concern ack|resolve <n> [note]",
        "acknowledge or resolve concern n, as its buttons do; a note is for the managers only",
    ),
]
ADMINS = [('program create "<name>" [purpose "<text>"]', "create a program you manage")]
# What only a member of a pair can do: shown to nobody else, as `help` lists what works.
FOR_PAIRS = frozenset({"concern <kind> [@partner] [what happened]", "checkin [@partner]"})


async def help_view(ctx: Context) -> MessageView:
    return MessageView(
        notification="What mentorbot can do", title="mentorbot", blocks=await _command_blocks(ctx)
    )


async def _command_blocks(ctx: Context) -> list:
    paired = bool(await active_pairs_of(ctx, ctx.me))
    rows = EVERYONE if paired else [row for row in EVERYONE if row[0] not in FOR_PAIRS]
    blocks: list = [_commands("For everyone", rows)]
    if not paired and await _waiting_for_a_partner(ctx):
        blocks.append(
            note(
                "Once you are paired you can raise a concern at any time: ",
                CommandHint(text="concern <kind> [what happened]"),
                " tells the program manager privately that something is wrong.",
            )
        )
    managed = await programs_managed_by(ctx, ctx.me)
    if managed:
        blocks.append(_commands("For program managers", MANAGERS))
        if len(managed) > 1:
            blocks.append(
                note('You manage several programs: add program "<name>" to a manager\'s command.')
            )
    if is_admin(ctx):
        blocks.append(_commands("For mentorbot admins", ADMINS))
    return blocks


async def _waiting_for_a_partner(ctx: Context) -> bool:
    """Enrolled as a mentor or mentee somewhere, and in no pair now."""
    query = select(Membership.id).where(
        Membership.person_id == ctx.me.id,
        col(Membership.role).in_([Role.MENTOR, Role.MENTEE]),
    )
    return (await ctx.session.exec(query.limit(1))).first() is not None


def _commands(heading: str, rows: list[tuple[str, str]]) -> Section:
    parts: list = [bold(heading)]
    for command, meaning in rows:
        parts += ["\n• "] + ([CommandHint(text=command), f" {meaning}"] if command else [meaning])
    return section(*parts)


async def overview(ctx: Context) -> MessageView:
    blocks = await _about_me(ctx)
    return MessageView(notification="Your mentoring", title="Your mentoring", blocks=blocks)


async def home(ctx: Context) -> MessageView:
    blocks = await _about_me(ctx) + await _command_blocks(ctx)
    return MessageView(notification="mentorbot", title="Your mentoring", blocks=blocks)


async def _about_me(ctx: Context) -> list:
    blocks: list = []
    pairs = await active_pairs_of(ctx, ctx.me)
    for pair in pairs:
        blocks.append(await _pair_line(ctx, pair))
    blocks += await _waiting_lines(ctx, {p.program_id for p in pairs})
    for program in await programs_managed_by(ctx, ctx.me):
        blocks.append(await _managed_line(ctx, program))
    if not blocks:
        blocks.append(
            section(
                "You are not in a mentoring program yet. When a program manager "
                "pairs you, I will introduce you to your partner here."
            )
        )
    return blocks


async def _pair_line(ctx: Context, pair: Pair) -> Section:
    program = await ctx.session.get(Program, pair.program_id)
    i_mentor = pair.mentor_id == ctx.me.id
    partner = await ctx.session.get(Person, pair.mentee_id if i_mentor else pair.mentor_id)
    assert program and partner
    who = await mention(ctx.session, partner)
    if i_mentor:
        return section("You mentor ", who, " in ", bold(program.name), ".")
    return section("Your mentor is ", who, " in ", bold(program.name), ".")


async def _waiting_lines(ctx: Context, paired_in: set[int]) -> list[Section]:
    """Enrolled, but not yet in a pair there: say so, rather than "in no program"."""
    query = (
        select(Program, Membership.role)
        .join(Membership, col(Membership.program_id) == Program.id)
        .where(
            Membership.person_id == ctx.me.id,
            col(Membership.role).in_([Role.MENTOR, Role.MENTEE]),
        )
        .order_by(Program.name)
    )
    return [
        section(
            f"You are enrolled as a {role} in ",
            bold(program.name),
            ". When you are paired, I will introduce you to your partner here.",
        )
        for program, role in (await ctx.session.exec(query)).all()
        if program.id not in paired_in
    ]


async def _managed_line(ctx: Context, program: Program) -> Section:
    query = (
        select(Concern.id)
        .join(Pair, col(Pair.id) == Concern.pair_id)
        .where(
            Concern.program_id == program.id,
            Concern.status == ConcernStatus.OPEN,
            seen_by(ctx.me),
        )
    )
    unacknowledged = len((await ctx.session.exec(query)).all())
    waiting = ""
    if unacknowledged == 1:
        waiting = " 1 concern waits for acknowledgement."
    elif unacknowledged:
        waiting = f" {unacknowledged} concerns wait for acknowledgement."
    return section("You manage ", bold(program.name), "." + waiting)
