"""What falls due, done: each kind of due item has a use case, called by a sweep with the
Clock's now inside the transaction that claimed the item (storage/due.py). Use cases
register here by kind; scheduler/ only runs the sweeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from handlers.context import Deps, Work
from storage import due
from storage.db import attempts
from storage.models import DueItem

log = structlog.get_logger("mentorbot.due")

DueUseCase = Callable[[Work, DueItem], Awaitable[None]]
DUE: dict[str, DueUseCase] = {}  # kind → what to do when an item of that kind falls due
# Kinds done a batch at a time: the use case gets all of a batch's items of its kinds at once,
# so that it can read what they need in a fixed number of queries, not a few per item.
BatchUseCase = Callable[[Work, list[DueItem]], Awaitable[None]]
DUE_IN_BATCHES: dict[str, BatchUseCase] = {}
BATCH = 200  # items per transaction: a round of 10,000 is 50 short transactions


def on_due(kind: str) -> Callable[[DueUseCase], DueUseCase]:
    """Register the use case for due items of `kind`."""

    def register(use_case: DueUseCase) -> DueUseCase:
        DUE[kind] = use_case
        return use_case

    return register


def on_due_batch(*kinds: str) -> Callable[[BatchUseCase], BatchUseCase]:
    """Register the use case for due items of `kinds`, given a batch's items at once."""

    def register(use_case: BatchUseCase) -> BatchUseCase:
        DUE_IN_BATCHES.update(dict.fromkeys(kinds, use_case))
        return use_case

    return register


async def run_due(deps: Deps, *, batch: int = BATCH) -> int:
    """Do everything due by the Clock's now, a batch per transaction; how many items."""
    done = 0
    while True:
        claimed, queued = await _one_batch(deps, batch)
        done += claimed
        if queued:
            deps.wake_dispatcher()
        if claimed < batch:
            return done


async def _one_batch(deps: Deps, batch: int) -> tuple[int, int]:
    async for attempt in attempts(deps.sessions):  # again if the connection was cut
        async with attempt as session:
            work = Work(session=session, deps=deps)
            items = await due.claim_due(session, now=work.now, limit=batch)
            # Held until the batch is done: each item then finds them in the session.
            held = await due.load_subjects(session, items)
            in_batches: dict[BatchUseCase, list[DueItem]] = {}
            for item in items:
                if item.kind in DUE_IN_BATCHES:
                    in_batches.setdefault(DUE_IN_BATCHES[item.kind], []).append(item)
                    continue
                use_case = DUE.get(item.kind)
                if use_case is None:  # a kind this version no longer knows: done, said once
                    log.warning("due_item_unknown_kind", kind=item.kind, item=item.id)
                    continue
                await use_case(work, item)
            for batch_use_case, its_items in in_batches.items():
                await batch_use_case(work, its_items)
            if items:  # an idle sweep (most are) writes nothing: no write lock on SQLite
                await due.finish(session, items, now=work.now)
            del held
            return len(items), work.queued
    raise AssertionError("attempts always runs once")  # pragma: no cover
