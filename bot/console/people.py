"""The console's made-up people, and its directory."""

from __future__ import annotations

import re

from handlers.grammar import BROADCASTS, MENTION_CLOSE, MENTION_OPEN
from handlers.ports import Profile

PLATFORM = "console"
DEMO_PEOPLE = {
    "maya": Profile("maya", "Maya Patel", "maya@example.com", "Europe/London"),
    "omar": Profile("omar", "Omar Haddad", "omar@example.com", "Europe/Berlin"),
    "lena": Profile("lena", "Lena Fischer", "lena@example.com", "Europe/Berlin"),
    "sam": Profile("sam", "Sam Carter", "sam@example.com", "America/New_York"),
    "priya": Profile("priya", "Priya Nair", "priya@example.com", "Asia/Kolkata"),
}
HANDLE = re.compile(r"(?<![\w@.])@([a-z][a-z0-9._-]{0,30})", re.IGNORECASE)


class ConsoleDirectory:
    """Anyone named in the console exists: a new @name or address is a new person."""

    platform = PLATFORM

    def __init__(self) -> None:
        self.people = dict(DEMO_PEOPLE)

    async def by_id(self, external_id: str) -> Profile | None:
        handle = external_id.lower()
        return self.people.setdefault(handle, Profile(handle, handle.capitalize()))

    async def by_email(self, email: str) -> Profile | None:
        for profile in self.people.values():
            if profile.email == email:
                return profile
        handle = email.split("@")[0].lower()
        profile = Profile(handle, handle.capitalize(), email)
        self.people[handle] = profile
        return profile


def as_mentions(line: str) -> str:
    """`@sam` typed in the console is a mention, as a Slack user's autocompleted @Sam is;
    `@channel` and its kind stay words, as Slack's special mentions do."""
    clean = line.replace(MENTION_OPEN, "").replace(MENTION_CLOSE, "")
    return HANDLE.sub(_mention, clean)


def _mention(match: re.Match[str]) -> str:
    if match.group(0).lower() in BROADCASTS:
        return match.group(0)
    return f"{MENTION_OPEN}{match.group(1).lower()}{MENTION_CLOSE}"
