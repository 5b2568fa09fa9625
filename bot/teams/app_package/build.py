"""`mentorbot teams-package --app-id <id>`: the zip an IT admin uploads to Teams."""

from __future__ import annotations

import json
import re
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

from bot.settings import canonical_guid
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
# Teams shows these links in the app's details; mentorbot serves no such pages itself.
PLACEHOLDER_PRIVACY = "https://example.com/privacy"
PLACEHOLDER_TERMS = "https://example.com/terms"
TRIAL_WARNING = (
    "warning: without --host this package is for a trial only: its privacy and terms links "
    "point at example.com and it names no domain; for production, build it with --host, "
    "--privacy-url and --terms-url"
)
HTTPS_URL = re.compile(r"^https://[^/?#\s]+[^\s]*$", re.IGNORECASE)


def command(
    app_id: str, host: str | None, out: str, privacy_url: str | None, terms_url: str | None
) -> int:
    """`mentorbot teams-package`: writes the zip, or one line saying what is wrong and 2.
    Without --host a trial package, with one warning line; with --host, the links an IT
    admin's users see must be real pages, so --privacy-url and --terms-url are needed."""
    try:
        path = build(app_id, Path(out), host=host, privacy_url=privacy_url, terms_url=terms_url)
    except ValueError as error:
        print(f"mentorbot: {error}", file=sys.stderr)
        return 2
    if host is None:
        print(f"mentorbot: {TRIAL_WARNING}", file=sys.stderr)
    print(f"wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return 0


def bot_id(app_id: str) -> str:
    """The Microsoft App ID as Azure and Teams write it (lower case, dashed), from any form
    an admin may paste; TEAMS_APP_ID follows the same rule (bot.settings.canonical_guid)."""
    canonical = canonical_guid(app_id)
    if canonical is None:
        raise ValueError(f"--app-id must be the bot's Microsoft App ID (a GUID), not {app_id!r}")
    return canonical


def _https_url(option: str, url: str) -> str:
    if not HTTPS_URL.match(url.strip()):
        raise ValueError(f"{option} must be an https:// address, not {url!r}")
    return url.strip()


def host_name(host: str) -> str:
    """`bot.example.com` from what an admin may paste (`https://bot.example.com/api/messages`)."""
    bare = re.sub(r"^[A-Za-z]+://", "", host.strip()).split("/", 1)[0].lower()
    if not HOST.match(bare):
        raise ValueError(f"--host must be the bot's public host name, not {host!r}")
    return bare


def manifest(
    app_id: str,
    *,
    host: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
    version: str = "1.0.0",
) -> dict[str, Any]:
    """Refuses (ValueError, naming the option) what Teams would refuse or show broken."""
    app_id = bot_id(app_id)
    host = host_name(host) if host else None
    if host and not (privacy_url and terms_url):
        missing = " and ".join(
            option
            for option, given in (("--privacy-url", privacy_url), ("--terms-url", terms_url))
            if not given
        )
        raise ValueError(
            f"--host needs {missing}: Teams shows your organisation's privacy statement and "
            "terms of use in the app's details, and mentorbot serves no such pages"
        )
    privacy = _https_url("--privacy-url", privacy_url) if privacy_url else PLACEHOLDER_PRIVACY
    terms = _https_url("--terms-url", terms_url) if terms_url else PLACEHOLDER_TERMS
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": str(uuid.uuid5(APP_NAMESPACE, app_id)),
        "developer": {
            "name": "mentorbot",
            # Teams' "Website" link: the privacy statement is a real page, the bot's root
            # is not (it serves only its endpoints and health checks).
            "websiteUrl": privacy if privacy_url else "https://example.com/mentorbot",
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
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


def build(
    app_id: str,
    out: Path,
    *,
    host: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> Path:
    """Raises ValueError, in one line naming the option, for anything it cannot use."""
    document = manifest(app_id, host=host, privacy_url=privacy_url, terms_url=terms_url)
    content = json.dumps(document, indent=2)
    if not out.parent.is_dir():
        raise ValueError(f"--out: the folder {out.parent} does not exist")
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
            package.writestr("manifest.json", content)
            package.writestr("color.png", color_icon())
            package.writestr("outline.png", outline_icon())
    except OSError as error:  # not writable, a folder of that name, a full disk …
        raise ValueError(f"--out: cannot write {out}: {error.strerror or error}") from None
    return out
