"""An error that repeats is logged once, then counted: a flood of slow or broken clients
(1,100 connections once wrote 80,632 tracebacks in 30 s) costs two log lines a minute,
not one traceback per connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

log = structlog.get_logger("mentorbot.server")

# Errors that come from outside (a client sending junk, hanging up, the machine out of
# file descriptors): their traceback says nothing about our code.
FROM_OUTSIDE = (HttpProcessingError, OSError, asyncio.TimeoutError)
# The standard library's loggers that write one record per bad connection.
SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web")


class Repeats:
    """The first occurrence of each kind of error in a window is logged; the rest are
    counted, and the count is logged when the window ends (`flush`)."""

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._counts: dict[Hashable, tuple[str, dict[str, Any], int]] = {}

    def first(self, event: str, **fields: Any) -> bool:
        """Count this occurrence; True if it is the window's first (the caller logs it)."""
        key = (event, tuple(sorted(fields.items())))
        if key in self._counts:
            name, kept, count = self._counts[key]
            self._counts[key] = (name, kept, count + 1)
            return False
        self._counts[key] = (event, fields, 0)
        return True

    def note(self, event: str, **fields: Any) -> None:
        """Log `event` (a warning, one line) if it is the window's first; count it if not."""
        if self.first(event, **fields):
            log.warning(event, **fields)

    def flush(self) -> None:
        """One line per kind of error that happened again since its first line."""
        for event, fields, count in self._counts.values():
            if count:
                log.warning("repeated", repeated_event=event, times=count, **fields)
        self._counts.clear()

    async def flush_every_window(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.window)
                self.flush()
        finally:
            self.flush()

    # ------------------------------------------------------------------ sources of repeats

    def loop_exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        """For the event loop: `socket.accept() out of system resource`, once a window."""
        error = context.get("exception")
        message = str(context.get("message", "")).splitlines()[0] if context else ""
        if not self.first("event_loop_error", message=message, error=_name(error)):
            return
        if error is None or isinstance(error, FROM_OUTSIDE):
            log.error("event_loop_error", message=message, error=_name(error))
        else:  # a bug of ours: its traceback, once a window
            loop.default_exception_handler(context)

    def install(self) -> _CollapseRecords:
        collapse = _CollapseRecords(self)
        for name in SERVER_LOGGERS:
            logging.getLogger(name).addFilter(collapse)
        return collapse

    @staticmethod
    def uninstall(collapse: _CollapseRecords) -> None:
        for name in SERVER_LOGGERS:
            logging.getLogger(name).removeFilter(collapse)


class _CollapseRecords(logging.Filter):
    """aiohttp logs `Error handling request` with a traceback for each bad connection:
    the first of a kind passes (without traceback when the client is to blame), the rest
    are counted."""

    def __init__(self, repeats: Repeats) -> None:
        super().__init__()
        self.repeats = repeats

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if not self.repeats.first(record.name, message=str(record.msg), error=_name(error)):
            return False
        if isinstance(error, FROM_OUTSIDE):
            record.msg, record.args = f"{record.msg}: {_name(error)}", record.args
            record.exc_info, record.exc_text = None, None
        return True


def _name(error: object) -> str | None:
    return None if error is None else type(error).__name__
