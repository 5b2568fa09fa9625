"""What a batch of walk steps decided, written at the end in a fixed number of statements:
the walks cancelled (before anything new is scheduled for them), every message in one
INSERT, every next step in another. The concerns' own changes are flushed by the session
(one executemany)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.context import Work
from handlers.escalation.history import Copy
from handlers.escalation.policy import Step
from handlers.escalation.start import WALK
from handlers.views import MessageView
from storage import due, outbox
from storage.models import Concern, OutboxStatus, Person, Subject


@dataclass
class Plan:
    now: datetime
    messages: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    cancelled: set[int] = field(default_factory=set)  # concerns whose pending steps end

    def send(
        self, key: str, concern: Concern, to: Person, view: MessageView, subject: Subject
    ) -> Copy:
        """Queue a message about `concern`; the copy it makes, as the history will know it."""
        assert concern.id is not None and to.id is not None
        self.messages.append(
            {
                "dedupe_key": key,
                "recipient_id": to.id,
                "view": view.to_json(),
                "subject": subject,
                "program_id": concern.program_id,
                "pair_id": concern.pair_id,
                "concern_id": concern.id,
            }
        )
        return Copy(0, concern.id, to.id, subject, OutboxStatus.PENDING, self.now, None)

    def schedule(self, concern: Concern, step: Step, due_at: datetime, suffix: str = "") -> None:
        assert concern.id is not None
        self.steps.append(
            {
                "key": step.key(concern.id) + suffix,
                "kind": WALK,
                "due_at": due_at,
                "program_id": concern.program_id,
                "pair_id": concern.pair_id,
                "concern_id": concern.id,
            }
        )

    def cancel(self, concern: Concern) -> None:
        """End the concern's pending steps, and forget the ones this batch planned."""
        assert concern.id is not None
        self.cancelled.add(concern.id)
        self.steps = [s for s in self.steps if s["concern_id"] != concern.id]

    async def write(self, work: Work) -> None:
        await due.cancel_concerns(work.session, sorted(self.cancelled), now=self.now)
        await due.schedule_many(work.session, self.steps, now=self.now)
        work.queued += await outbox.enqueue_urgent(work.session, self.messages, now=self.now)
