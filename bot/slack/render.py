"""Neutral views → Block Kit, built with slack_sdk's models. Every string is escaped,
so a person's `<!channel>` or `<https://x|y>` arrives as text."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.blocks import Block as SlackBlock

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

SLASH_COMMAND = "/mentoring"
SECTION_LIMIT = 3000


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(parts: list[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Mention):
            slack_id = part.handles.get("slack")
            out.append(f"<@{slack_id}>" if slack_id else escape(part.name))
        elif isinstance(part, CommandHint):
            out.append(f"`{SLASH_COMMAND} {escape(part.text)}`")
        else:
            out.append(f"*{escape(part.text)}*" if part.bold else escape(part.text))
    return "".join(out)


def blocks(view: MessageView) -> list[dict[str, Any]]:
    rendered: list[SlackBlock] = [HeaderBlock(text=view.title[:150])] if view.title else []
    rendered += [_block(block) for block in view.blocks]
    return [block.to_dict() for block in rendered]


def message(view: MessageView) -> dict[str, Any]:
    """`text` is the notification (what a lock screen shows); `blocks` the message."""
    return {"text": escape(view.notification), "blocks": blocks(view)}


def home(view: MessageView) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(view)}


def _block(block: Block) -> SlackBlock:
    if isinstance(block, Section):
        return _section(mrkdwn(block.content))
    if isinstance(block, Quote):
        quoted = "\n".join(f"&gt; {escape(line)}" for line in block.text.splitlines() or [""])
        return _section(quoted)
    if isinstance(block, Facts):
        fields = [
            MarkdownTextObject(text=f"*{escape(f.label)}*\n{mrkdwn(f.value)}")
            for f in block.facts[:10]
        ]
        return SectionBlock(fields=fields)
    if isinstance(block, Actions):
        return ActionsBlock(
            elements=[
                ButtonElement(text=b.label, action_id=b.action, value=b.value, style=b.style)
                for b in block.buttons
            ]
        )
    assert isinstance(block, Note)
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn(block.content))])


def _section(text: str) -> SectionBlock:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text))
