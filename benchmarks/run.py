"""Benchmarks, measured in one run on loopback, printed as counts, ratios and percentiles:

1. in this process, one command at a time (benchmarks/inprocess.py): a slash command vs a
   bare Bolt app answering the same content; a concern reaching the manager's DM; the
   outbox's throughput;
2. under load (benchmarks/load.py): SIZE signed slash commands at once (a mix of help,
   status and concern, then each alone) against one `mentorbot` process, on SQLite and on
   PostgreSQL, next to a bare Bolt app in its own process: how many were acknowledged
   within Slack's 3 s, p50/p99, every concern raised exactly once, commands per second,
   the bot's CPU per command, and the p99 ratio to the bare app (goal for help: ≤ 1.2×).

Run with `make bench` (or `.venv/bin/python benchmarks/run.py [--quick] [--postgres URL]`).
PostgreSQL runs with TEST_DATABASE_URL or --postgres: a database the benchmark may empty."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import inprocess
import load

from bot import logging as bot_logging


async def main(quick: bool, postgres: str | None) -> None:
    bot_logging.configure("WARNING", "console")
    print(f"mentorbot benchmarks ({'quick' if quick else 'full'}), {os.cpu_count()} cores\n")
    await inprocess.run(quick)
    size = 50 if quick else 200
    await load.run("sqlite", "SQLite", size)
    if postgres:
        await load.run(postgres, "PostgreSQL", size)
    else:
        print(
            "\nload on PostgreSQL: skipped: no database given "
            "(set TEST_DATABASE_URL or pass --postgres URL)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; 50 at once, not 200")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL URL (postgresql+asyncpg://…) the benchmark may empty; "
        "default: TEST_DATABASE_URL",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.postgres))
