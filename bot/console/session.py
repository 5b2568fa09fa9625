"""The console: type commands as any person. `as @name` switches who you are,
`press N` presses button N of a message you received, `quit` leaves. A button that opens
a form asks its questions (bot/console/forms.py): that person's lines answer them until
the form is sent or cancelled."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Iterable

from bot.console.forms import CANCEL, FormFill
from bot.console.messenger import ConsoleMessenger
from bot.console.people import PLATFORM, as_mentions
from handlers.context import Caller, Deps
from handlers.form_router import handle_open_form, handle_submission, opens_form
from handlers.forms import FormErrors, Submission
from handlers.router import handle_action, handle_text
from handlers.text import clean
from handlers.views import MessageView
from scheduler.dispatcher import Dispatcher

DEMO_SETUP = [
    ("maya", 'program create "Demo Mentoring" purpose "Help new graduates settle in and grow"'),
    ("maya", "enrol @omar mentor"),
    ("maya", "enrol @lena mentor"),
    ("maya", "enrol @sam mentee"),
    ("maya", "enrol @priya mentee"),
    # Each reads their role briefing and confirms it (buttons 1 to 4, in enrolment order).
    ("omar", "press 1"),
    ("lena", "press 2"),
    ("sam", "press 3"),
    ("priya", "press 4"),
    ("maya", "pair @omar @sam"),
]
TOUR = [
    *DEMO_SETUP,
    ("omar", 'concern missed-meeting @sam "Sam has missed our last two meetings & I am worried"'),
    ("maya", "press 5"),  # buttons 1 to 4 were the briefings'
    ("maya", "status"),
]
HELP = "Commands are as in Slack, without /mentoring. Also: `as @name`, `press N`, `quit`."


HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]*")


class ConsoleSession:
    def __init__(
        self,
        deps: Deps,
        messenger: ConsoleMessenger,
        dispatcher: Dispatcher,
        write: Callable[[str], None] = print,
    ) -> None:
        self.deps, self.messenger, self.dispatcher, self.write = deps, messenger, dispatcher, write
        self.me = "maya"
        self.filling: dict[str, FormFill] = {}  # person -> the form they are answering

    async def send(self, line: str) -> bool:
        """Handle one line typed by the current person. False when they want to leave."""
        # As everywhere in the bot (handlers.text): a control character typed (NUL, ESC …)
        # becomes its visible picture, so nothing echoed back can act on the terminal.
        line = clean(line).strip()
        if line in ("quit", "exit"):
            return False
        word, _, rest = line.partition(" ")
        if self.me in self.filling:
            await self._answer(line)
        elif word == "as":
            self._become(rest.strip())
        elif word == "press":
            await self._press(rest.strip())
        elif line == "?":
            self.write(HELP)
        else:
            answer = await handle_text(self.deps, self._caller(), as_mentions(line))
            self._show_private(answer)
        await self.drain()
        return True

    async def drain(self) -> None:
        """Deliver everything queued, so the transcript reads in order."""
        while await self.dispatcher.run_once():
            pass

    async def play(self, script: Iterable[tuple[str, str]], *, echo: bool = True) -> None:
        for person, line in script:
            if person != self.me:
                await self.send(f"as @{person}") if echo else setattr(self, "me", person)
            if echo:
                self.write(f"@{self.me} › {line}")
            await self.send(line)

    def _become(self, handle: str) -> None:
        name = handle.removeprefix("@").lower()
        if not handle.startswith("@") or not HANDLE.fullmatch(name):
            self.write("   (say who you are, as in `as @omar`)")
            return
        self.me = name
        self.write(f"── you are now @{self.me} ──")

    async def _press(self, number: str) -> None:
        # isascii: str.isdigit() also takes "²", which int() refuses
        known = number.isascii() and number.isdigit()
        button = self.messenger.buttons.get(int(number)) if known else None
        if button is None or button.owner != self.me:
            self.write(f"   ({self._buttons_hint(number)})")
            return
        self.write(f"   @{self.me} pressed [{button.label}]")
        if opens_form(button.action):
            opened = await handle_open_form(self.deps, self._caller(), button.action, button.value)
            if isinstance(opened, MessageView):
                self._show_private(opened)
                return
            fill = self.filling[self.me] = FormFill(opened)
            self._write_lines(fill.opening() + fill.question())
            return
        answer = await handle_action(self.deps, self._caller(), button.action, button.value)
        self._show_private(answer)

    async def _answer(self, line: str) -> None:
        fill = self.filling[self.me]
        if line.lower() == CANCEL:
            del self.filling[self.me]
            self.write("   (Form cancelled: nothing was sent.)")
            return
        problem = fill.take(line)
        if problem:
            self._write_lines([f"   ({problem})", *fill.question()])
            return
        if not fill.done:
            self._write_lines(fill.question())
            return
        form = fill.form
        submission = Submission(action=form.action, value=form.value, answers=fill.answers)
        result = await handle_submission(self.deps, self._caller(), submission)
        if isinstance(result, FormErrors):
            fill.ask_again(result)
            self._write_lines(fill.question())
            return
        del self.filling[self.me]
        self._show_private(result)

    def _write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def _buttons_hint(self, number: str) -> str:
        """A button is replaced when its message is updated: say which ones are there."""
        mine = [str(n) for n, b in sorted(self.messenger.buttons.items()) if b.owner == self.me]
        if not number:
            return "say which button, as in `press 1`" + (
                f": yours are {', '.join(mine)}" if mine else ""
            )
        where = f"yours are {', '.join(mine)}" if mine else "you have no buttons now"
        return f"@{self.me} has no button {number} to press; {where}"

    def _caller(self) -> Caller:
        return Caller(PLATFORM, self.me)  # the console directory knows the rest

    def _show_private(self, answer: MessageView | None) -> None:
        if answer is None:
            return
        self.write("🔒 mentorbot (only you see this):")
        for line in self.messenger.private_answer(self.me, answer):
            self.write(f"   {line}")


async def interactive(session: ConsoleSession) -> None:
    loop = asyncio.get_running_loop()
    session.write(HELP)
    while True:
        try:
            line = await loop.run_in_executor(None, typed_line, f"@{session.me} › ")
        except EOFError:
            return
        if not await session.send(line):
            return


def typed_line(prompt: str) -> str:
    """One line typed, without its line break; EOFError at the end of input. Not input():
    on a terminal it reads a C string, so a NUL typed loses the rest of the line and the
    next line is joined on to what came before it."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.removesuffix("\n").removesuffix("\r")
