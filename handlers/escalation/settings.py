"""`program set escalation` shows a program's escalation policy; `program set ack-deadline …`
and `program set escalation repeat-high on|off` change it. A change applies from each
concern's next step on; a step already scheduled keeps its time."""

from __future__ import annotations

from handlers.context import Context
from handlers.escalation.commands import ACK_DEADLINE, EXAMPLES, ShowEscalation, ack_minutes
from handlers.escalation.durations import in_words
from handlers.escalation.policy import HIGH
from handlers.mentions import mentions_of
from handlers.roles import levels_of, managed_program
from handlers.settings_commands import ProgramSet
from handlers.views import CommandHint, Facts, Mention, MessageView, Section, bold, fact, section
from storage.models import Person, Program

CHANGE_FORMS = (
    EXAMPLES[ACK_DEADLINE],
    "program set ack-deadline normal 2d",
    EXAMPLES["escalation"],
)


async def show_policy(ctx: Context, command: ShowEscalation) -> MessageView:
    program = await managed_program(ctx, command.program)
    return MessageView(
        notification=f"The escalation policy of {program.name}",
        blocks=[
            section("The escalation policy of ", bold(program.name), ":"),
            *await policy_blocks(ctx, program),
        ],
    )


async def change(ctx: Context, command: ProgramSet) -> MessageView:
    """A checked `ack-deadline` or `escalation` value, stored; the policy shown as it now is."""
    program = await managed_program(ctx, command.program)
    if command.setting == ACK_DEADLINE:
        severity, minutes = ack_minutes(command.value)
        if severity == HIGH:
            program.ack_high_minutes = minutes
        else:
            program.ack_normal_minutes = minutes
        said = f"The {_severity_name(severity)} acknowledgement deadline of "
        now = f" is now {in_words(minutes, working=severity != HIGH)}."
    else:
        program.repeat_high = command.value.endswith(" on")
        said = "At the last level of "
        now = f", an urgent concern is now {_repeats(program)}."
    ctx.session.add(program)
    ctx.audit(f"program.set.{command.setting}", f"program:{program.id}", program.id)
    return MessageView(
        notification=f"Changed the escalation policy of {program.name}.",
        blocks=[section(said, bold(program.name), now), *await policy_blocks(ctx, program)],
    )


async def policy_blocks(ctx: Context, program: Program) -> list[Section | Facts]:
    levels = await levels_of(ctx, program)
    people = await mentions_of(
        ctx.session, [p.id for p in levels.managers + levels.backups if p.id]
    )
    high = in_words(program.ack_high_minutes, working=False)
    normal = in_words(program.ack_normal_minutes, working=True)
    zone = program.timezone or "UTC"
    facts = Facts(
        facts=[
            fact("Level 1 (managers)", *_names(levels.managers, people)),
            fact("Level 2 (backup managers)", *_names(levels.backups, people)),
            fact(
                "Urgent (confidentiality, conduct)",
                f"reminded after {high}, the next level told after "
                f"{in_words(2 * program.ack_high_minutes, working=False)}, in clock time at any "
                "hour",
            ),
            fact(
                "Other kinds",
                f"reminded after {normal}, the next level told after "
                f"{in_words(2 * program.ack_normal_minutes, working=True)}, in working hours "
                f"(Monday to Friday, 09:00 to 17:00, {zone})",
            ),
            fact("At the last level", _last_level(program, high)),
        ]
    )
    forms: list = []
    for i, form in enumerate(CHANGE_FORMS):
        forms += ([", "] if i else []) + [CommandHint(text=form)]
    return [
        facts,
        section(
            "Acknowledging, by anyone at any level, stops it. A manager in the pair is never told."
        ),
        section("To change it: ", *forms, "."),
    ]


def summary(program: Program) -> tuple[str, str]:
    """For `program set`: the deadlines, and what happens at the last level."""
    high = in_words(program.ack_high_minutes, working=False)
    normal = in_words(program.ack_normal_minutes, working=True)
    return (
        f"urgent {high}, others {normal}",
        f"managers, then backup managers; at the last level {_last_level(program, high)}",
    )


def _last_level(program: Program, high: str) -> str:
    if program.repeat_high:
        every = high.removeprefix("1 ")
        return f"an urgent concern is reminded every {every} until acknowledged, any other once"
    return "every concern is reminded once"


def _repeats(program: Program) -> str:
    if program.repeat_high:
        return "reminded every deadline until someone acknowledges it"
    return "reminded once"


def _severity_name(severity: str) -> str:
    return "urgent (high-severity)" if severity == HIGH else "normal"


def _names(people: list[Person], mentions: dict[int, Mention]) -> list[str | Mention]:
    if not people:
        return ["none"]
    parts: list[str | Mention] = []
    for i, person in enumerate(people):
        parts += ([", "] if i else []) + [mentions[person.id or 0]]
    return parts
