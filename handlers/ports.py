"""What the core needs from the outside world, as Protocols: a clock, a way to send
messages on a platform, and a directory to look people up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from handlers.views import MessageView


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Address:
    """Where a person is reached on one platform."""

    platform: str
    external_id: str
    workspace_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a Teams conversation reference


SentRef = dict[str, Any]  # what the platform returned: enough to update the message later


class DeliveryError(Exception):
    """Base of what a Messenger raises; `reason` is safe to store and show (no message text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """A 5xx or a dropped connection: try again later."""


class PermanentFailure(DeliveryError):
    """The person cannot be reached this way (gone, blocked, app not installed)."""


class Messenger(Protocol):
    """Sends what the outbox holds. It has no "open a form": a form is always opened in
    answer to a click, by the edge that received it (Slack needs that click's trigger id,
    which lives 3 seconds and never reaches the core; Teams sends the card in the turn;
    the console asks the questions). See handlers/form_router.py."""

    platform: str

    async def post(self, to: Address, view: MessageView) -> SentRef: ...

    async def update(self, ref: SentRef, view: MessageView) -> SentRef: ...


@dataclass(frozen=True)
class Profile:
    external_id: str
    name: str
    email: str | None = None
    timezone: str | None = None
    is_bot: bool = False
    deactivated: bool = False


class DirectoryUnavailable(Exception):
    """The platform could not be asked (down, slow, refused): not the same as "no such
    person", which a directory answers with None."""


class Directory(Protocol):
    """A platform's people: to turn an e-mail address or a bare id into a person."""

    platform: str

    async def by_email(self, email: str) -> Profile | None: ...

    async def by_id(self, external_id: str) -> Profile | None: ...
