"""Request bodies from outside, read before any library sees them: UTF-8 text, JSON no
deeper than any real Slack or Teams payload. Anything else is a BadBody (a 400), never an
exception from deep inside Bolt or botbuilder (a 500 with a traceback)."""

from __future__ import annotations

import json
from typing import Any

# Slack's and Teams' payloads nest about 10 deep (a modal's state, an Adaptive Card's
# containers); 64 leaves room and keeps every later walk over the body far from Python's
# recursion limit (150,000 nested `[` once reached it in json.loads).
MAX_DEPTH = 64


class BadBody(ValueError):
    """Not a body the bot can read. `reason` names what is wrong (never the content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def text_of(raw: bytes, charset: str | None) -> str:
    """The body as text: UTF-8 only (Slack and the Bot Framework send nothing else)."""
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BadBody("charset_not_utf8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("not_utf8") from None


def json_object(text: str) -> dict[str, Any]:
    """A JSON object, at most MAX_DEPTH deep."""
    try:
        value = json.loads(text)
    except RecursionError:  # json.loads nests as deep as the text: a few thousand `[`
        raise BadBody("json_too_deep") from None
    except ValueError:
        raise BadBody("not_json") from None
    if not isinstance(value, dict):
        raise BadBody("json_not_an_object")
    if depth_exceeds(value, MAX_DEPTH):
        raise BadBody("json_too_deep")
    return value


def depth_exceeds(value: object, limit: int) -> bool:
    """Whether containers nest more than `limit` deep (walked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
