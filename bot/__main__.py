"""`mentorbot` / `python -m bot`: run the bot, or `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from pydantic import ValidationError

from bot import logging as bot_logging
from bot.settings import Settings, problems_of

CONSOLE_IGNORES_DATABASE = (
    "mentorbot: the console uses a throwaway database; DATABASE_URL is not used"
)


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
    package.add_argument(
        "--privacy-url", help="your organisation's privacy statement (https://…); with --host"
    )
    package.add_argument(
        "--terms-url", help="your organisation's terms of use (https://…); with --host"
    )
    package.add_argument("--out", default="mentorbot-teams.zip", help="where to write the zip")
    db_parser = sub.add_parser("db", help="database maintenance")
    db_parser.add_argument("action", choices=["upgrade"])
    args = parser.parse_args(argv)
    if args.command == "teams-package":
        # Needs none of the bot's settings: an admin may build it on any machine.
        from bot.teams.app_package.build import command

        return command(args.app_id, args.host, args.out, args.privacy_url, args.terms_url)
    try:
        settings = Settings()
    except ValidationError as error:
        # pydantic's own report is several lines per setting, with a link; one line each.
        for line in problems_of(error):
            _problem(line)
        return 2
    starting = args.command in (None, "run")
    if starting and (problem := settings.slack_problem() or settings.teams_problem()):
        # Caught here, not on the first message (or never, as a silent console).
        _problem(problem)
        return 2
    console = args.command == "console" or not (
        settings.slack_configured or settings.teams_configured
    )
    # The console's database is throwaway: only a real run, or `db upgrade`, opens this one.
    uses_database = (starting and not console) or args.command == "db"
    if uses_database and (problem := settings.database_problem()):
        _problem(problem)
        return 2
    # The console's transcript is the output; its routine log lines would only interleave.
    level = "WARNING" if console and "MENTORBOT_LOG_LEVEL" not in os.environ else settings.log_level
    bot_logging.configure(level, settings.log_format)
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if console:
        from bot.console.run import run_console

        if "database_url" in settings.model_fields_set:  # set, and about to be ignored
            print(CONSOLE_IGNORES_DATABASE, file=sys.stderr)

        tour = getattr(args, "tour", False) or not sys.stdin.isatty()
        asyncio.run(run_console(settings, tour=tour))
        return 0
    return _run(settings)


def _run(settings: Settings) -> int:
    from bot.app import StartupProblem, listen, serve

    try:
        listening = listen(settings.port)  # first: a port in use stops before anything starts
    except StartupProblem as problem:
        _problem(str(problem))
        return 2
    try:
        asyncio.run(serve(settings, listening))
    except StartupProblem as problem:
        _problem(str(problem))
        return 2
    finally:
        listening.close()
    return 0


def _problem(line: str) -> None:
    print(f"mentorbot: {line}", file=sys.stderr)


async def _upgrade(settings: Settings) -> int:
    from bot.database import innermost_error
    from storage import db

    engine = db.create_engine(settings.database_url)
    try:
        await db.upgrade(engine)  # under the same lock as replicas starting
    except db.SchemaTooNew as newer:
        _problem(str(newer))
        return 2
    except Exception as error:  # one line, as at start: the message may quote the URL
        _problem(f"the database could not be upgraded ({innermost_error(error)})")
        return 2
    finally:
        await engine.dispose()
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
