"""structlog: readable on a terminal, JSON otherwise. Participants' words never reach a
log: events carry ids and kinds only, chatty libraries stay at WARNING (they would log
request bodies at DEBUG), and tracebacks are plain, without local variables."""

from __future__ import annotations

import logging
import sys

import structlog

QUIET_LIBRARIES = (
    "slack_sdk",
    "slack_bolt",
    "botbuilder",
    "sqlalchemy",
    "aiohttp.access",
    "aiosqlite",
    "asyncio",
    "apscheduler",
    "alembic",
)


def configure(level: str = "INFO", fmt: str = "auto") -> None:
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info if json_output else _identity,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s %(message)s",
        force=True,
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))


def _identity(_logger: object, _name: str, event: dict) -> dict:
    return event
