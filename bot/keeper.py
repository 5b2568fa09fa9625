"""Requests kept in batches (group commit): under a burst, the requests acknowledged
before their work was done are written together, one INSERT for all that waited, instead
of a transaction each. Each request's acknowledgement waits for its batch's commit."""

from __future__ import annotations

import asyncio

from handlers import carried
from handlers.carried import Inbound
from handlers.context import Deps

MOST_AT_ONCE = 500  # 8 values a row: well inside PostgreSQL's 32,767 per statement


class Keeper:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._waiting: dict[str, tuple[Inbound, list[asyncio.Future[None]]]] = {}
        self._writing: asyncio.Task[None] | None = None

    async def keep(self, inbound: Inbound) -> None:
        """Returns once the request is kept; raises what keeping it raised."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        _, futures = self._waiting.setdefault(inbound.key, (inbound, []))
        futures.append(future)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.ensure_future(self._write())
        await future

    async def _write(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[:MOST_AT_ONCE]
            batch = [self._waiting.pop(key) for key in keys]
            try:
                await carried.keep(self.deps, [inbound for inbound, _ in batch])
            except Exception as error:
                _settle(batch, error)
            else:
                _settle(batch, None)


def _settle(
    batch: list[tuple[Inbound, list[asyncio.Future[None]]]], error: Exception | None
) -> None:
    for _, futures in batch:
        for future in futures:
            if future.done():  # its acknowledgement stopped waiting
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
