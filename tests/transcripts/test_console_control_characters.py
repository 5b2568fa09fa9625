"""People's text printed on the console can never act on the terminal: escape sequences,
carriage returns, bells and the like are shown as visible stand-ins; line breaks stay."""

from __future__ import annotations

from textwrap import dedent

from bot.console import render
from bot.console.session import DEMO_SETUP
from handlers.views import Mention, MessageView, Quote, section

ESC, BEL, CR, DEL, CSI = "\x1b", "\x07", "\r", "\x7f", "\x9b"


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


def _controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0}


async def test_control_sequences_in_a_concern_reach_the_manager_as_visible_text(console) -> None:
    await console.setup(DEMO_SETUP)
    words = (
        f"{ESC}[2J{ESC}[31mred{ESC}[0m then{CR}overwritten{BEL} "
        f"{ESC}]8;;https://evil.example{ESC}\\link{ESC}]8;;{ESC}\\ {CSI}1m{DEL}"
    )
    out = await console.say("omar", f"concern other @sam {words}")
    assert out == said("""
        🔒 mentorbot (only you see this):
           Thank you. The program manager of Demo Mentoring has been told. I will let you know when it is acknowledged and when it is resolved, and by whom. Your partner has not been told.
           (To see where your concerns stand: `concern status`)
        📨 DM to @maya
           *Concern: other*
           Program: Demo Mentoring
           Pair: @omar (mentor) and @sam (mentee)
           Raised by: @omar
           Raised: Mon 23 Nov 2026, 09:00 Europe/London
           > ␛[2J␛[31mred␛[0m then␍overwritten␇ ␛]8;;https://evil.example␛\\link␛]8;;␛\\ �1m␡
           [5: Acknowledge]  [6: Resolve]
           (The other member of the pair has not been told.)
    """)  # noqa: E501  (a transcript line is as long as the console prints it)
    assert _controls(out) == set()


async def test_a_program_purpose_keeps_its_line_breaks_and_loses_its_controls(console) -> None:
    out = await console.say("maya", f'program create "Pilot{BEL}" purpose "Grow{ESC}[5m"')
    assert _controls(out) == set()
    assert "*Pilot␇*" in out
    status = await console.say("maya", "status")
    assert "Purpose: Grow␛[5m" in status
    assert _controls(status) == set()


def test_every_kind_of_text_is_made_printable() -> None:
    view = MessageView(
        notification="n",
        title=f"T{ESC}",
        blocks=[
            section("Hi ", Mention(name=f"Eve{ESC}[8m"), f" x{BEL}"),
            Quote(text=f"one{CR}\r\ntwo\tthree{ESC}\nfour"),
        ],
    )
    assert render.render(view) == [
        "*T␛*",
        "Hi @Eve␛[8m x␇",
        "> one␍",
        "> two\tthree␛",
        "> four",
    ]


async def test_control_characters_typed_in_a_console_line_are_shown_not_obeyed(console) -> None:
    """What is typed is cleaned as everywhere in the bot (handlers.text): echoed back in
    a hint, a NUL or an escape sequence is its picture, never the raw byte."""
    pressed = await console.say("maya", "press 1\x00")
    assert pressed == "   (@maya has no button 1␀ to press; you have no buttons now)"
    became = await console.say("maya", f"as @omar{ESC}[2J")
    assert became == "   (say who you are, as in `as @omar`)"
    assert console.session.me == "maya"
    assert await console.session.send("quit\x00") is True  # not `quit`: still here
    assert console.lines[-1] == (
        "   I don't know the command “quit␀”. Type `help` to see what I can do."
    )
