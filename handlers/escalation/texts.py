"""What the walk says: why a manager is sent a concern now, what happens next if no one
acknowledges it, and, to the reporter, who could not be reached after the receipt said they
were told (so the reporter never believes someone knows who does not)."""

from __future__ import annotations

from datetime import datetime

from handlers.escalation.durations import in_words
from handlers.escalation.policy import HIGH, Next, Policy
from handlers.mentions import UNKNOWN
from handlers.timefmt import when
from handlers.views import Mention, MessageView, bold, note, section
from storage.models import Concern, Pair, Person, Program

LEVEL_NAMES = {1: "manager", 2: "backup manager"}


def reminder_lead(reminder: int) -> str:
    if reminder == 1:
        return "No one has acknowledged this concern yet."
    return f"No one has acknowledged this concern yet: reminder {reminder}."


def escalated_lead(level: int) -> str:
    """Told because the level before did not acknowledge it in time."""
    return f"Escalated to you, a {LEVEL_NAMES[level]}: no manager has acknowledged it in time."


def unreachable_lead(level: int) -> str:
    """Told at once because no one at the level before could be reached."""
    return f"Sent to you, a {LEVEL_NAMES[level]}: no manager of the program could be reached."


def ahead(
    after: Next | None, due_at: datetime | None, policy: Policy, concern: Concern, viewer: Person
) -> str | None:
    """What happens if no one acknowledges it: the next level told (by when, in the
    reader's zone), or this reminder repeated every deadline; None when nothing more will."""
    if after is None or due_at is None:
        return None
    if after.step.reminder == 0:
        name = LEVEL_NAMES.get(after.step.level, "backup manager")
        return (
            f"If no one acknowledges it by {when(due_at, viewer.timezone)}, "
            f"the {name}s will be told."
        )
    # Only a high-severity concern repeats, and its deadlines are clock time.
    every = in_words(int(policy.deadline(HIGH).total_seconds()) // 60, working=False)
    return f"You will be reminded every {every.removeprefix('1 ')} until someone acknowledges it."


def reporter_notice(
    concern: Concern,
    program: Program,
    pair: Pair,
    reporter: Person,
    people: dict[int, Mention],
    now_level: int | None,
) -> MessageView:
    """The reporter's receipt said a level was told; no one there could be reached. Either
    the next level has been told instead, or no one could be, and what to do then."""
    partner = pair.mentee_id if concern.reporter_id == pair.mentor_id else pair.mentor_id
    about = [
        "Your concern about your pair with ",
        people.get(partner, UNKNOWN),
        " in ",
        bold(program.name),
        f" ({concern.kind.replace('-', ' ')}, {when(concern.created_at, reporter.timezone)})",
    ]
    if now_level is not None:
        return MessageView(
            notification="Your concern went to the backup managers.",
            blocks=[
                section(
                    *about,
                    " could not reach the program's managers, so its backup managers have "
                    "been told.",
                ),
                note("Your partner has not been told."),
            ],
        )
    return MessageView(
        notification="Your concern could not reach anyone yet.",
        blocks=[
            section(
                *about,
                " could not reach anyone who manages the program: their accounts cannot be "
                "reached. It is kept, and a manager added later will be sent it.",
            ),
            section(
                "If it cannot wait, please tell someone you trust directly, such as your HR "
                "contact or whoever runs mentorbot here."
            ),
            note("Your partner has not been told."),
        ],
    )
