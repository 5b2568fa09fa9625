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
    """Base of what a Messenger raises. `reason` is safe to store and show: what happened in
    words a manager reads, with the platform's own code kept in parentheses, e.g. "their
    Slack account is deactivated (user_disabled)"; never a message's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """A 5xx or a connection problem: try again later. `maybe_sent`: the request may have
    reached the platform without its answer reaching us (a dropped connection, no answer
    in time), so a new message may have arrived after all."""

    def __init__(self, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.maybe_sent = maybe_sent


class PermanentFailure(DeliveryError):
    """This message can never be delivered as it is, so its row fails and `status` shows
    why: the platform refuses the message itself (too long, a layout it rejects: a bug), or
    the message to update is gone."""


class RecipientUnreachable(PermanentFailure):
    """The person cannot be reached this way: gone, deactivated, blocked the bot, app not
    installed for them."""


class AppCannotSend(DeliveryError):
    """The app itself cannot send on this platform (its token revoked, its credentials
    refused, a permission missing): an operator's alarm, not any message's fault. Nothing
    fails; messages wait until sending works again."""


class Messenger(Protocol):
    """Sends what the outbox holds. It has no "open a form": a form is always opened in
    answer to a click, by the edge that received it (Slack needs that click's trigger id,
    which lives 3 seconds and never reaches the core; Teams sends the card in the turn;
    the console asks the questions). See handlers/form_router.py."""

    platform: str

    async def post(
        self, to: Address, view: MessageView, *, outbox_id: int | None = None
    ) -> SentRef: ...

    async def update(self, ref: SentRef, view: MessageView) -> SentRef: ...

    async def reply(self, reply_to: dict[str, Any], view: MessageView) -> SentRef:
        """Answer privately the way a request came (an outbox row's `reply_to`, written
        by this platform's edge: a Slack response_url)."""

    async def find_sent(self, to: Address, outbox_id: int, since: datetime) -> SentRef | None:
        """The message `post` sent for outbox row `outbox_id` at or after `since`, if the
        platform has it; None when it has not, or when the platform cannot say (then a
        message whose send had no known outcome is sent again)."""
        ...


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
