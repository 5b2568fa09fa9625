"""Times as a person reads them: in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def when(at: datetime | None, timezone: str | None) -> str:
    if at is None:
        return ""
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = at.astimezone(zone)
    label = timezone if timezone and zone is not UTC else "UTC"
    return f"{local:%a %d %b %Y, %H:%M} {label}"
