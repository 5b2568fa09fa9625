"""Benchmarks, measured in one run on loopback, printed as counts, ratios and percentiles:

1. in this process, one command at a time (benchmarks/inprocess.py): a slash command vs a
   bare Bolt app answering the same content; a concern reaching the manager's DM; the
   outbox's throughput;
2. under load (benchmarks/load.py): SIZE signed slash commands at once (a mix of help,
   status and concern, then each alone) against one `mentorbot` process, on SQLite and on
   PostgreSQL, next to a bare Bolt app in its own process: how many were acknowledged
   within Slack's 3 s, p50/p99, every concern raised exactly once, commands per second,
   the bot's CPU per command, and the p99 ratio to the bare app (goal for help: ≤ 1.2×);
3. due check-ins (benchmarks/due.py): the due sweep finding and enqueuing the same number
   of due check-ins among 1,000 and 100,000 pairs (goal: ≤ 2× apart); a round for 10,000
   pairs: the sweep's peak RSS (goal: < 300 MB) and the time the round takes to leave
   through the dispatcher to a fake Slack that never limits.

Run with `make bench` (or `.venv/bin/python benchmarks/run.py [--quick] [--postgres URL]
[inprocess|load|due …]`: only those; all of them by default). PostgreSQL runs with
TEST_DATABASE_URL or --postgres: a database the benchmark may empty."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import due
import inprocess
import load

from bot import logging as bot_logging

BENCHMARKS = ("inprocess", "load", "due")
NO_POSTGRES = "skipped: no database given (set TEST_DATABASE_URL or pass --postgres URL)"


async def main(which: list[str], quick: bool, postgres: str | None) -> None:
    bot_logging.configure("WARNING", "console")
    print(f"mentorbot benchmarks ({'quick' if quick else 'full'}), {os.cpu_count()} cores\n")
    if "inprocess" in which:
        await inprocess.run(quick)
    if "load" in which:
        size = 50 if quick else 200
        await load.run("sqlite", "SQLite", size)
        if postgres:
            await load.run(postgres, "PostgreSQL", size)
        else:
            print(f"\nload on PostgreSQL: {NO_POSTGRES}")
    if "due" in which:
        databases = [("sqlite", "SQLite")] + ([(postgres, "PostgreSQL")] if postgres else [])
        await due.run(databases, quick)
        if not postgres:
            print(f"\ndue check-ins on PostgreSQL: {NO_POSTGRES}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "which",
        nargs="*",
        help=f"which benchmarks to run: {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, smaller sizes: a short run"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL URL (postgresql+asyncpg://…) the benchmark may empty; "
        "default: TEST_DATABASE_URL",
    )
    arguments = parser.parse_args()
    if unknown := set(arguments.which) - set(BENCHMARKS):
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}: {', '.join(BENCHMARKS)}")
    asyncio.run(main(arguments.which or list(BENCHMARKS), arguments.quick, arguments.postgres))
