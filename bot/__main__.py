"""`mentorbot` / `python -m bot`: run the bot, or `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot import logging as bot_logging
from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mentorbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    console_parser = sub.add_parser("console", help="the local console on a demo program")
    console_parser.add_argument(
        "--tour", action="store_true", help="play the scripted tour and exit"
    )
    package = sub.add_parser("teams-package", help="build the Teams app package (a zip)")
    package.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID")
    package.add_argument("--host", help="the bot's public host name, e.g. bot.example.com")
    package.add_argument("--out", default="mentorbot-teams.zip", help="where to write the zip")
    db_parser = sub.add_parser("db", help="database maintenance")
    db_parser.add_argument("action", choices=["upgrade"])
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command in (None, "run") and (problem := settings.teams_problem()):
        # Caught here, not on the first Teams message (or never, as a silent console).
        print(f"mentorbot: {problem}", file=sys.stderr)
        return 2
    console = args.command == "console" or not (
        settings.slack_configured or settings.teams_configured
    )
    # The console's transcript is the output; its routine log lines would only interleave.
    level = "WARNING" if console and "MENTORBOT_LOG_LEVEL" not in os.environ else settings.log_level
    bot_logging.configure(level, settings.log_format)
    if args.command == "teams-package":
        return _teams_package(args.app_id, args.host, args.out)
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if console:
        from bot.console.run import run_console

        tour = getattr(args, "tour", False) or not sys.stdin.isatty()
        asyncio.run(run_console(settings, tour=tour))
        return 0
    from bot.app import serve

    asyncio.run(serve(settings))
    return 0


def _teams_package(app_id: str, host: str | None, out: str) -> int:
    import uuid
    from pathlib import Path

    from bot.teams.app_package.build import build

    try:
        uuid.UUID(app_id)
    except ValueError:
        print(
            f"--app-id must be the bot's Microsoft App ID (a GUID), not {app_id!r}", file=sys.stderr
        )
        return 2
    try:
        path = build(app_id, Path(out), host=host)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return 0


async def _upgrade(settings: Settings) -> int:
    from storage import db

    engine = db.create_engine(settings.database_url)
    await db.upgrade(engine)
    await engine.dispose()
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
