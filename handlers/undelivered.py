"""Messages that could not be delivered, as a manager reads them: which message it was,
to whom, and why.

What a failed row was is read from its typed columns (subject, pair, concern); why is
what the platform's messenger recorded, already in words with the platform's own code
kept for whoever digs further ("their Slack account is deactivated (user_disabled)")."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.views import Mention
from storage.models import Subject


@dataclass(frozen=True)
class Failed:
    """A failed outbox row, as its typed columns say."""

    subject: str
    recipient_id: int
    reason: str | None
    pair_id: int | None = None
    concern_id: int | None = None


def what(failed: Failed, to: Mention, pair: tuple[Mention, Mention] | None) -> list[str | Mention]:
    """Which message it was, as inline parts."""
    if failed.subject == Subject.GREETING and pair:
        return ["greeting to ", to, " for the pair ", pair[0], " & ", pair[1]]
    if failed.subject == Subject.CONCERN:
        return [f"concern #{failed.concern_id} DM to manager ", to]
    if failed.subject == Subject.ESCALATION:
        return [f"concern #{failed.concern_id} reminder to manager ", to]
    if failed.subject == Subject.CONCERN_UPDATE:
        return [f"concern #{failed.concern_id} update to manager ", to]
    if failed.subject == Subject.BRIEFING:
        return ["role briefing to ", to]
    if failed.subject == Subject.CHECKIN:
        return ["check-in to ", to]
    if failed.subject == Subject.CHECKIN_REMINDER:
        return ["check-in reminder to ", to]
    if failed.subject == Subject.REPORTER_UPDATE:
        return [f"concern #{failed.concern_id} update to its reporter ", to]
    return ["message to ", to]


def why(reason: str | None) -> str:
    return reason or "unknown error"
