"""Neutral views → Teams activities: an Adaptive Card 1.5 where there is something to
click, plain text otherwise. Text goes in RichTextBlock TextRuns, which Teams never reads
as markdown, so a person's words cannot become a link or formatting."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

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

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
BUTTON_STYLES = {"primary": "positive", "danger": "destructive"}


def activity(view: MessageView, *, as_card: bool = False) -> Activity:
    """A message activity for a view; `summary` is what a notification shows. `as_card`
    keeps a card a card when it is updated in place, even once its buttons are gone."""
    if not (as_card or _buttons(view)):
        return Activity(
            type=ActivityTypes.message,
            text=plain(view),
            text_format="plain",
            summary=view.notification,
        )
    attachment = Attachment(content_type=CARD_CONTENT_TYPE, content=card(view))
    return Activity(type=ActivityTypes.message, attachments=[attachment], summary=view.notification)


def card(view: MessageView) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if view.title:
        body.append(_rich([_run(view.title, bold=True, size="Medium")]))
    actions: list[dict[str, Any]] = []
    for block in view.blocks:
        if isinstance(block, Actions):
            actions += [_submit(b.label, b.action, b.value, b.style) for b in block.buttons]
        else:
            body.append(_block(block))
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def plain(view: MessageView) -> str:
    lines = [view.title] if view.title else []
    for block in view.blocks:
        lines.append(_plain_block(block))
    return "\n\n".join(lines)


def _plain_block(block: Block) -> str:
    if isinstance(block, Section):
        return _text(block.content)
    if isinstance(block, Quote):
        return "\n".join(f"> {line}" for line in block.text.splitlines())
    if isinstance(block, Facts):
        return "\n".join(f"{f.label}: {_text(f.value)}" for f in block.facts)
    if isinstance(block, Note):
        return _text(block.content)
    return ""


def _text(parts: list[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Mention):
            out.append(part.name)
        elif isinstance(part, CommandHint):
            out.append(f"`{part.text}`")  # plain text has no code style: mark where it ends
        else:
            out.append(part.text)
    return "".join(out)


def _buttons(view: MessageView) -> bool:
    return any(isinstance(b, Actions) and b.buttons for b in view.blocks)


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, Section):
        return _rich(_runs(block.content))
    if isinstance(block, Quote):
        return {
            "type": "Container",
            "style": "emphasis",
            "items": [_rich([_run(block.text, italic=True)])],
        }
    if isinstance(block, Facts):
        return {
            "type": "Container",
            "items": [
                _rich([_run(f"{f.label}: ", bold=True), *_runs(f.value)]) for f in block.facts
            ],
        }
    assert isinstance(block, Note)
    return _rich(_runs(block.content, subtle=True))


def _runs(parts: list[Inline], *, subtle: bool = False) -> list[dict[str, Any]]:
    runs = []
    for part in parts:
        if isinstance(part, Mention):
            runs.append(_run(part.name, bold=True, subtle=subtle))
        elif isinstance(part, CommandHint):
            runs.append(_run(part.text, code=True, subtle=subtle))
        else:
            runs.append(_run(part.text, bold=part.bold, subtle=subtle))
    return runs


def _run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    code: bool = False,
    subtle: bool = False,
    size: str | None = None,
) -> dict[str, Any]:
    run: dict[str, Any] = {"type": "TextRun", "text": text}
    if bold:
        run["weight"] = "Bolder"
    if italic:
        run["italic"] = True
    if code:
        run["fontType"] = "Monospace"
    if subtle:
        run["isSubtle"] = True
    if size:
        run["size"] = size
    return run


def _rich(inlines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": inlines}


def _submit(label: str, action: str, value: str, style: str | None) -> dict[str, Any]:
    submit: dict[str, Any] = {
        "type": "Action.Submit",
        "title": label,
        "data": {"action": action, "value": value},
    }
    if style in BUTTON_STYLES:
        submit["style"] = BUTTON_STYLES[style]
    return submit
