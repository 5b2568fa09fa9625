"""Neutral views → Block Kit, built with slack_sdk's models. Every string is escaped,
so a person's `<!channel>` or `<https://x|y>` arrives as text, and a person's `*urgent*`
or `_x_` arrives as those characters, never as formatting.

Long text is never cut: it is split over several blocks (at a line break or a space where
it can), so a manager receives every word a person wrote. A split never falls inside an
entity (`&lt;`), a mention (`<@U1>`) or a bold or code part."""

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
# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks), in characters of the
# text as sent, entities included: a longer text or a block too many fails the whole call.
SECTION_LIMIT = 3000  # a section's text; also a context element's
FIELD_LIMIT = 2000  # each of a section's fields
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
# `text` beside blocks is only the notification: Slack truncates it past 40,000 characters
# and advises at most 4,000. Ours is a short bot sentence; the limit guards a long name.
TEXT_LIMIT = 4000
MESSAGE_BLOCKS = 50  # chat.postMessage / chat.update / a response_url answer
HOME_BLOCKS = 100  # an App Home view
QUOTE_MARK = "&gt; "

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# mrkdwn has no escape character for its formatting marks, so in people's text each mark
# becomes a lookalike that no Slack parser can read as a mark. Zero-width characters were
# the alternative: they keep the original character for copying, but whether Slack treats
# one as a word boundary (a zero-width space is what people insert to *make* `*bold*`
# work after punctuation) differs by character and by client, so they may re-enable the
# very formatting they should stop, and they paste invisibly into whatever is copied to.
# A lookalike reads the same, copies as a visible character, and always stays text.
LOOKALIKES = {
    "*": "\u2217",  # ∗ asterisk operator
    "_": "\u02cd",  # ˍ modifier letter low macron
    "~": "\u223c",  # ∼ tilde operator
    "`": "\u02cb",  # ˋ modifier letter grave accent
}
# Plain spans are text too, but the handlers' own sentences name commands in backticks
# ("Type `help` …") and show that as code: there, only the other three marks are replaced.
SPAN_MARKS = frozenset("*_~")
ALL_MARKS = frozenset(LOOKALIKES)


def escape(value: str) -> str:
    """`&`, `<` and `>` as entities: nothing becomes a mention, a link or a command.
    Formatting marks stay; for people's text use `neutral`."""
    return "".join(ENTITIES.get(c, c) for c in value)


def neutral(value: str, marks: frozenset[str] = ALL_MARKS) -> str:
    """Text from people (a name, their words) as mrkdwn that shows exactly that text."""
    return "".join(_atoms(value, marks))


def mrkdwn(parts: list[Inline]) -> str:
    return "".join(_inline_atoms(parts, SECTION_LIMIT))


def blocks(view: MessageView, *, most: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    rendered: list[SlackBlock] = [HeaderBlock(text=view.title[:HEADER_LIMIT])] if view.title else []
    for block in view.blocks:
        rendered += _block(block)
    return [block.to_dict() for block in _fit(rendered, most)]


def message(view: MessageView) -> dict[str, Any]:
    """`text` is the notification (what a lock screen shows); `blocks` the message."""
    text = _cut(_atoms(view.notification, SPAN_MARKS), TEXT_LIMIT)
    return {"text": text, "blocks": blocks(view)}


def home(view: MessageView) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(view, most=HOME_BLOCKS)}


# ---------------------------------------------------------------------- text as atoms
# An atom is a piece of mrkdwn that must not be split: a character, an entity, a mention,
# a whole bold or code part. Packing atoms into blocks can then never break one.


def _length(text: str) -> int:
    """Characters as Slack may count them: UTF-16 code units (an emoji can be two), which
    is never fewer than Python's count, so a text within this limit is within Slack's."""
    return len(text.encode("utf-16-le")) // 2


def _atoms(value: str, marks: frozenset[str]) -> list[str]:
    out = []
    for i, char in enumerate(value):
        if char in ENTITIES:
            out.append(ENTITIES[char])
        elif char in marks and not _inside_word(value, i):
            out.append(LOOKALIKES[char])
        else:
            out.append(char)
    return out


def _inside_word(value: str, i: int) -> bool:
    """An `_` between two letters or digits (snake_case, an address like jo_ng@x.org) can
    neither open nor close italics in Slack, so it stays the real character there. The
    other marks are always replaced: `2*3*4` is not worth finding out about."""
    return (
        value[i] == "_"
        and 0 < i < len(value) - 1
        and value[i - 1].isalnum()
        and value[i + 1].isalnum()
    )


def _inline_atoms(parts: list[Inline], limit: int) -> list[str]:
    out: list[str] = []
    for part in parts:
        if isinstance(part, Mention):
            slack_id = part.handles.get("slack")
            out += [f"<@{slack_id}>"] if slack_id else _atoms(part.name, ALL_MARKS)
        elif isinstance(part, CommandHint):
            # The bot's own command, shown as code: inside backticks nothing else is a mark.
            out += _wrapped("`", [f"{SLASH_COMMAND} ", *_atoms(part.text, frozenset())], limit)
        elif part.bold:
            # The bot's bold, around what may be a person's text (a program's name).
            out += _wrapped("*", _atoms(part.text, ALL_MARKS), limit)
        else:
            out += _atoms(part.text, SPAN_MARKS)
    return out


def _wrapped(mark: str, inner: list[str], limit: int) -> list[str]:
    """`mark` + inner + `mark` as one atom; split into several wrapped atoms only if it
    could not fit a block (never for the bot's short bold and code parts)."""
    return [f"{mark}{''.join(piece)}{mark}" for piece in _pack(inner, limit - 2 * len(mark))]


def _pack(atoms: list[str], limit: int) -> list[list[str]]:
    """Atoms grouped into as few texts of at most `limit` as reads well: a text ends at the
    last line break (else space) in its second half when one is there."""
    texts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for atom in atoms:
        size += _length(atom)
        current.append(atom)
        while size > limit and len(current) > 1:
            cut = _break_point(current[:-1]) or len(current) - 1
            texts.append(current[:cut])
            current = current[cut:]
            size = sum(_length(a) for a in current)
    if current or not texts:
        texts.append(current)
    return texts


def _text(atoms: list[str]) -> str:
    """A packed text without the line breaks at its ends (where it was split)."""
    start, end = 0, len(atoms)
    while start < end and atoms[start] == "\n":
        start += 1
    while end > start and atoms[end - 1] == "\n":
        end -= 1
    return "".join(atoms[start:end])


def _break_point(atoms: list[str]) -> int | None:
    """Just after the last line break (else space) in the second half of `atoms`."""
    half = len(atoms) // 2
    for separator in ("\n", " "):
        for i in range(len(atoms) - 1, half - 1, -1):
            if atoms[i] == separator:
                return i + 1
    return None


def _cut(atoms: list[str], limit: int) -> str:
    """At most `limit`, ending in "…" if anything was left out; never inside an atom."""
    if sum(_length(a) for a in atoms) <= limit:
        return "".join(atoms)
    kept: list[str] = []
    size = _length("…")
    for atom in atoms:
        size += _length(atom)
        if size > limit:
            break
        kept.append(atom)
    return "".join(kept) + "…"


# ---------------------------------------------------------------------- blocks


def _block(block: Block) -> list[SlackBlock]:
    if isinstance(block, Section):
        texts = _pack(_inline_atoms(block.content, SECTION_LIMIT), SECTION_LIMIT)
        return [SectionBlock(text=MarkdownTextObject(text=_text(t))) for t in texts]
    if isinstance(block, Quote):
        return [SectionBlock(text=MarkdownTextObject(text=t)) for t in _quoted(block.text)]
    if isinstance(block, Facts):
        fields = [
            MarkdownTextObject(
                text=_cut(
                    [f"*{neutral(f.label)}*\n", *_inline_atoms(f.value, FIELD_LIMIT)],
                    FIELD_LIMIT,
                )
            )
            for f in block.facts
        ]
        # Slack takes 10 fields in a section: more go on in the next one, none is dropped.
        return [
            SectionBlock(fields=fields[i : i + FIELDS_PER_SECTION])
            for i in range(0, len(fields), FIELDS_PER_SECTION)
        ]
    if isinstance(block, Actions):
        return [
            ActionsBlock(
                elements=[
                    ButtonElement(text=b.label, action_id=b.action, value=b.value, style=b.style)
                    for b in block.buttons
                ]
            )
        ]
    assert isinstance(block, Note)
    texts = _pack(_inline_atoms(block.content, SECTION_LIMIT), SECTION_LIMIT)
    return [ContextBlock(elements=[MarkdownTextObject(text=_text(t))]) for t in texts]


def _quoted(words: str) -> list[str]:
    """A person's words as quoted lines, over as many section texts as they need; a line
    that goes on in the next text is quoted there too."""
    atoms: list[str] = []
    for line in words.splitlines() or [""]:
        atoms += ["\n", QUOTE_MARK] if atoms else [QUOTE_MARK]
        atoms += _atoms(line, ALL_MARKS)
    texts = _pack(atoms, SECTION_LIMIT - len(QUOTE_MARK))
    return [_text(_requoted(t)) for t in texts]


def _requoted(atoms: list[str]) -> list[str]:
    """Atoms that go on from a line split in the previous text are quoted again. The
    atom is checked, not the text: a person's own `> ` is `&gt;` then ` `, never it."""
    while atoms and atoms[0] == "\n":
        atoms = atoms[1:]
    return atoms if atoms[:1] == [QUOTE_MARK] else [QUOTE_MARK, *atoms]


def _fit(rendered: list[SlackBlock], most: int) -> list[SlackBlock]:
    """At most `most` blocks, which only text beyond any reasonable length can need: the
    buttons stay, the text is shortened, and the message says so."""
    if len(rendered) <= most:
        return rendered
    keep = [b for b in rendered if isinstance(b, ActionsBlock)]
    room = most - len(keep) - 1
    text_blocks = [b for b in rendered if not isinstance(b, ActionsBlock)][:room]
    kept = {id(b) for b in keep + text_blocks}
    shortened = [b for b in rendered if id(b) in kept]
    notice = f"(Shortened: Slack shows at most {most} parts in a message; the rest is left out.)"
    return [*shortened, ContextBlock(elements=[MarkdownTextObject(text=notice)])]
