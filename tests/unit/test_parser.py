"""The command parser: arbitrary text never raises, every command survives a round trip
through its text form, and the tricky inputs people really type parse as they mean."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.cadence import Cadence
from handlers.checkin_command import CheckIn
from handlers.commands import (
    CONCERN_KINDS,
    MAX_WORDS,
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
    Pause,
    ProgramCreate,
    ProgramSet,
    ProgramSettings,
    RaiseConcern,
    Resume,
    Status,
    Usage,
    parse,
)
from handlers.escalation.commands import ShowEscalation, checked_ack_deadline
from handlers.grammar import (
    BROADCASTS,
    CLOSING_QUOTES,
    MENTION_CLOSE,
    MENTION_OPEN,
    OPENING_QUOTES,
    Email,
    Handle,
    Name,
    person_from_word,
)
from handlers.text import UNSAFE, clean

FAST = settings(max_examples=200, deadline=None)
SENTINELS = MENTION_OPEN + MENTION_CLOSE
QUOTES = OPENING_QUOTES + CLOSING_QUOTES
KEYWORDS = ["program", "create", "purpose", "backup", "mentor", "mentee", "add", "remove"]
KEYWORDS += ["help", "status", "concern", "pair", "enrol", *CONCERN_KINDS]
KEYWORDS += ["confirm", "ack", "acknowledge", "resolve", "checkin", "all"]


def mention(external_id: str, name: str | None = None) -> str:
    return Handle(external_id, name).to_text()


# ---------------------------------------------------------------------- strategies

# Text a person may put in quotes: no quotation marks, no mention sentinels, trimmed.
free_text = (
    st.text(st.characters(blacklist_characters=QUOTES + SENTINELS, blacklist_categories=["Cs"]))
    .map(lambda typed: clean(typed).strip())  # what parsing keeps of what was typed
    .filter(bool)
)
program_names = free_text.filter(lambda name: len(name) <= 80)
programs = st.none() | program_names
# A program is never named like a person (`program create @sam` is a mistake).
new_program_names = program_names.filter(lambda name: person_from_word(name) is None)

handles = st.builds(
    Handle,
    external_id=st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True) | st.sampled_from(KEYWORDS),
    name=st.none() | free_text.filter(lambda name: "|" not in name),
)
emails = st.builds(
    Email, st.from_regex(r"[a-z0-9._%+'-]{1,12}@[a-z0-9-]{1,12}\.[a-z]{2,6}", fullmatch=True)
)
names = st.builds(
    Name,
    st.from_regex(r"[A-Za-z0-9._'-]{1,20}", fullmatch=True).filter(
        lambda name: f"@{name.lower()}" not in BROADCASTS
    ),
)
people = st.one_of(handles, emails, names)

zones = st.sampled_from(["Europe/Vilnius", "America/New_York", "UTC", "Asia/Kolkata"])
# A cadence as stored: what parse_cadence gives back as text.
cadences = st.builds(
    lambda first, every: Cadence(tuple(sorted(set(first))), every).to_text(),
    st.lists(st.integers(1, 60).map(lambda n: timedelta(days=n)), max_size=4),
    st.none() | st.integers(1, 8).map(lambda n: timedelta(weeks=n)),
).filter(bool)

# An acknowledgement deadline as stored: what checked_ack_deadline gives back.
ack_deadlines = st.one_of(
    st.integers(5, 2880).map(lambda n: checked_ack_deadline(f"high {n}m")),
    st.integers(60, 4800).map(lambda n: checked_ack_deadline(f"normal {n}m")),
)

commands = st.one_of(
    st.just(Help()),
    st.just(Overview()),
    st.builds(ProgramCreate, new_program_names, st.none() | free_text),
    st.builds(ManagersAdd, people, st.booleans(), programs),
    st.builds(ManagersRemove, people, programs),
    st.builds(Enrol, people, st.sampled_from(["mentor", "mentee"]), programs, st.booleans()),
    st.builds(PairUp, people, people, programs, st.booleans()).filter(
        lambda c: c.mentor != c.mentee
    ),
    st.builds(Status, programs),
    st.builds(
        RaiseConcern,
        st.sampled_from(CONCERN_KINDS),
        st.none() | people,
        st.none() | free_text.filter(lambda words: len(words) <= MAX_WORDS),
        programs,
    ),
    st.builds(
        ActOnConcern,
        st.sampled_from(["ack", "resolve"]),
        st.from_regex(r"[0-9]{1,30}", fullmatch=True),
        st.none() | free_text.filter(lambda note: len(note) <= MAX_WORDS),
    ),
    st.just(MyConcerns()),
    st.builds(ProgramSet, st.just("timezone"), zones, programs),
    st.builds(ProgramSet, st.just("checkins"), cadences, programs),
    st.builds(ProgramSet, st.just("weekly-cap"), st.integers(1, 20).map(str), programs),
    st.builds(ProgramSettings, programs),
    st.builds(ProgramSet, st.just("ack-deadline"), ack_deadlines, programs),
    st.builds(
        ProgramSet,
        st.just("escalation"),
        st.sampled_from(["repeat-high on", "repeat-high off"]),
        programs,
    ),
    st.builds(ShowEscalation, programs),
    st.builds(Pause, st.integers(1, 28)),
    st.just(Resume()),
    st.builds(CheckIn, st.none() | people, st.just(False), programs).filter(
        lambda c: c.person is not None or c.program is None
    ),
    st.builds(CheckIn, st.none(), st.just(True), programs),
)

# Text with everything that could trip a tokenizer: sentinels, every kind of quote,
# control characters, keywords and mentions, in any order.
awkward_pieces = st.one_of(
    st.text(),
    st.sampled_from([*SENTINELS, *QUOTES, "'", "@", "|", "\n", "\t", "\x00", "\x1b", " "]),
    st.sampled_from(KEYWORDS),
    handles.map(Handle.to_text),
)
awkward_text = st.lists(awkward_pieces, max_size=12).map(" ".join) | st.text()


# ---------------------------------------------------------------------- properties


@FAST
@given(awkward_text)
def test_any_text_is_a_command_or_a_usage(source: str) -> None:
    result = parse(source)
    assert isinstance(result, Usage | Command)
    if isinstance(result, Usage):
        assert result.problem
        assert result.form is None or result.form in USAGE.values()


@FAST
@given(commands)
def test_every_command_survives_its_text_form(command: Command) -> None:
    assert parse(command.to_text()) == command


@FAST
@given(commands, st.sampled_from(["", " ", "  ", "\t"]))
def test_surrounding_whitespace_does_not_matter(command: Command, pad: str) -> None:
    assert parse(pad + command.to_text() + pad) == command


# ---------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Overview()),
        ("  \n ", Overview()),
        ("HELP", Help()),
        ("?", Help()),
        ('program create "Demo"', ProgramCreate("Demo")),
        ("program create Demo", ProgramCreate("Demo")),
        ('Program CREATE "  Demo  " purpose " grow "', ProgramCreate("Demo", "grow")),
        ('program create "Demo" purpose ""', ProgramCreate("Demo")),
        ("program create “Curly” purpose “Both sides”", ProgramCreate("Curly", "Both sides")),
        ("program create „German“ purpose ”Reversed“", ProgramCreate("German", "Reversed")),
        ('program create “Mixed" purpose "kinds”', ProgramCreate("Mixed", "kinds")),
        ("enroll @sam mentee", Enrol(Name("sam"), "mentee")),
        ("ENROL sam@example.com MENTOR", Enrol(Email("sam@example.com"), "mentor")),
        ("enrol Sam@Example.COM mentee", Enrol(Email("sam@example.com"), "mentee")),
        ("manager add @lena BACKUP", ManagersAdd(Name("lena"), backup=True)),
        ("managers remove @lena", ManagersRemove(Name("lena"))),
        ("pair @omar @sam", PairUp(Name("omar"), Name("sam"))),
        ("status", Status()),
        ("concern missed_meeting", RaiseConcern("missed-meeting")),
        ("concern Conduct “He shouted”", RaiseConcern("conduct", None, "He shouted")),
    ],
)
def test_tricky_inputs(text: str, command: Command) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    "text",
    [
        'enrol program "Leaders" @sam mentee',
        'enrol @sam program "Leaders" mentee',
        'enrol @sam mentee program "Leaders"',
        "enrol @sam mentee PROGRAM “Leaders”",
        'enrol @sam mentee program " Leaders "',
    ],
)
def test_the_program_option_may_come_anywhere_after_the_verb(text: str) -> None:
    assert parse(text) == Enrol(Name("sam"), "mentee", "Leaders")


def test_the_program_option_on_every_manager_command() -> None:
    assert parse('status program "X"') == Status("X")
    assert parse('pair program "X" @a @b') == PairUp(Name("a"), Name("b"), "X")
    assert parse('managers add program "X" @a backup') == ManagersAdd(Name("a"), True, "X")
    assert parse('managers remove @a program "X"') == ManagersRemove(Name("a"), "X")


def test_mentions_are_people_never_keywords() -> None:
    """A console handle (or any id) may spell a keyword; a mention is still a person."""
    sam, mentor = Handle("sam"), Handle("mentor")
    assert parse(f"enrol {mention('sam')} {mention('mentor')}") == Usage(
        "The role is `mentor` or `mentee`.", USAGE["enrol"]
    )
    assert parse(f"enrol {mention('mentor')} mentor") == Enrol(mentor, "mentor")
    assert parse(f"enrol {mention('program')} mentee") == Enrol(Handle("program"), "mentee")
    assert parse(f"managers add {mention('sam')} {mention('backup')}") == Usage(
        "There is something extra at the end.", USAGE["managers add"]
    )
    assert parse(f"concern {mention('other')}").problem.startswith("The kind of concern")  # type: ignore[union-attr]
    assert isinstance(parse(mention("help")), Usage)
    assert parse(f"pair {mention('sam', 'Sam Carter')} {mention('mentor')}") == PairUp(
        Handle("sam", "Sam Carter"), mentor
    )
    assert sam != Handle("sam", "Sam")


def test_a_mention_carries_its_id_and_name() -> None:
    assert parse(f"enrol {mention(' U123 ', ' Sam Carter ')} mentee") == Enrol(
        Handle("U123", "Sam Carter"), "mentee"
    )
    assert parse(f"enrol {mention('U123|')} mentee") == Enrol(Handle("U123"), "mentee")


def test_concern_words_are_kept_verbatim_with_an_unmatched_quote() -> None:
    assert parse('concern other he said "off the record" and then "told everyone') == (
        RaiseConcern("other", None, 'he said "off the record" and then "told everyone')
    )
    assert parse("concern mismatch “we never agree") == RaiseConcern(
        "mismatch", None, "“we never agree"
    )
    assert parse('concern conduct @omar "I\'m upset" really') == RaiseConcern(
        "conduct", Name("omar"), '"I\'m upset" really'
    )


def test_a_mention_in_concern_words_becomes_at_name() -> None:
    text = (
        f"concern confidentiality {mention('U1', 'Omar')} told {mention('U2', 'Lena')} "
        f"and {mention('U3')} what I said"
    )
    assert parse(text) == RaiseConcern(
        "confidentiality", Handle("U1", "Omar"), "told @Lena and @U3 what I said"
    )
    assert parse(f'concern other "ask {mention("U2", "Lena")}"') == RaiseConcern(
        "other", None, "ask @Lena"
    )


def test_concern_words_have_a_limit() -> None:
    assert parse("concern other " + "x" * MAX_WORDS) == RaiseConcern("other", None, "x" * MAX_WORDS)
    assert parse("concern other " + "x" * (MAX_WORDS + 1)) == Usage(
        f"Please keep it to {MAX_WORDS} characters or fewer.", USAGE["concern"]
    )


NOT_A_PERSON = "A program's name is plain text in quotes, not a person or an address."
AFTER_THE_NAME = 'After the name, only `purpose "<text>"` may follow.'
NEEDS_A_NAME = "`program` needs a name in quotes."


@pytest.mark.parametrize(
    ("text", "problem", "form"),
    [
        # Text that does not tokenize still gets the form of the command it starts with.
        ('program create "Unclosed', "A quotation mark is not closed.", "program create"),
        ("Program create “Spring", "A quotation mark is not closed.", "program create"),
        ('enrol @sam mentor program "Demo', "A quotation mark is not closed.", "enrol"),
        ('pair @a @b program "Demo', "A quotation mark is not closed.", "pair"),
        ('status program "Demo', "A quotation mark is not closed.", "status"),
        ('managers add @a program "Demo', "A quotation mark is not closed.", "managers add"),
        ('manager remove @a program "Demo', "A quotation mark is not closed.", "managers remove"),
        ('help "me', "A quotation mark is not closed.", "help"),
        (f"enrol {MENTION_OPEN}U1 mentor", "A mention is not closed.", "enrol"),
        (f"enrol{MENTION_OPEN}U1 mentor", "A mention is not closed.", "enrol"),
        (f"concern other {MENTION_OPEN}U1", "A mention is not closed.", "concern"),
        ('hello "there', "A quotation mark is not closed.", None),
        ('"status', "A quotation mark is not closed.", "status"),
        (
            "hello there",
            "I don't know the command “hello”. Type `help` to see what I can do.",
            None,
        ),
        ("help me", "`help` takes nothing after it.", "help"),
        ("program create", "To create a program, give it a name in quotes.", "program create"),
        (
            'program create "' + "x" * 81 + '"',
            "A program's name is 1 to 80 characters.",
            "program create",
        ),
        # A program is named in words, never by a mention, an address or an @name.
        (f"program create {mention('U123')}", NOT_A_PERSON, "program create"),
        (f"program create {mention('U123', 'Spring')}", NOT_A_PERSON, "program create"),
        (f'program create "{mention("U123")} team"', NOT_A_PERSON, "program create"),
        ("program create spring@example.com", NOT_A_PERSON, "program create"),
        ('program create "spring@example.com"', NOT_A_PERSON, "program create"),
        ("program create @Spring", NOT_A_PERSON, "program create"),
        ('program create "@Spring"', NOT_A_PERSON, "program create"),
        (f'program create "X" purpose {mention("U1")}', AFTER_THE_NAME, "program create"),
        (f"enrol @sam mentee program {mention('U1')}", NEEDS_A_NAME, "enrol"),
        ("enrol @sam mentee program a@b.co", NEEDS_A_NAME, "enrol"),
        ("enrol @sam boss", "The role is `mentor` or `mentee`.", "enrol"),
        ("enrol @sam mentee program", NEEDS_A_NAME, "enrol"),
        ('enrol @sam mentee program ""', NEEDS_A_NAME, "enrol"),
        ("pair @sam @sam", "A person cannot mentor themselves.", "pair"),
        ("pair @sam", "Name the mentor, then the mentee.", "pair"),
        ("managers add", "Name the person with an @mention or an e-mail address.", "managers add"),
        ("managers remove @a backup", "There is something extra at the end.", "managers remove"),
        ("status now", "`status` takes only a program.", "status"),
        ("concern", None, "concern"),
        ("concern angry", None, "concern"),
    ],
)
def test_what_is_refused_and_why(text: str, problem: str | None, form: str | None) -> None:
    result = parse(text)
    assert isinstance(result, Usage)
    if problem is not None:
        assert result.problem == problem
    assert result.form == (USAGE[form] if form else None)


def test_a_mention_in_a_quoted_purpose_becomes_at_name() -> None:
    assert parse(f'program create "X" purpose "ask {mention("U1", "Sam")}"') == ProgramCreate(
        "X", "ask @Sam"
    )


@pytest.mark.parametrize("word", [*sorted(BROADCASTS), "@Channel", "@HERE"])
def test_a_crowd_is_words_never_a_partner(word: str) -> None:
    """What Slack's <!channel>, <!here>, <!everyone> and <!subteam^…> arrive as."""
    assert parse(f"concern other {word} knows what I told him") == RaiseConcern(
        "other", None, f"{word} knows what I told him"
    )
    assert parse(f"concern conduct @omar {word} heard it") == RaiseConcern(
        "conduct", Name("omar"), f"{word} heard it"
    )
    assert parse(f"enrol {word} mentor") == Usage("Name one person and their role.", USAGE["enrol"])
    assert parse(f"pair @omar {word}") == Usage("Name the mentor, then the mentee.", USAGE["pair"])


def test_a_concern_may_name_its_program_before_the_words() -> None:
    assert parse('concern other @omar program "Second" he left early') == RaiseConcern(
        "other", Name("omar"), "he left early", "Second"
    )
    # Without a quoted name after it, `program` is one of the reporter's words.
    assert parse("concern other program managers ignore us") == RaiseConcern(
        "other", None, "program managers ignore us"
    )


# ---------------------------------------------------------------------- acting on a concern


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("concern ack 3", ActOnConcern("ack", "3")),
        ("Concern ACKNOWLEDGE #12 called them", ActOnConcern("ack", "12", "called them")),
        ("concern resolve 3 “all sorted”", ActOnConcern("resolve", "3", "all sorted")),
        (
            'concern resolve 3 they "agreed" to meet',
            ActOnConcern("resolve", "3", 'they "agreed" to meet'),
        ),
        ("concern resolve 007", ActOnConcern("resolve", "007")),
        ("concern status", MyConcerns()),
        ("CONCERN Status", MyConcerns()),
        # Words after a kind are the reporter's, whatever they are.
        ("concern other ack 3", RaiseConcern("other", None, "ack 3")),
        ("concern mismatch resolve this", RaiseConcern("mismatch", None, "resolve this")),
    ],
)
def test_acting_on_a_concern_is_never_raising_one(text: str, command: Command) -> None:
    assert parse(text) == command


def test_a_mention_in_a_note_becomes_at_name() -> None:
    assert parse(f"concern ack 3 asked {mention('U1', 'Lena')}") == ActOnConcern(
        "ack", "3", "asked @Lena"
    )


@pytest.mark.parametrize(
    ("text", "problem", "form"),
    [
        (
            "concern ack",
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            "concern resolve",
            "Give the concern's number, as `status` shows it: `concern resolve 3`.",
            "concern act",
        ),
        (
            "concern ack three",
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            "concern ack ³",
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            "concern ack -1",
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            'concern ack "3"',
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            f"concern ack {mention('3')}",
            "Give the concern's number, as `status` shows it: `concern ack 3`.",
            "concern act",
        ),
        (
            "concern ack 3 " + "x" * (MAX_WORDS + 1),
            f"Please keep the note to {MAX_WORDS} characters or fewer.",
            "concern act",
        ),
        ("concern status now", "`concern status` takes nothing after it.", "concern status"),
    ],
)
def test_acting_on_a_concern_refused(text: str, problem: str, form: str) -> None:
    assert parse(text) == Usage(problem, USAGE[form])


# ---------------------------------------------------------------------- confirm


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("pair @a @b confirm", PairUp(Name("a"), Name("b"), confirm=True)),
        ('pair @a @b program "X" CONFIRM', PairUp(Name("a"), Name("b"), "X", True)),
        ('pair @a @b confirm program "X"', PairUp(Name("a"), Name("b"), "X", True)),
        ("enrol @sam mentor confirm", Enrol(Name("sam"), "mentor", confirm=True)),
        (f"enrol {mention('confirm')} mentor", Enrol(Handle("confirm"), "mentor")),
    ],
)
def test_confirm_goes_ahead_despite_a_warning(text: str, command: Command) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    ("text", "problem", "form"),
    [
        ("pair @a @b confirm confirm", "Name the mentor, then the mentee.", "pair"),
        ("pair @a confirm @b", "Name the mentor, then the mentee.", "pair"),
        ("enrol @sam confirm", "The role is `mentor` or `mentee`.", "enrol"),
        ("enrol @sam confirm mentor", "Name one person and their role.", "enrol"),
        ("managers add @sam confirm", "There is something extra at the end.", "managers add"),
    ],
)
def test_confirm_only_at_the_end_of_pair_or_enrol(text: str, problem: str, form: str) -> None:
    assert parse(text) == Usage(problem, USAGE[form])


@given(awkward_text)
def test_no_parsed_command_holds_a_control_or_direction_character(source: str) -> None:
    """What a person typed is kept and shown the same on every database and surface:
    a NUL (which PostgreSQL refuses) or a direction override never gets past parsing."""
    assert [text for text in _strings(parse(source)) if UNSAFE.search(text)] == []


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        return [
            s for field in dataclasses.fields(value) for s in _strings(getattr(value, field.name))
        ]
    return []


# ---------------------------------------------------------------------- settings and pausing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("program set timezone Europe/Vilnius", ProgramSet("timezone", "Europe/Vilnius")),
        ("program set checkins 2w, 4w, every 4w", ProgramSet("checkins", "2w,4w,every 4w")),
        ("program set checkins 14d,every 2w", ProgramSet("checkins", "2w,every 2w")),
        ('program set weekly-cap 07 program "X"', ProgramSet("weekly-cap", "7", "X")),
        ("program set", ProgramSettings()),
        ('program set program "X"', ProgramSettings("X")),
        ("program set ack-deadline high 30m", ProgramSet("ack-deadline", "high 30m")),
        ("program set ack-deadline HIGH 60m", ProgramSet("ack-deadline", "high 1h")),
        ("program set ack-deadline normal 2d", ProgramSet("ack-deadline", "normal 2d")),
        ("program set ack-deadline normal 8h", ProgramSet("ack-deadline", "normal 1d")),
        ("program set ack-deadline normal 90m", ProgramSet("ack-deadline", "normal 90m")),
        ("program set escalation", ShowEscalation()),
        ('program set escalation program "X"', ShowEscalation("X")),
        ("program set escalation repeat-high OFF", ProgramSet("escalation", "repeat-high off")),
        ("pause 2w", Pause(14)),
        ("pause 10d", Pause(10)),
        ("PAUSE 4W", Pause(28)),
        ("resume", Resume()),
    ],
)
def test_settings_and_pausing_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "form"),
    [
        (
            "program set weekly-cap 0",
            "The weekly cap is a whole number from 1 to 20.",
            "program set",
        ),
        (
            "program set weekly-cap lots",
            "The weekly cap is a whole number from 1 to 20.",
            "program set",
        ),
        (
            "program set timezone",
            "Give the value, as in `program set timezone Europe/Vilnius`.",
            "program set",
        ),
        (
            "program set ack-deadline 30m",
            "Say which deadline, high or normal, as in `program set ack-deadline high 30m`.",
            "program set",
        ),
        (
            "program set ack-deadline urgent 30m",
            "Say which deadline, high or normal, as in `program set ack-deadline high 30m`.",
            "program set",
        ),
        (
            "program set ack-deadline normal",
            "Give the deadline, as in `program set ack-deadline normal 2d`.",
            "program set",
        ),
        (
            "program set ack-deadline high soon",
            "“soon” is not a deadline: give minutes, hours or days, as in 30m, 4h or 2d.",
            "program set",
        ),
        (
            "program set ack-deadline high 1.5h",
            "“1.5h” is not a deadline: give minutes, hours or days, as in 30m, 4h or 2d.",
            "program set",
        ),
        (
            "program set ack-deadline high 2m",
            "A high-severity deadline is 5 minutes to 2 days of clock time (5m to 2d).",
            "program set",
        ),
        (
            "program set ack-deadline high 3d",
            "A high-severity deadline is 5 minutes to 2 days of clock time (5m to 2d).",
            "program set",
        ),
        (
            "program set ack-deadline normal 30m",
            "A normal deadline is 1 working hour to 10 working days (1h to 10d).",
            "program set",
        ),
        (
            "program set ack-deadline normal 11d",
            "A normal deadline is 1 working hour to 10 working days (1h to 10d).",
            "program set",
        ),
        (
            "program set ack-deadline",
            "Give the value, as in `program set ack-deadline high 30m`.",
            "program set",
        ),
        (
            "program set escalation repeat-high maybe",
            "`program set escalation` shows the policy; `program set escalation repeat-high on` "
            "or `off` says whether an urgent concern is reminded again every deadline at the last "
            "level until someone acknowledges it.",
            "program set",
        ),
        ("pause", "Say how long, in days or weeks: `pause 2w` or `pause 10d`.", "pause"),
        ("pause 29d", "A pause lasts at most 4 weeks (`pause 4w`).", "pause"),
        ("pause 2 weeks", "Say how long, in days or weeks: `pause 2w` or `pause 10d`.", "pause"),
        ("resume now", "`resume` takes nothing after it.", "resume"),
    ],
)
def test_settings_and_pausing_refusals(text: str, problem: str, form: str) -> None:
    assert parse(text) == Usage(problem, USAGE[form])


def test_an_unknown_setting_shows_the_settings_and_says_why() -> None:
    parsed = parse("program set colour blue")
    assert parsed == ProgramSettings()
    assert isinstance(parsed, ProgramSettings)
    assert parsed.problem == (
        "I don't know the setting “colour”: it is one of timezone, checkins, weekly-cap, "
        "ack-deadline, escalation."
    )
