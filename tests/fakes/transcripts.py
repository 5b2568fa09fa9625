"""Reading console transcripts where `enrol` also briefs the person in a DM, and letting
time pass in them event by event."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select

from handlers import due_work
from storage.models import DueItem, DueStatus, OutboxMessage, OutboxStatus

BRIEFING_DM = "\n📨 DM to @{who}\n   *Your briefing as a "


def briefed(output: str, who: str) -> str:
    """The private answer of an `enrol`, after checking that the briefing DM to `who`
    follows it."""
    answer, found, _ = output.partition(BRIEFING_DM.format(who=who))
    assert found, output
    return answer


async def next_event(console) -> datetime | None:
    """When something next falls due: a due item, or a queued message."""
    async with console.session.deps.sessions() as session:
        item = select(func.min(DueItem.due_at)).where(DueItem.status == DueStatus.PENDING)
        message = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
        times = [(await session.exec(q)).one() for q in (item, message)]
    return min((t for t in times if t is not None), default=None)


async def run_until(console, clock, end: datetime) -> list[str]:
    """Time passes event by event (as the sweeps and the dispatcher see it, only sooner):
    each DM, with the time it was delivered and its first line."""
    delivered = []
    for _ in range(10_000):  # a message that never leaves would loop for ever
        at = await next_event(console)
        if at is None or at > end:
            return delivered
        clock.advance(max((at - clock.now()).total_seconds(), 0))
        start = len(console.lines)
        await due_work.run_due(console.session.deps)
        await console.session.drain()
        lines = console.lines[start:]
        for i, line in enumerate(lines):
            if line.startswith("📨 DM to"):
                said = lines[i + 2].strip()  # the line after the title
                delivered.append(f"{clock.now():%a %d %b %H:%M} UTC {line[2:]}: {said}")
    raise AssertionError(f"still busy at {clock.now()}")
