"""How often something recurs, as a program sets it: `2w,4w,every 4w` means two and four
weeks after the start, then every four weeks. Parsed and shown back the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

FORM = "a list of intervals such as `2w,4w,every 4w` (d: days, w: weeks)"
INTERVAL = re.compile(r"([1-9][0-9]{0,2})([dw])")
UNITS = {"d": timedelta(days=1), "w": timedelta(weeks=1)}
MOST_ROUNDS_LISTED = 12


@dataclass(frozen=True)
class Cadence:
    first: tuple[timedelta, ...]  # after the start, in increasing order
    every: timedelta | None = None  # then repeated this often, after the last of `first`

    def offset(self, round_: int) -> timedelta | None:
        """How long after the start round `round_` (1, 2, …) falls; None: there is none."""
        if round_ < 1:
            raise ValueError("rounds count from 1")
        if round_ <= len(self.first):
            return self.first[round_ - 1]
        if self.every is None:
            return None
        last = self.first[-1] if self.first else timedelta(0)
        return last + self.every * (round_ - len(self.first))

    def due(self, start: datetime, round_: int) -> datetime | None:
        offset = self.offset(round_)
        return None if offset is None else start + offset

    def to_text(self) -> str:
        parts = [_interval_text(d) for d in self.first]
        if self.every is not None:
            parts.append(f"every {_interval_text(self.every)}")
        return ",".join(parts)


def parse_cadence(text: str) -> Cadence:
    """`2w,4w,every 4w` → Cadence; ValueError naming the form for anything else."""
    first: list[timedelta] = []
    every: timedelta | None = None
    parts = [p.strip().lower() for p in text.split(",")]
    for i, part in enumerate(parts):
        repeat = part.startswith("every ")
        interval = _interval(part.removeprefix("every ").strip())
        if interval is None or (repeat and i != len(parts) - 1):
            raise ValueError(f"“{text[:40]}” is not {FORM}; `every` comes last")
        if repeat:
            every = interval
        elif first and interval <= first[-1]:
            raise ValueError(f"the intervals must grow: {FORM}")
        else:
            first.append(interval)
    if not first and every is None:
        raise ValueError(f"that is not {FORM}")
    return Cadence(tuple(first), every)


def _interval(text: str) -> timedelta | None:
    found = INTERVAL.fullmatch(text)
    return UNITS[found[2]] * int(found[1]) if found else None


def _interval_text(interval: timedelta) -> str:
    days = interval.days
    return f"{days // 7}w" if days % 7 == 0 else f"{days}d"
