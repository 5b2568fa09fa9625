"""A NUL byte, other control characters and direction overrides in what people type:
kept and shown the same on SQLite and PostgreSQL, and neutralised on every surface."""

from __future__ import annotations

import pytest
from conftest import Transcript
from sqlmodel import select

from bot.app import build_runtime
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, ConsoleDirectory
from bot.console.session import DEMO_SETUP, ConsoleSession
from bot.settings import Settings
from handlers.context import Caller
from handlers.grammar import MENTION_CLOSE, MENTION_OPEN
from handlers.router import UNKNOWN_CALLER, handle_action, handle_text
from handlers.views import MessageView, Quote
from storage import db
from storage.models import Concern, OutboxMessage, Subject

TYPED = "file\x00 is \u202egnp.exe\u202c and\x1b[2J \u2066isolated\u2069 end"
KEPT = "file␀ is gnp.exe and␛[2J isolated end"


@pytest.fixture
async def console_on(any_engine, clock) -> Transcript:
    lines: list[str] = []
    messenger = ConsoleMessenger(write=lines.append)
    runtime = build_runtime(
        Settings(_env_file=None),  # type: ignore[call-arg]
        any_engine,
        {PLATFORM: messenger},
        clock=clock,
        directories={PLATFORM: ConsoleDirectory()},
        open_platforms=frozenset({PLATFORM}),
        routine_waits=False,  # the console delivers at once, at any hour
        sends_at_once=1,
    )
    session = ConsoleSession(runtime.deps, messenger, runtime.dispatcher, write=lines.append)
    return Transcript(session, lines)


async def test_a_concern_with_nul_and_direction_controls_is_kept_alike_on_both(
    console_on, any_engine
) -> None:
    await console_on.setup(DEMO_SETUP)
    answer = await console_on.say("sam", f'concern other "{TYPED}"')
    assert answer.startswith("🔒 mentorbot (only you see this):\n   Thank you.")
    sessions = db.session_factory(any_engine)
    async with sessions() as session:
        concern = (await session.exec(select(Concern))).one()
        dm = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.subject == Subject.CONCERN)
            )
        ).one()
    assert concern.words == KEPT
    quotes = [b for b in MessageView.from_json(dm.view).blocks if isinstance(b, Quote)]
    assert [q.text for q in quotes] == [KEPT]
    assert f"   > {KEPT}\n" in answer  # the manager's DM, as the console prints it


async def test_views_clean_text_however_it_was_made() -> None:
    """Text stored before this rule, or a name from a directory, is cleaned when shown."""
    view = MessageView.from_json(
        {
            "notification": "a\u202eb",
            "title": "t\x00",
            "blocks": [{"type": "quote", "text": TYPED}],
        }
    )
    assert (view.notification, view.title) == ("ab", "t␀")
    assert view.blocks[0].text == KEPT  # type: ignore[union-attr]


async def test_an_id_longer_than_any_platform_gives_is_refused_cleanly(console_on) -> None:
    deps = console_on.session.deps
    for caller in (
        Caller(platform=PLATFORM, external_id="u" * 129),
        Caller(platform=PLATFORM, external_id="sam\x00"),  # PostgreSQL refuses a NUL
    ):
        answer = await handle_text(deps, caller, "status")
        clicked = await handle_action(deps, caller, "concern.acknowledge", "1")
        assert answer == clicked
        assert answer is not None
        assert [b.content[0].text for b in answer.blocks] == [UNKNOWN_CALLER]  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["2147483648", "99999999999", "1" * 19, "-1", "１"])
async def test_a_button_value_beyond_32_bits_names_no_concern(console_on, value) -> None:
    await console_on.setup(DEMO_SETUP)
    await console_on.say("sam", "concern other")
    deps = console_on.session.deps
    maya = Caller(platform=PLATFORM, external_id="maya")
    answer = await handle_action(deps, maya, "concern.acknowledge", value)
    assert [b.content[0].text for b in answer.blocks] == [  # type: ignore[union-attr]
        "There is no concern with that number that you can act on."
    ]


async def test_a_mention_of_an_id_longer_than_any_platform_gives_is_refused(console_on) -> None:
    await console_on.setup(DEMO_SETUP[:1])
    too_long = f"{MENTION_OPEN}{'U' * 129}{MENTION_CLOSE}"  # as a platform's parser gives it
    maya = Caller(platform=PLATFORM, external_id="maya")
    answer = await handle_text(console_on.session.deps, maya, f"enrol {too_long} mentor")
    assert answer is not None
    assert [b.content[0].text for b in answer.blocks] == [  # type: ignore[union-attr]
        "I can't find that person in this workspace."
    ]


@pytest.mark.parametrize("value", ["²", "1²", str(2**40), str(2**63), "-1", " 1"])
async def test_a_crafted_value_on_a_briefing_or_check_in_button_is_refused(
    console_on, value
) -> None:
    from handlers.briefings import CONFIRM_READ, GONE
    from handlers.checkins.answering import NOT_OPEN
    from handlers.checkins.answers import ANSWER
    from handlers.form_router import handle_open_form

    await console_on.setup(DEMO_SETUP)
    deps = console_on.session.deps
    sam = Caller(platform=PLATFORM, external_id="sam")
    answer = await handle_action(deps, sam, CONFIRM_READ, value)
    assert [b.content[0].text for b in answer.blocks] == [GONE]  # type: ignore[union-attr]
    opened = await handle_open_form(deps, sam, ANSWER, value)
    assert isinstance(opened, MessageView)
    assert [b.content[0].text for b in opened.blocks] == [NOT_OPEN]  # type: ignore[union-attr]
