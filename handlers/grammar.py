"""Tokens of the command language: words, quoted text, person references.

A platform edge turns its native mentions into MENTION_OPEN id|name MENTION_CLOSE
before parsing, and strips those two characters from anything a person typed, so a
mention can only come from the platform itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

MENTION_OPEN = "\ue000"
MENTION_CLOSE = "\ue001"
OPENING_QUOTES = '"“”„'
CLOSING_QUOTES = '"”“'
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
# What Slack's special mentions (<!channel>, <!here>, <!everyone>, <!subteam^S1>) arrive
# as: words about a crowd, never one person, so never a partner or someone to enrol.
BROADCASTS = frozenset({"@channel", "@here", "@everyone", "@subteam"})


@dataclass(frozen=True)
class Handle:
    """A platform user id (a Slack U…, a Teams AAD id, a console name)."""

    external_id: str
    name: str | None = None

    def to_text(self) -> str:
        label = f"|{self.name}" if self.name else ""
        return f"{MENTION_OPEN}{self.external_id}{label}{MENTION_CLOSE}"


@dataclass(frozen=True)
class Email:
    address: str

    def to_text(self) -> str:
        return self.address


@dataclass(frozen=True)
class Name:
    """`@name` typed as text: resolved against people the bot knows."""

    name: str

    def to_text(self) -> str:
        return f"@{self.name}"


PersonRef = Handle | Email | Name


@dataclass(frozen=True)
class Token:
    text: str
    end: int  # offset just past the token in the source
    quoted: bool = False
    person: PersonRef | None = None


class GrammarError(ValueError):
    pass


def mention_token(body: str) -> PersonRef:
    external_id, _, name = body.partition("|")
    return Handle(external_id=external_id.strip(), name=name.strip() or None)


def person_from_word(word: str) -> PersonRef | None:
    if word.lower() in BROADCASTS:
        return None
    if EMAIL.match(word):
        return Email(word.lower())
    if word.startswith("@") and len(word) > 1 and not any(q in word for q in OPENING_QUOTES):
        return Name(word[1:])
    return None


def tokenize(source: str, *, strict: bool = True) -> list[Token]:
    """Split into tokens. Not strict: an unclosed quotation mark is an ordinary character
    (a person's free text may well hold one)."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch == MENTION_OPEN:
            close = source.find(MENTION_CLOSE, i + 1)
            if close < 0:
                raise GrammarError("A mention is not closed.")
            body = source[i + 1 : close]
            tokens.append(Token(body, close + 1, person=mention_token(body)))
            i = close + 1
        elif ch in OPENING_QUOTES and (strict or _has_closing_quote(source, i + 1)):
            close = _closing_quote(source, i + 1)
            tokens.append(Token(source[i + 1 : close], close + 1, quoted=True))
            i = close + 1
        else:
            j = i + 1
            while j < n and not source[j].isspace() and source[j] != MENTION_OPEN:
                j += 1
            word = source[i:j]
            tokens.append(Token(word, j, person=person_from_word(word)))
            i = j
    return tokens


def _closing_quote(source: str, start: int) -> int:
    for k in range(start, len(source)):
        if source[k] in CLOSING_QUOTES:
            return k
    raise GrammarError("A quotation mark is not closed.")


def _has_closing_quote(source: str, start: int) -> bool:
    return any(c in CLOSING_QUOTES for c in source[start:])


def quote(value: str) -> str:
    return f'"{value}"'


def readable(source: str) -> str:
    """Replace mention tokens with @name, for text kept as a person's words."""

    def _sub(match: re.Match[str]) -> str:
        ref = mention_token(match.group(1))
        assert isinstance(ref, Handle)
        return f"@{ref.name or ref.external_id}"

    return re.sub(f"{MENTION_OPEN}([^{MENTION_CLOSE}]*){MENTION_CLOSE}", _sub, source)
