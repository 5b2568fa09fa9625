"""Reading console transcripts where `enrol` also briefs the person in a DM."""

from __future__ import annotations

BRIEFING_DM = "\n📨 DM to @{who}\n   *Your briefing as a "


def briefed(output: str, who: str) -> str:
    """The private answer of an `enrol`, after checking that the briefing DM to `who`
    follows it."""
    answer, found, _ = output.partition(BRIEFING_DM.format(who=who))
    assert found, output
    return answer
