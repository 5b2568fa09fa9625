"""One check-in round enqueued by the production due sweep, in a process of its own, so
that its peak resident memory is the sweep's and nothing else's:

    python benchmarks/due_round.py <database URL> <clock start, ISO 8601>

prints one JSON line: items done, seconds, CPU seconds (all threads), how long the event
loop's thread ran and waited for a CPU (/proc schedstat), and the process's peak RSS (MB)
before the sweep (Python, the bot's modules, an open connection) and at its end."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bot import logging as bot_logging
from handlers.context import Deps
from scheduler import runner  # registers the due kinds, as the running bot has them
from storage import db


class RunningClock:
    """Real time, as if it had been `start` when this object was made: the benchmarks run
    in working hours whatever the machine's date, and time still passes (leases, waits)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.began = start, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


def main_thread_seconds() -> tuple[float, float]:
    """Seconds the event loop's thread has run, and has been ready to run but waited for a
    CPU (the machine busy with other work), from /proc schedstat; zeros where the kernel
    keeps no such count. Over a stretch of wall time, what is left is the loop idle: waiting
    for the database (PostgreSQL's server, SQLite's driver thread) or for Slack."""
    try:
        fields = Path(f"/proc/self/task/{os.getpid()}/schedstat").read_text().split()
        return int(fields[0]) / 1e9, int(fields[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


async def enqueue_round(url: str, start: datetime) -> dict[str, float]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:  # the pool's first connection, before measuring
            await conn.execute(text("SELECT 1"))
        deps = Deps(sessions=db.session_factory(engine), clock=RunningClock(start))
        before = peak_rss_mb()
        began, cpu, (ran, waited) = time.perf_counter(), time.process_time(), main_thread_seconds()
        done = await runner.run_due(deps)  # what the schedule's due-sweep job calls
        ran_after, waited_after = main_thread_seconds()
        return {
            "done": done,
            "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu,
            "loop_ran_seconds": ran_after - ran,
            "loop_waited_seconds": waited_after - waited,
            "rss_before_mb": before,
            "rss_peak_mb": peak_rss_mb(),
        }
    finally:
        await engine.dispose()


if __name__ == "__main__":
    bot_logging.configure("WARNING", "console")
    result = asyncio.run(enqueue_round(sys.argv[1], datetime.fromisoformat(sys.argv[2])))
    print(json.dumps(result), flush=True)
