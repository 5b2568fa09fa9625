r"""Views as terminal text. A person's name or words may hold terminal control sequences
(ESC [ 2 J clears the screen, ESC ] 8 makes a hidden link, \r rewrites a line, \x07 rings
the bell): every control character is shown as a visible stand-in instead, so text
printed here can only ever be read, never act on the terminal."""

from __future__ import annotations

from collections.abc import Iterator

from handlers.views import (
    Actions,
    Block,
    CommandHint,
    Facts,
    Inline,
    Mention,
    MessageView,
    Note,
    Quote,
    Section,
)

PLATFORM = "console"
# A line break is layout and stays; a tab only moves the cursor on, and is what was typed.
LAYOUT = frozenset("\n\t")
DELETE = "\x7f"


def printable(text: str) -> str:
    r"""`text` with each control character as its Unicode control picture (ESC → ␛,
    \r → ␍, BEL → ␇): still readable as what was typed, and inert on any terminal.
    C1 controls (U+0080–U+009F; U+009B is a one-character ESC [ on some terminals) have
    no pictures and become �."""
    text = text.replace("\r\n", "\n")  # a Windows line break is a line break
    return "".join(_picture(c) if _is_control(c) else c for c in text)


def _is_control(char: str) -> bool:
    code = ord(char)
    return char not in LAYOUT and (code < 0x20 or char == DELETE or 0x80 <= code < 0xA0)


def _picture(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if char == DELETE else "\ufffd"


def inline(parts: list[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Mention):
            out.append("@" + printable(part.handles.get(PLATFORM, part.name)))
        elif isinstance(part, CommandHint):
            out.append(f"`{printable(part.text)}`")
        else:
            text = printable(part.text)
            out.append(f"*{text}*" if part.bold else text)
    return "".join(out)


def render(view: MessageView, buttons: list[str] | None = None) -> list[str]:
    """Lines of the message; `buttons` are the labels to show for its buttons."""
    lines = [f"*{printable(view.title)}*"] if view.title else []
    labels = iter(buttons or [])
    for block in view.blocks:
        lines.extend(_block(block, labels))
    return lines


def _block(block: Block, labels: Iterator[str]) -> list[str]:
    if isinstance(block, Section):
        return inline(block.content).splitlines() or [""]
    if isinstance(block, Quote):
        return [f"> {line}" for line in printable(block.text).splitlines() or [""]]
    if isinstance(block, Facts):
        return [f"{printable(f.label)}: {inline(f.value)}" for f in block.facts]
    if isinstance(block, Actions):
        return ["  ".join(printable(next(labels, f"[{b.label}]")) for b in block.buttons)]
    assert isinstance(block, Note)
    return [f"({inline(block.content)})"]
