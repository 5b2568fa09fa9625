"""A request's answer goes back one of two ways: inline, in the platform's acknowledgement,
or later, through the outbox to where the request said to reply (`reply_to`, e.g. a Slack
response_url). The edge and the core share one Deadline to choose, exactly once.

The edge gives the core a budget; when it runs out the edge marks the request late and
acknowledges it empty. The core, just before committing, either takes the inline path or,
if the request is late, queues its answer with `reply_to` in the same transaction as the
request's effects. Both run on one event loop, and neither step awaits between looking
and deciding, so whichever comes first decides: never both, never neither."""

from __future__ import annotations

from enum import Enum
from typing import Any


class _Path(Enum):
    OPEN = "open"
    INLINE = "inline"
    LATE = "late"


class Deadline:
    def __init__(self, reply_to: dict[str, Any] | None, *, late: bool = False) -> None:
        """`late`: the answer never goes inline (a button click, whose acknowledgement
        carries no message). Without `reply_to` there is no later way: always inline."""
        self.reply_to = reply_to
        self._path = _Path.LATE if late and reply_to is not None else _Path.OPEN

    @property
    def late(self) -> bool:
        return self._path is _Path.LATE

    def take_inline(self) -> bool:
        """The core, before committing: True to answer inline (then the edge waits for it);
        False when the request is late and the answer must be queued to `reply_to`."""
        if self._path is _Path.LATE:
            return False
        self._path = _Path.INLINE
        return True

    def mark_late(self) -> bool:
        """The edge, at its budget: True if the answer will go to `reply_to` (acknowledge
        empty now); False if the core already chose to answer inline, moments from now."""
        if self._path is _Path.INLINE or self.reply_to is None:
            return False
        self._path = _Path.LATE
        return True
