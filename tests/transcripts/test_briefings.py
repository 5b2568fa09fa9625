"""Role briefings: on `enrol` each mentor and mentee is briefed privately and confirms
with a button; unconfirmed after 3 working days, one reminder; `status` lists who has
not confirmed; `pair` with an unconfirmed member warns."""

from __future__ import annotations

from textwrap import dedent


def said(transcript: str) -> str:
    return dedent(transcript).strip("\n")


SETUP = [
    ("maya", 'program create "Pilot" purpose "Help new graduates settle in"'),
]


async def test_show(console) -> None:
    await console.setup(SETUP)
    print(await console.say("maya", "enrol @omar mentor"))
    print(await console.say("maya", "enrol @sam mentee"))
    print(await console.say("maya", "status"))
    print(await console.say("maya", "pair @omar @sam"))
    print(await console.say("sam", "press 1"))
    print(await console.say("omar", "press 1"))
    print(await console.say("omar", "press 1"))
    print(await console.say("maya", "program set"))
    print(await console.say("maya", "program set weekly-cap 3"))
    print(await console.say("maya", "program set timezone Mars/Olympus"))
    print(await console.say("maya", "program set checkins 1w, every 3w"))
    print(await console.say("sam", "pause 2w"))
    print(await console.say("maya", "status"))
    print(await console.say("sam", "resume"))
    print(await console.say("sam", "resume"))
    print(await console.say("sam", "pause 5w"))
    print(await console.say("sam", "help"))
    assert False
