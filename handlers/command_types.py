"""The command language's vocabulary: each command as a value, the forms shown when one
is typed wrong, and which commands only read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.checkin_command import USAGE_CHECKIN, CheckIn
from handlers.escalation.commands import ShowEscalation
from handlers.grammar import (
    Email,
    Handle,
    PersonRef,
    quote,
)
from handlers.settings_commands import USAGE as SETTINGS_USAGE
from handlers.settings_commands import (  # re-exported: the router matches on them
    Pause,
    ProgramSet,
    ProgramSettings,
    Resume,
)

CONCERN_KINDS = (
    "missed-preparation",
    "missed-meeting",
    "confidentiality",
    "mismatch",
    "conduct",
    "other",
)
MAX_WORDS = 2000

USAGE = {
    "help": "help",
    "program create": 'program create "<name>" [purpose "<text>"]',
    "managers add": 'managers add @user [backup] [program "<name>"]',
    "managers remove": 'managers remove @user [program "<name>"]',
    "enrol": 'enrol @user mentor|mentee [program "<name>"]',
    "pair": 'pair @mentor @mentee [program "<name>"]',
    "status": 'status [program "<name>"]',
    "concern": "concern <kind> [@partner] [what happened]",
    "concern program": 'concern <kind> [@partner] program "<name>" [what happened]',
    "concern act": "concern ack|resolve <n> [note]",
    "concern status": "concern status",
    **SETTINGS_USAGE,
    "checkin": USAGE_CHECKIN,
}
# What a manager may do to a concern by command (as by its buttons), by the words typed.
CONCERN_ACTIONS = {"ack": "ack", "acknowledge": "ack", "resolve": "resolve"}
CONCERN_NUMBER = re.compile(r"#?([0-9]+)")  # as `status` shows it: `#3`, or typed `3`


@dataclass(frozen=True)
class Help:
    def to_text(self) -> str:
        return "help"


@dataclass(frozen=True)
class Overview:
    def to_text(self) -> str:
        return ""


@dataclass(frozen=True)
class ProgramCreate:
    name: str
    purpose: str | None = None

    def to_text(self) -> str:
        purpose = f" purpose {quote(self.purpose)}" if self.purpose else ""
        return f"program create {quote(self.name)}{purpose}"


def _program_suffix(program: str | None) -> str:
    return f" program {quote(program)}" if program else ""


@dataclass(frozen=True)
class ManagersAdd:
    person: PersonRef
    backup: bool = False
    program: str | None = None

    def to_text(self) -> str:
        backup = " backup" if self.backup else ""
        return f"managers add {self.person.to_text()}{backup}{_program_suffix(self.program)}"


@dataclass(frozen=True)
class ManagersRemove:
    person: PersonRef
    program: str | None = None

    def to_text(self) -> str:
        return f"managers remove {self.person.to_text()}{_program_suffix(self.program)}"


def _confirm_suffix(confirm: bool) -> str:
    return " confirm" if confirm else ""


@dataclass(frozen=True)
class Enrol:
    person: PersonRef
    role: str  # "mentor" | "mentee"
    program: str | None = None
    confirm: bool = False  # go ahead despite a warning (what a Confirm button sends)

    def to_text(self) -> str:
        suffix = _program_suffix(self.program) + _confirm_suffix(self.confirm)
        return f"enrol {self.person.to_text()} {self.role}{suffix}"


@dataclass(frozen=True)
class PairUp:
    mentor: PersonRef
    mentee: PersonRef
    program: str | None = None
    confirm: bool = False  # go ahead despite a warning (what a Confirm button sends)

    def to_text(self) -> str:
        people = f"{self.mentor.to_text()} {self.mentee.to_text()}"
        return f"pair {people}{_program_suffix(self.program)}{_confirm_suffix(self.confirm)}"


@dataclass(frozen=True)
class Status:
    program: str | None = None

    def to_text(self) -> str:
        return f"status{_program_suffix(self.program)}"


@dataclass(frozen=True)
class RaiseConcern:
    kind: str
    partner: PersonRef | None = None
    words: str | None = None
    program: str | None = None  # only needed when the same two people pair in two programs

    def to_text(self) -> str:
        partner = f" {self.partner.to_text()}" if self.partner else ""
        words = f" {quote(self.words)}" if self.words else ""
        return f"concern {self.kind}{partner}{_program_suffix(self.program)}{words}"


@dataclass(frozen=True)
class ActOnConcern:
    """`concern ack 3 [note]`, `concern resolve 3 [note]`: what the DM's buttons do."""

    action: str  # "ack" | "resolve"
    number: str  # digits as typed: the handler refuses what is no concern's id
    note: str | None = None  # for the managers only: never shown to the reporter

    def to_text(self) -> str:
        note = f" {quote(self.note)}" if self.note else ""
        return f"concern {self.action} {self.number}{note}"


@dataclass(frozen=True)
class MyConcerns:
    """`concern status`: where the concerns the caller raised stand."""

    def to_text(self) -> str:
        return "concern status"


Command = (
    Help
    | Overview
    | ProgramCreate
    | ManagersAdd
    | ManagersRemove
    | Enrol
    | PairUp
    | Status
    | RaiseConcern
    | ActOnConcern
    | MyConcerns
    | ProgramSet
    | ProgramSettings
    | ShowEscalation
    | Pause
    | Resume
    | CheckIn
)


READ_ONLY = (
    Help,
    Overview,
    Status,
    MyConcerns,
    ProgramSettings,
    ShowEscalation,
)  # a replay of these is simply answered again


def named_people(command: Command) -> list[PersonRef]:
    """The people a command names (not those mentioned inside a concern's words)."""
    return [value for value in vars(command).values() if isinstance(value, Handle | Email)]


@dataclass(frozen=True)
class Usage:
    """Why the text is not a command, and the correct form."""

    problem: str
    form: str | None = None
