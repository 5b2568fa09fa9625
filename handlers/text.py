"""People's text made safe to keep and to show, the same on every database and surface.

Control characters (NUL among them, which PostgreSQL refuses in text and SQLite keeps)
become their visible Unicode pictures, as the console shows them: still readable as what
was typed, inert everywhere. Direction controls (U+202A–U+202E, U+2066–U+2069) are
removed: they reorder what follows them, so `‮gnp.exe` would display as `exe.png`."""

from __future__ import annotations

import re

# C0 controls but line breaks and tabs (layout), DEL, C1 controls, direction controls.
# Lone surrogates too (JSON may carry "\ud83d" alone): no database or platform takes them.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DELETE = "\x7f"


def clean(text: str) -> str:
    """`text` with no character that could hide, reorder or be refused: see the module."""
    text = text.replace("\r\n", "\n")  # a Windows line break is a line break
    return UNSAFE.sub(_stand_in, text)


def _stand_in(found: re.Match[str]) -> str:
    char = found.group()
    if char in DIRECTION_CONTROLS:
        return ""
    if char == DELETE:
        return "\u2421"  # ␡
    code = ord(char)
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"  # C0: ␀ ␛ ␍ …; C1: no pictures


ROW_ID = re.compile(r"[0-9]{1,10}")  # str.isdigit() also takes "²", which int() refuses
LARGEST_ROW_ID = 2**31 - 1  # ids are 32-bit integers: a larger number names no row


def row_id(value: str) -> int | None:
    """A button's value as a row id, or None: a crafted value names no row (and must not
    reach the database, which refuses numbers beyond 32 bits)."""
    if not ROW_ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= LARGEST_ROW_ID else None
