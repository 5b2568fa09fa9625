"""structlog: readable on a terminal, JSON otherwise; the standard library's loggers
(aiohttp, Bolt, APScheduler, SQLAlchemy) come out in the same form. Participants' words
never reach a log: events carry ids and kinds only, chatty libraries stay at WARNING (they
would log request bodies at DEBUG), and tracebacks are plain, without local variables."""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor

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
    stamped: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    finish: list[Processor] = [
        structlog.processors.format_exc_info if json_output else _identity,
        renderer,
    ]
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *stamped, *finish],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = _library_handler(stamped, finish)
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))


def _library_handler(stamped: list[Processor], finish: list[Processor]) -> logging.Handler:
    """The standard library's loggers (aiohttp, Bolt, APScheduler, SQLAlchemy …) rendered
    like the bot's own lines: one JSON object per line for a log collector, or readable."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *stamped],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finish],
        )
    )
    return handler


def _identity(_logger: object, _name: str, event: dict) -> dict:
    return event
