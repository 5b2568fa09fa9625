"""`checkin`, `checkin @partner`, `checkin @user|all [program "<name>"]`: parsed here, beside
the rest of the command language (handlers/commands.py), which routes the word to it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.grammar import PersonRef, Token, quote

USAGE_CHECKIN = 'checkin [@partner] · checkin @user|all [program "<name>"]'


@dataclass(frozen=True)
class CheckIn:
    """A pair member asking to check in now (about `person`, their partner, when they are
    in several pairs), or a manager sending a check-in now to `person` or to `everyone`."""

    person: PersonRef | None = None
    everyone: bool = False
    program: str | None = None

    def to_text(self) -> str:
        who = " all" if self.everyone else f" {self.person.to_text()}" if self.person else ""
        program = f" program {quote(self.program)}" if self.program else ""
        return f"checkin{who}{program}"


def parse_checkin(tokens: list[Token]) -> CheckIn | str:
    """The command, or what is wrong with it in words (tokens[0] is `checkin`)."""
    rest = tokens[1:]
    program = None
    if len(rest) >= 2 and _word(rest[-2]) == "program":
        name = rest[-1]
        if not name.text.strip() or name.person is not None:
            return "`program` needs a name in quotes."
        program, rest = name.text.strip(), rest[:-2]
    if not rest:
        return "`program` goes with `checkin @user` or `checkin all`." if program else CheckIn()
    if len(rest) == 1 and _word(rest[0]) == "all":
        return CheckIn(everyone=True, program=program)
    if len(rest) == 1 and rest[0].person is not None:
        return CheckIn(person=rest[0].person, program=program)
    return "Name one person, or `all`."


def _word(token: Token) -> str:
    return "" if token.quoted or token.person is not None else token.text.lower()
