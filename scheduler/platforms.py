"""When each platform may be sent to, as this process has learnt it (in memory: each
replica learns for itself).

A 429 pauses the platform for its Retry-After. The app itself being unable to send (a
revoked token, refused credentials) raises an operator's alarm and pauses the platform for
a backoff that grows while it lasts; the alarm clears on the next message delivered. Once a
pause is over, one message goes first and the others wait for its answer: a backlog that
resumed all at once would meet the limit again at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from handlers.ports import AppCannotSend, Clock, RateLimited

log = structlog.get_logger("mentorbot.dispatcher")


@dataclass(frozen=True)
class Turn:
    paused_until: datetime | None  # set: the platform is paused, send nothing before then
    number: int = 0  # sends go ahead in this order


class Platforms:
    def __init__(self, clock: Clock, backoff: Callable[[int], timedelta]) -> None:
        self.clock, self.backoff = clock, backoff
        self._paused: dict[str, datetime] = {}  # platform → end of its pause
        self._resuming: set[str] = set()  # paused before: one message at a time, for now
        self._first: dict[str, asyncio.Event] = {}  # the one on its way, set once answered
        self._alarms: dict[str, str] = {}  # platform → why the app cannot send there
        self._raised: dict[str, int] = {}  # platform → the last turn given when it was raised
        self._refusals: dict[str, int] = {}  # the app's sends refused in a row
        self._last_turn = 0  # turns are numbered in the order sends go ahead

    def alarms(self) -> dict[str, str]:
        """Platforms the app cannot send to, each with why, in words."""
        return dict(self._alarms)

    def paused_until(self, platform: str | None) -> datetime | None:
        until = self._paused.get(platform or "")
        return until if until is not None and until > self.clock.now() else None

    def all_paused(self, platforms: Collection[str]) -> bool:
        return bool(platforms) and all(self.paused_until(p) for p in platforms)

    def first_resumed(self, platforms: Collection[str]) -> datetime:
        """When the first of `platforms`, all paused, may be sent to again."""
        return min(self._paused[p] for p in platforms)

    @asynccontextmanager
    async def turn(self, platform: str | None) -> AsyncIterator[Turn]:
        """A send's turn on `platform`: to go ahead, or (paused) when to try again. After
        a pause, the first send goes ahead alone and the others wait here until the
        platform has answered it with something other than a 429 or a refusal of the app;
        a 429 or a refusal raised inside pauses the platform."""
        if platform is None:  # nothing to pause
            yield Turn(None, self._next_turn())
            return
        first: asyncio.Event | None = None
        while True:
            if (until := self.paused_until(platform)) is not None:
                yield Turn(until)
                return
            if platform not in self._resuming:
                break
            if (ahead := self._first.get(platform)) is None:
                first = self._first[platform] = asyncio.Event()
                break
            await ahead.wait()
        going = Turn(None, self._next_turn())
        try:
            yield going
        except RateLimited as error:
            self._pause(platform, timedelta(seconds=error.retry_after))
            raise
        except AppCannotSend as error:
            self._refused(platform, going, error.reason)
            raise
        finally:
            if first is not None:
                del self._first[platform]
                if self.paused_until(platform) is None:
                    self._resuming.discard(platform)
                first.set()

    def delivered(self, platform: str, turn: Turn) -> None:
        """A message reached `platform`: the app can send there, if that send went ahead
        after the alarm (one already on its way when it was raised proves nothing)."""
        if turn.number <= self._raised.get(platform, 0):
            return
        self._refusals.pop(platform, None)
        if self._alarms.pop(platform, None) is not None:
            log.warning("delivery_alarm_cleared", platform=platform)

    def _next_turn(self) -> int:
        self._last_turn += 1
        return self._last_turn

    def _pause(self, platform: str, wait: timedelta) -> None:
        now = self.clock.now()
        self._paused[platform] = max(now + wait, self._paused.get(platform, now))
        self._resuming.add(platform)

    def _refused(self, platform: str, turn: Turn, reason: str) -> None:
        if turn.number > self._raised.get(platform, 0):  # not one of a burst already refused
            self._refusals[platform] = self._refusals.get(platform, 0) + 1
            self._raised[platform] = self._last_turn
        self._pause(platform, self.backoff(self._refusals[platform]))
        if self._alarms.get(platform) != reason:  # once per change, not once per message
            self._alarms[platform] = reason
            log.error(
                "delivery_alarm",
                platform=platform,
                reason=reason,
                detail="the app cannot send here: messages wait until it can",
            )
