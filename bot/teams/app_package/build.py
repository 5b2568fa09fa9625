"""`mentorbot teams-package --app-id <id>`: the zip an IT admin uploads to Teams."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

from bot.teams.app_package.icons import color_icon, outline_icon

MANIFEST_VERSION = "1.29"
SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
)
COMMANDS = [
    ("help", "What mentorbot can do for you"),
    ("concern", "Tell the program manager privately that something is wrong"),
    ("status", "Program managers: the program at a glance"),
    ("enrol", "Program managers: enrol @person mentor|mentee"),
    ("pair", "Program managers: pair @mentor @mentee"),
    ("managers", "Program managers: managers add|remove @person"),
    ("program", 'Admins: program create "<name>"'),
]
# Teams needs a stable app id per bot; derive it from the bot's id so rebuilds match.
APP_NAMESPACE = uuid.UUID("6f1c0f8e-6c0b-4a57-9a53-6d656e746f72")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")


def host_name(host: str) -> str:
    """`bot.example.com` from what an admin may paste (`https://bot.example.com/api/messages`)."""
    bare = re.sub(r"^[A-Za-z]+://", "", host.strip()).split("/", 1)[0].lower()
    if not HOST.match(bare):
        raise ValueError(f"--host must be the bot's public host name, not {host!r}")
    return bare


def manifest(app_id: str, *, host: str | None = None, version: str = "1.0.0") -> dict[str, Any]:
    host = host_name(host) if host else None
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": str(uuid.uuid5(APP_NAMESPACE, app_id)),
        "developer": {
            "name": "mentorbot",
            "websiteUrl": f"https://{host}/" if host else "https://example.com/mentorbot",
            "privacyUrl": f"https://{host}/privacy" if host else "https://example.com/privacy",
            "termsOfUseUrl": f"https://{host}/terms" if host else "https://example.com/terms",
        },
        "name": {"short": "mentorbot", "full": "mentorbot: mentoring pairs that keep moving"},
        "description": {
            "short": "Keeps mentoring pairs moving; tells the program manager at once.",
            "full": (
                "mentorbot supports workplace mentoring programs in chat. Program managers "
                "set up programs and pairs; pairs are greeted privately; a mentor or mentee "
                "can raise a concern at any time, and the program manager is told at once, "
                "with buttons to acknowledge and resolve it. What people write is seen only "
                "by those the program's confidentiality rules allow."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#2E5E4E",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [{"title": t, "description": d} for t, d in COMMANDS],
                    }
                ],
            }
        ],
        "validDomains": [host] if host else [],
    }


def build(app_id: str, out: Path, *, host: str | None = None) -> Path:
    content = json.dumps(manifest(app_id, host=host), indent=2)  # may refuse the host
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", content)
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    return out
