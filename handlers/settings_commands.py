"""The commands about a program's settings and a person's own pause: `program set`,
`pause 2w`, `resume`. Parsed from the tokens handlers/commands.py hands over; each
value is checked here, so a command that parses can be stored as it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.cadence import parse_cadence
from handlers.escalation import commands as escalation
from handlers.escalation.commands import ACK_DEADLINE, ESCALATION, ShowEscalation
from handlers.grammar import Token, quote

SETTINGS = ("timezone", "checkins", "weekly-cap", ACK_DEADLINE, ESCALATION)
CAP_RANGE = range(1, 21)
MOST_PAUSE_DAYS = 28
PAUSE = re.compile(r"([1-9][0-9]{0,2})([dw])")
USAGE = {
    "program set": (
        "program set timezone|checkins|weekly-cap|ack-deadline|escalation <value> "
        '[program "<name>"]'
    ),
    "pause": "pause <2w|10d>",
    "resume": "resume",
}
EXAMPLES = {
    "timezone": "program set timezone Europe/Vilnius",
    "checkins": "program set checkins 2w,4w,every 4w",
    "weekly-cap": "program set weekly-cap 4",
    **escalation.EXAMPLES,
}


def _suffix(program: str | None) -> str:
    return f" program {quote(program)}" if program else ""


@dataclass(frozen=True)
class ProgramSet:
    """`program set <setting> <value>`: the value already checked and in its stored form."""

    setting: str
    value: str
    program: str | None = None

    def to_text(self) -> str:
        return f"program set {self.setting} {self.value}{_suffix(self.program)}"


@dataclass(frozen=True)
class ProgramSettings:
    """`program set` alone, or with a setting it does not know: the settings as they
    stand, and the form. `problem` says what was wrong with what was typed."""

    program: str | None = None
    problem: str | None = field(default=None, compare=False)

    def to_text(self) -> str:
        return f"program set{_suffix(self.program)}"


@dataclass(frozen=True)
class Pause:
    days: int  # 1 to MOST_PAUSE_DAYS

    def to_text(self) -> str:
        return f"pause {self.days // 7}w" if self.days % 7 == 0 else f"pause {self.days}d"


@dataclass(frozen=True)
class Resume:
    def to_text(self) -> str:
        return "resume"


@dataclass(frozen=True)
class Invalid:
    """Why the text is not a well-formed command of this module, and its form."""

    problem: str
    form: str


def parse_program_set(
    tokens: list[Token], program: str | None
) -> ProgramSet | ProgramSettings | ShowEscalation | Invalid:
    """`tokens` follow `program set`, with any `program "<name>"` option taken out."""
    if not tokens:
        return ProgramSettings(program)
    setting = tokens[0].text.lower() if not tokens[0].quoted else ""
    if setting not in SETTINGS:
        known = ", ".join(SETTINGS)
        return ProgramSettings(
            program, f"I don't know the setting “{tokens[0].text[:40]}”: it is one of {known}."
        )
    words = " ".join(t.text for t in tokens[1:]).strip()
    if setting == ESCALATION and not words:
        return ShowEscalation(program)
    if not words or any(t.person is not None for t in tokens[1:]):
        return Invalid(f"Give the value, as in `{EXAMPLES[setting]}`.", USAGE["program set"])
    value = _checked(setting, words)
    if isinstance(value, Invalid):
        return value
    return ProgramSet(setting, value, program)


def _checked(setting: str, words: str) -> str | Invalid:
    form = USAGE["program set"]
    if setting == "timezone":
        try:
            ZoneInfo(words)
        except (ZoneInfoNotFoundError, ValueError):
            return Invalid(
                f"“{words[:40]}” is not a time zone I know: use an IANA name, "
                f"as in `{EXAMPLES['timezone']}`.",
                form,
            )
        return words
    if setting in CHECKED:
        try:
            return CHECKED[setting](words)
        except ValueError as error:
            problem = str(error).rstrip(".")
            return Invalid(f"{problem[0].upper()}{problem[1:]}.", form)
    if not (words.isascii() and words.isdigit()) or int(words) not in CAP_RANGE:
        return Invalid(
            f"The weekly cap is a whole number from {CAP_RANGE.start} to {CAP_RANGE.stop - 1}.",
            form,
        )
    return str(int(words))


CHECKED = {
    "checkins": lambda words: parse_cadence(words).to_text(),
    ACK_DEADLINE: escalation.checked_ack_deadline,
    ESCALATION: escalation.checked_escalation,
}


def parse_pause(tokens: list[Token]) -> Pause | Invalid:
    form = USAGE["pause"]
    found = PAUSE.fullmatch(tokens[1].text.lower()) if len(tokens) == 2 else None
    if found is None or tokens[1].quoted or tokens[1].person is not None:
        return Invalid("Say how long, in days or weeks: `pause 2w` or `pause 10d`.", form)
    days = int(found[1]) * (7 if found[2] == "w" else 1)
    if days > MOST_PAUSE_DAYS:
        return Invalid("A pause lasts at most 4 weeks (`pause 4w`).", form)
    return Pause(days)


def parse_resume(tokens: list[Token]) -> Resume | Invalid:
    if len(tokens) != 1:
        return Invalid("`resume` takes nothing after it.", USAGE["resume"])
    return Resume()
