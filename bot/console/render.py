"""Views as terminal text."""

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


def inline(parts: list[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Mention):
            out.append("@" + part.handles.get(PLATFORM, part.name))
        elif isinstance(part, CommandHint):
            out.append(f"`{part.text}`")
        else:
            out.append(f"*{part.text}*" if part.bold else part.text)
    return "".join(out)


def render(view: MessageView, buttons: list[str] | None = None) -> list[str]:
    """Lines of the message; `buttons` are the labels to show for its buttons."""
    lines = [f"*{view.title}*"] if view.title else []
    labels = iter(buttons or [])
    for block in view.blocks:
        lines.extend(_block(block, labels))
    return lines


def _block(block: Block, labels: Iterator[str]) -> list[str]:
    if isinstance(block, Section):
        return inline(block.content).splitlines() or [""]
    if isinstance(block, Quote):
        return [f"> {line}" for line in block.text.splitlines() or [""]]
    if isinstance(block, Facts):
        return [f"{f.label}: {inline(f.value)}" for f in block.facts]
    if isinstance(block, Actions):
        return ["  ".join(next(labels, f"[{b.label}]") for b in block.buttons)]
    assert isinstance(block, Note)
    return [f"({inline(block.content)})"]
