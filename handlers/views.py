"""Platform-neutral UI. Each platform renders these natively (Block Kit, Adaptive Cards,
terminal text). Plain strings here are *text*, never markup: every renderer escapes them,
so a person's words can never turn into a mention, a link or formatting."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from handlers.text import clean

# Text shown to people: cleaned however it was made (typed now, stored before this rule,
# or a name from a directory), so no surface ever renders a control character.
Text = Annotated[str, AfterValidator(clean)]


class Span(BaseModel):
    type: Literal["span"] = "span"
    text: Text
    bold: bool = False


class Mention(BaseModel):
    """A person, shown natively where the platform can (a Slack @mention) and by name elsewhere."""

    type: Literal["mention"] = "mention"
    name: Text
    handles: dict[str, str] = Field(default_factory=dict)  # platform -> that platform's user id


class CommandHint(BaseModel):
    """A command to type, shown in each platform's own form (`/mentoring …` on Slack)."""

    type: Literal["command"] = "command"
    text: Text


Inline = Annotated[Span | Mention | CommandHint, Field(discriminator="type")]


class Section(BaseModel):
    type: Literal["section"] = "section"
    content: list[Inline]


class Quote(BaseModel):
    """A person's own words, shown as a quotation."""

    type: Literal["quote"] = "quote"
    text: Text


class Fact(BaseModel):
    label: Text
    value: list[Inline]


class Facts(BaseModel):
    type: Literal["facts"] = "facts"
    facts: list[Fact]


class Button(BaseModel):
    label: Text
    action: str  # e.g. "concern.acknowledge"
    value: str
    style: Literal["primary", "danger"] | None = None


class Actions(BaseModel):
    type: Literal["actions"] = "actions"
    buttons: list[Button]


class Note(BaseModel):
    """Small print under a message."""

    type: Literal["note"] = "note"
    content: list[Inline]


Block = Annotated[Section | Quote | Facts | Actions | Note, Field(discriminator="type")]


class MessageView(BaseModel):
    """A whole message. `notification` is what a lock screen shows: never a person's words."""

    notification: Text
    title: Text | None = None
    blocks: list[Block] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageView:
        return cls.model_validate(data)


def text(*parts: str | Mention | Span | CommandHint) -> list[Inline]:
    """Build inline content: plain strings become spans."""
    return [Span(text=p) if isinstance(p, str) else p for p in parts]


def bold(value: str) -> Span:
    return Span(text=value, bold=True)


def section(*parts: str | Mention | Span | CommandHint) -> Section:
    return Section(content=text(*parts))


def note(*parts: str | Mention | Span | CommandHint) -> Note:
    return Note(content=text(*parts))


def fact(label: str, *parts: str | Mention | Span | CommandHint) -> Fact:
    return Fact(label=label, value=text(*parts))


def simple(message: str, *, title: str | None = None) -> MessageView:
    """A one-paragraph message whose notification is the message itself (bot words only)."""
    return MessageView(notification=message, title=title, blocks=[section(message)])
