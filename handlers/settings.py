"""`program set`: a program's settings, changed by its managers and shown back."""

from __future__ import annotations

from handlers.context import Context
from handlers.escalation import settings as escalation
from handlers.escalation.commands import ACK_DEADLINE, ESCALATION
from handlers.roles import managed_program
from handlers.settings_commands import EXAMPLES, USAGE, ProgramSet, ProgramSettings
from handlers.views import CommandHint, Facts, MessageView, bold, fact, section
from storage.models import Program

UNSET_ZONE = "not set: UTC for people whose own is unknown"


async def program_set(ctx: Context, command: ProgramSet) -> MessageView:
    if command.setting in (ACK_DEADLINE, ESCALATION):
        return await escalation.change(ctx, command)
    program = await managed_program(ctx, command.program)
    if command.setting == "timezone":
        program.timezone = command.value
    elif command.setting == "checkins":
        program.checkin_cadence = command.value
    else:
        program.weekly_cap = int(command.value)
    ctx.session.add(program)
    ctx.audit(f"program.set.{command.setting}", f"program:{program.id}", program.id)
    return MessageView(
        notification=f"Changed a setting of {program.name}.",
        blocks=[
            section(
                f"{_label(command.setting)} of ", bold(program.name), f" is now {command.value}."
            ),
            _facts(program),
        ],
    )


async def show_settings(ctx: Context, command: ProgramSettings) -> MessageView:
    program = await managed_program(ctx, command.program)
    blocks = [section(command.problem)] if command.problem else []
    blocks += [
        section("The settings of ", bold(program.name), ":"),
        _facts(program),
        section("To change one: ", CommandHint(text=USAGE["program set"])),
        section(
            "For example ",
            *_examples(),
        ),
    ]
    return MessageView(notification=f"The settings of {program.name}", blocks=blocks)


def _examples() -> list:
    parts: list = []
    for i, example in enumerate(EXAMPLES.values()):
        parts += ([", "] if i else []) + [CommandHint(text=example)]
    return [*parts, "."]


def _facts(program: Program) -> Facts:
    deadlines, walk = escalation.summary(program)
    return Facts(
        facts=[
            fact("timezone", program.timezone or UNSET_ZONE),
            fact("checkins", program.checkin_cadence),
            fact("weekly-cap", f"{program.weekly_cap} routine messages a person a week"),
            fact("ack-deadline", deadlines),
            fact("escalation", walk),
        ]
    )


def _label(setting: str) -> str:
    return {"timezone": "The time zone", "checkins": "The check-in cadence"}.get(
        setting, "The weekly cap"
    )
