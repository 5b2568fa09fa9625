"""The command language of PRODUCT.md: parse text into a Command, render a Command back
to text. Parsing never raises: it returns a Command or a Usage with the correct form."""

from __future__ import annotations

import re

from handlers.checkin_command import CheckIn, parse_checkin
from handlers.command_types import (  # the vocabulary, re-exported for the router
    CONCERN_ACTIONS,
    CONCERN_KINDS,
    CONCERN_NUMBER,
    MAX_WORDS,
    READ_ONLY,
    USAGE,
    ActOnConcern,
    Command,
    Enrol,
    Help,
    ManagersAdd,
    ManagersRemove,
    MyConcerns,
    Overview,
    PairUp,
    ProgramCreate,
    RaiseConcern,
    Status,
    Usage,
    named_people,
)
from handlers.grammar import (
    MENTION_OPEN,
    GrammarError,
    Token,
    person_from_word,
    quote,
    readable,
    tokenize,
)
from handlers.settings_commands import (  # re-exported: the router matches on them
    Invalid,
    Pause,
    ProgramSet,
    ProgramSettings,
    Resume,
    parse_pause,
    parse_program_set,
    parse_resume,
)
from handlers.text import clean


def parse(source: str) -> Command | Usage:
    source = clean(source)  # stored and shown the same on every database and surface
    try:
        tokens = tokenize(source, strict=not _is_concern(source))
    except GrammarError as error:
        return Usage(str(error), _form_of(source))
    if not tokens:
        return Overview()
    parser = _PARSERS.get(_keyword(tokens[0]))
    if parser is None:
        return Usage(
            f"I don't know the command “{tokens[0].text[:40]}”. Type `help` to see what I can do."
        )
    return parser(source, tokens)


def _keyword(token: Token) -> str:
    """The token as a keyword. Only a plain word is one: a mention of someone whose id
    is `mentor` or `backup` (a console handle may be) is a person, never a keyword."""
    return "" if token.quoted or token.person is not None else token.text.lower()


def _is_concern(source: str) -> bool:
    return source.lstrip().lower().startswith("concern")


FIRST_WORD = re.compile(f'[^\\s{MENTION_OPEN}"“”„]+')
_FORMS = {
    "help": "help",
    "?": "help",
    "program": "program create",
    "enrol": "enrol",
    "enroll": "enrol",
    "pair": "pair",
    "status": "status",
    "concern": "concern",
    "pause": "pause",
    "resume": "resume",
    "checkin": "checkin",
}


def _form_of(source: str) -> str | None:
    """The form of the command the text starts with, for text that does not tokenize."""
    words = FIRST_WORD.findall(source.lower())[:2]
    if words and words[0] in ("managers", "manager"):
        return USAGE["managers remove" if words[1:] == ["remove"] else "managers add"]
    if words[:2] == ["program", "set"]:
        return USAGE["program set"]
    key = _FORMS.get(words[0]) if words else None
    return USAGE[key] if key else None


def _names_a_person(token: Token) -> bool:
    """A mention, an address or an @name where a program's name belongs: a slip (or a
    mention pasted by the platform), and a name the program could not be told apart by."""
    if token.person is not None or MENTION_OPEN in token.text:
        return True
    return person_from_word(token.text.strip()) is not None


def _help(_source: str, tokens: list[Token]) -> Command | Usage:
    return Help() if len(tokens) == 1 else Usage("`help` takes nothing after it.", USAGE["help"])


def _program(_source: str, tokens: list[Token]) -> Command | Usage:
    form = USAGE["program create"]
    if len(tokens) > 1 and tokens[1].quoted:  # `program "Pilot" status`: the option first
        return Usage(
            'Put `program "<name>"` after the command it is for, as in '
            f"`status program {quote(tokens[1].text)}`.",
            None,
        )
    if len(tokens) > 1 and _keyword(tokens[1]) == "set":
        return _program_set(tokens)
    if len(tokens) < 3 or _keyword(tokens[1]) != "create":
        return Usage("To create a program, give it a name in quotes.", form)
    if _names_a_person(tokens[2]):
        return Usage("A program's name is plain text in quotes, not a person or an address.", form)
    name = tokens[2].text.strip()
    if not name or len(name) > 80:
        return Usage("A program's name is 1 to 80 characters.", form)
    rest = tokens[3:]
    if not rest:
        return ProgramCreate(name)
    if len(rest) == 2 and _keyword(rest[0]) == "purpose" and rest[1].person is None:
        return ProgramCreate(name, readable(rest[1].text).strip() or None)
    if not tokens[2].quoted:  # `program create Spring Pilot`: the words ran on
        return Usage(
            'Put the program\'s name in quotes, as in `program create "Spring Pilot"`.', form
        )
    return Usage('After the name, only `purpose "<text>"` may follow.', form)


def _program_set(tokens: list[Token]) -> Command | Usage:
    tokens, program, ok = _take_program(tokens)
    if not ok:
        return Usage("`program` needs a name in quotes.", USAGE["program set"])
    return _valid(parse_program_set(tokens[2:], program))


def _pause(_source: str, tokens: list[Token]) -> Command | Usage:
    return _valid(parse_pause(tokens))


def _resume(_source: str, tokens: list[Token]) -> Command | Usage:
    return _valid(parse_resume(tokens))


def _valid(parsed: Command | Invalid) -> Command | Usage:
    return Usage(parsed.problem, parsed.form) if isinstance(parsed, Invalid) else parsed


def _take_program(tokens: list[Token]) -> tuple[list[Token], str | None, bool]:
    """Remove a `program "<name>"` option; report whether it was well formed."""
    for i, token in enumerate(tokens):
        if _keyword(token) == "program" and i > 0:
            if i + 1 >= len(tokens) or _not_a_name(tokens[i + 1]):
                return tokens, None, False
            return tokens[:i] + tokens[i + 2 :], tokens[i + 1].text.strip(), True
    return tokens, None, True


def _not_a_name(token: Token) -> bool:
    """Nothing, or a person, after `program`: the name in quotes was forgotten."""
    return not token.text.strip() or token.person is not None or MENTION_OPEN in token.text


def _managers(_source: str, tokens: list[Token]) -> Command | Usage:
    tokens, program, ok = _take_program(tokens)
    verb = _keyword(tokens[1]) if len(tokens) > 1 else ""
    if verb not in ("add", "remove"):
        return Usage("Say `managers add` or `managers remove`.", USAGE["managers add"])
    form = USAGE[f"managers {verb}"]
    if not ok:
        return Usage("`program` needs a name in quotes.", form)
    person = tokens[2].person if len(tokens) > 2 else None
    if person is None:
        return Usage("Name the person with an @mention or an e-mail address.", form)
    extra = [_keyword(t) for t in tokens[3:]]
    if verb == "add" and extra in ([], ["backup"]):
        return ManagersAdd(person, backup=bool(extra), program=program)
    if verb == "remove" and not extra:
        return ManagersRemove(person, program=program)
    return Usage("There is something extra at the end.", form)


def _take_confirm(tokens: list[Token], length: int) -> tuple[list[Token], bool]:
    """Remove a `confirm` at the end of a command of `length` tokens: the answer to a
    warning, typed instead of pressing its button."""
    if len(tokens) == length + 1 and _keyword(tokens[-1]) == "confirm":
        return tokens[:-1], True
    return tokens, False


def _enrol(_source: str, tokens: list[Token]) -> Command | Usage:
    form = USAGE["enrol"]
    tokens, program, ok = _take_program(tokens)
    if not ok:
        return Usage("`program` needs a name in quotes.", form)
    tokens, confirm = _take_confirm(tokens, 3)
    if len(tokens) != 3 or tokens[1].person is None:
        return Usage("Name one person and their role.", form)
    role = _keyword(tokens[2])
    if role not in ("mentor", "mentee"):
        return Usage("The role is `mentor` or `mentee`.", form)
    return Enrol(tokens[1].person, role, program, confirm)


def _pair(_source: str, tokens: list[Token]) -> Command | Usage:
    form = USAGE["pair"]
    tokens, program, ok = _take_program(tokens)
    if not ok:
        return Usage("`program` needs a name in quotes.", form)
    tokens, confirm = _take_confirm(tokens, 3)
    if len(tokens) != 3 or tokens[1].person is None or tokens[2].person is None:
        return Usage("Name the mentor, then the mentee.", form)
    if tokens[1].person == tokens[2].person:
        return Usage("A person cannot mentor themselves.", form)
    return PairUp(tokens[1].person, tokens[2].person, program, confirm)


def _status(_source: str, tokens: list[Token]) -> Command | Usage:
    tokens, program, ok = _take_program(tokens)
    if not ok or len(tokens) != 1:
        return Usage("`status` takes only a program.", USAGE["status"])
    return Status(program)


def _concern(source: str, tokens: list[Token]) -> Command | Usage:
    form = USAGE["concern"]
    kinds = ", ".join(CONCERN_KINDS)
    if len(tokens) < 2:
        return Usage(f"Say what kind of concern it is: {kinds}.", form)
    verb = _keyword(tokens[1])
    if verb == "status":
        if len(tokens) > 2:
            return Usage("`concern status` takes nothing after it.", USAGE["concern status"])
        return MyConcerns()
    if verb in CONCERN_ACTIONS:  # never a kind: the kinds are fixed, and none is one of these
        return _act_on_concern(source, tokens, CONCERN_ACTIONS[verb])
    kind = verb.replace("_", "-")
    if kind not in CONCERN_KINDS:
        return Usage(f"The kind of concern is one of: {kinds}.", form)
    partner = tokens[2].person if len(tokens) > 2 else None
    rest = tokens[3:] if partner else tokens[2:]
    consumed = tokens[2] if partner else tokens[1]
    program = None
    if len(rest) >= 2 and _keyword(rest[0]) == "program" and rest[1].quoted:
        program, consumed, rest = rest[1].text.strip(), rest[1], rest[2:]
        if not program:
            return Usage("`program` needs a name in quotes.", USAGE["concern program"])
    words = _words(source[consumed.end :], rest)
    if words and len(words) > MAX_WORDS:
        return Usage(f"Please keep it to {MAX_WORDS} characters or fewer.", form)
    return RaiseConcern(kind, partner, words, program)


def _act_on_concern(source: str, tokens: list[Token], action: str) -> Command | Usage:
    form = USAGE["concern act"]
    number = tokens[2] if len(tokens) > 2 else None
    found = CONCERN_NUMBER.fullmatch(number.text) if number and _keyword(number) else None
    if number is None or found is None:
        return Usage(
            f"Give the concern's number, as `status` shows it: `concern {action} 3`.", form
        )
    note = _words(source[number.end :], tokens[3:])
    if note and len(note) > MAX_WORDS:
        return Usage(f"Please keep the note to {MAX_WORDS} characters or fewer.", form)
    return ActOnConcern(action, found.group(1), note)


def _words(rest: str, tokens: list[Token]) -> str | None:
    """The reporter's own words, as typed; one quoted phrase loses its quotes."""
    if len(tokens) == 1 and tokens[0].quoted:
        rest = tokens[0].text
    cleaned = readable(rest).strip()
    return cleaned or None


def _checkin(_source: str, tokens: list[Token]) -> Command | Usage:
    parsed = parse_checkin(tokens)
    return Usage(parsed, USAGE["checkin"]) if isinstance(parsed, str) else parsed


_PARSERS = {
    "help": _help,
    "?": _help,
    "program": _program,
    "managers": _managers,
    "manager": _managers,
    "enrol": _enrol,
    "enroll": _enrol,
    "pair": _pair,
    "status": _status,
    "concern": _concern,
    "pause": _pause,
    "resume": _resume,
    "checkin": _checkin,
}

__all__ = [  # what other modules import from here
    "CONCERN_ACTIONS",
    "CONCERN_KINDS",
    "CONCERN_NUMBER",
    "MAX_WORDS",
    "READ_ONLY",
    "USAGE",
    "ActOnConcern",
    "CheckIn",
    "Command",
    "Enrol",
    "Help",
    "Invalid",
    "ManagersAdd",
    "ManagersRemove",
    "MyConcerns",
    "Overview",
    "PairUp",
    "Pause",
    "ProgramCreate",
    "ProgramSet",
    "ProgramSettings",
    "RaiseConcern",
    "Resume",
    "Status",
    "Usage",
    "named_people",
    "parse",
    "parse_pause",
    "parse_program_set",
    "parse_resume",
]
