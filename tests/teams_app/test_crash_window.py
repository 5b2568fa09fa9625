"""The Teams crash window, as the README states it: a bot cannot read a Teams chat's
history, so a message Teams accepted whose outcome the bot did not record before it died
is sent again, once, when it is next claimed: after the lease (2 minutes) on a shared
database, at once on a single process's restart."""

from __future__ import annotations

import pytest
from fakes.teams_harness import TeamsHarness

from scheduler.dispatcher import Dispatcher
from storage import outbox
from storage.db import transaction
from storage.models import OutboxMessage

CONCERN = 'concern missed-meeting "Sam missed two meetings."'
CARDS = ["a:1ada", "a:1max"]  # the two managers' 1:1 chats with the bot


class ProcessDied(Exception):
    """Stands for SIGKILL: nothing after it runs."""


class DiesBeforeRecording(Dispatcher):
    """Sends, and dies before writing down what happened."""

    async def _step(self, finished, room):
        if finished:
            raise ProcessDied
        return await super()._step(finished, room)


async def crash_after_sending(demo: TeamsHarness, clock) -> int:
    """Omar raises a concern; the process sends his receipt and both managers' cards,
    Teams accepts all three, and the process dies before recording any of it. The mark
    of the connector's calls before the cards."""
    await demo.send(demo.message("omar", CONCERN))
    mark = len(demo.connector.calls)
    runtime = demo.runtime
    dying = DiesBeforeRecording(runtime.deps.sessions, clock, runtime.messengers)
    with pytest.raises(ProcessDied):
        await dying.run_once()
    assert cards(demo, mark) == [1, 1]
    return mark


def cards(demo: TeamsHarness, mark: int) -> list[int]:
    """How many cards reached each manager since `mark`."""
    return [len(demo.arrived(chat, mark)) for chat in CARDS]


async def test_on_a_shared_database_the_cards_go_again_once_the_lease_is_over(
    demo: TeamsHarness, clock
) -> None:
    mark = await crash_after_sending(demo, clock)
    replica = Dispatcher(demo.runtime.deps.sessions, clock, demo.runtime.messengers)

    clock.advance(119)
    assert await replica.run_once() == 0  # the dead process's lease still holds
    clock.advance(1)
    assert await replica.run_once() == 3

    assert cards(demo, mark) == [2, 2]  # once more, no more
    assert {r.status for r in await demo.rows(OutboxMessage)} == {"sent"}
    clock.advance(3600)
    assert await replica.run_once() == 0


async def test_a_single_process_sends_them_again_at_once_on_restart(
    demo: TeamsHarness, clock
) -> None:
    mark = await crash_after_sending(demo, clock)
    async with transaction(demo.runtime.deps.sessions) as session:
        await outbox.release_all_claims(session)  # what bot.app does at start on SQLite

    restarted = Dispatcher(demo.runtime.deps.sessions, clock, demo.runtime.messengers)
    assert await restarted.run_once() == 3

    assert cards(demo, mark) == [2, 2]
    assert {r.status for r in await demo.rows(OutboxMessage)} == {"sent"}
