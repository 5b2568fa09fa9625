"""At-risk flags, for `status`: signals a pair did not report, shown to the program's
managers with the reason and since when, never sent as a DM of their own. Each kind is
read by its own module in one query, whatever the number of pairs, and none is ever
about a pair the viewer is in (its other member would learn of their partner):

- handlers/checkins/flags.py: two check-ins in a row unanswered; `struggling` twice in a
  row with no concern raised;
- handlers/briefing_flags.py: a member paired before confirming their role briefing.

A flag is computed from the state as it is, so it clears itself: an answered check-in,
a concern raised, a briefing confirmed, or the pair ended."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers.context import Context
from handlers.timefmt import when
from handlers.views import Inline, Mention, Section, bold, section, text


@dataclass(frozen=True)
class Flag:
    pair_id: int
    person_id: int
    partner_id: int
    reason: str
    since: datetime


def in_order(*kinds: Iterable[Flag]) -> list[Flag]:
    """All flags, pair by pair and person by person, the oldest first for each person."""
    flags = [flag for kind in kinds for flag in kind]
    return sorted(flags, key=lambda f: (f.pair_id, f.person_id, f.since, f.reason))


def flags_section(
    ctx: Context, flags: list[Flag], people: dict[int, Mention], limit: int
) -> list[Section]:
    """Nothing when no one is at risk: `status` stays short."""
    if not flags:
        return []
    lines: list[Inline] = [bold(f"At risk: {len(flags)}")]
    for flag in flags[:limit]:
        lines += text(
            "\n• ",
            people[flag.person_id],
            " (with ",
            people[flag.partner_id],
            f") · {flag.reason} · since {when(flag.since, ctx.me.timezone)}",
        )
    if len(flags) > limit:
        lines += text(f"\n…and {len(flags) - limit} more")
    return [section(*lines)]
