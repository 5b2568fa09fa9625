"""Configuration from the environment or a `.env` file (names as in PRODUCT.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.urls import UnsupportedDatabase, as_text, async_url

DEFAULT_DATABASE = "sqlite+aiosqlite:///mentorbot.db"
# Azure's Microsoft App IDs and tenant ids are GUIDs; Teams sends the tenant's in lower case.
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The forms people paste a GUID in: Azure's portal (dashed), PowerShell and the registry
# (`{…}`, often upper case), or the bare 32 digits. All mean the same id.
PASTED_GUID = re.compile(
    r"^(?P<open>\{?)(?P<a>[0-9a-f]{8})(?P<dash>-?)(?P<b>[0-9a-f]{4})(?P=dash)(?P<c>[0-9a-f]{4})"
    r"(?P=dash)(?P<d>[0-9a-f]{4})(?P=dash)(?P<e>[0-9a-f]{12})(?P<close>\}?)$",
    re.IGNORECASE,
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What each setting accepts, for the one line a mistaken value gets at start.
ACCEPTED = {
    "PORT": "a port number from 0 to 65535",
    "TEAMS_ALLOW_UNAUTHENTICATED": "true or false",
    "MENTORBOT_LOG_LEVEL": ", ".join(LOG_LEVELS),
    "MENTORBOT_LOG_FORMAT": "auto, console or json",
    "SLACK_API_URL": "an http(s) URL, as https://slack.com/api/",
    "MENTORBOT_MAX_CONNECTIONS": "a whole number from 1 to 100000",
    "MENTORBOT_READ_TIMEOUT": "a number of seconds above 0 and at most 300",
}
# Values that are secrets, or may hold one (a database URL's password), are never echoed.
NEVER_SHOWN = frozenset(
    {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TEAMS_APP_PASSWORD"}
)


def canonical_guid(value: str) -> str | None:
    """The lower-case dashed form Azure and Teams use, of a GUID in any form people paste
    (`{…}`, upper case, without dashes); None if it is no GUID. TEAMS_APP_ID and
    `teams-package --app-id` share this rule, so the package's botId is the id the bot
    authenticates as."""
    found = PASTED_GUID.match(value.strip())
    if found is None or bool(found["open"]) != bool(found["close"]):
        return None
    return "-".join(found[part] for part in "abcde").lower()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE, alias="DATABASE_URL")
    admins: Annotated[frozenset[str], NoDecode] = Field(frozenset(), alias="MENTORBOT_ADMINS")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    teams_app_id: str | None = Field(None, alias="TEAMS_APP_ID")
    teams_app_password: SecretStr | None = Field(None, alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(None, alias="TEAMS_TENANT_ID")
    teams_allow_unauthenticated: bool = Field(False, alias="TEAMS_ALLOW_UNAUTHENTICATED")
    port: int = Field(3000, alias="PORT", ge=0, le=65535)
    log_format: Literal["auto", "console", "json"] = Field("auto", alias="MENTORBOT_LOG_FORMAT")
    log_level: str = Field("INFO", alias="MENTORBOT_LOG_LEVEL")
    max_connections: int = Field(2048, alias="MENTORBOT_MAX_CONNECTIONS", ge=1, le=100_000)
    read_timeout: float = Field(10.0, alias="MENTORBOT_READ_TIMEOUT", gt=0, le=300)

    @field_validator(
        "teams_allow_unauthenticated",
        "port",
        "log_format",
        "log_level",
        "max_connections",
        "read_timeout",
        mode="before",
    )
    @classmethod
    def _blank_is_default(cls, value: object, info: ValidationInfo) -> object:
        # `PORT=` or `TEAMS_ALLOW_UNAUTHENTICATED=` left empty in a .env means "not set",
        # as for the other settings, not a value to refuse.
        if isinstance(value, str) and not value.strip():
            assert info.field_name is not None
            return cls.model_fields[info.field_name].default
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # `sqlite:///…`, `postgres://…` as hosting platforms hand them out: the bot picks
        # its async driver itself. A URL it cannot use is left for database_problem to name
        # (pydantic's message would quote the URL, password and all).
        try:
            return as_text(async_url(value))
        except UnsupportedDatabase:
            return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        # Checked here: logging would otherwise fail at start with a KeyError traceback.
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError("not a log level")
        return level

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> frozenset[str]:
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return frozenset(str(v).lower() for v in value or ())  # type: ignore[union-attr]

    @field_validator("teams_app_id", "teams_tenant_id", "teams_app_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `TEAMS_APP_ID=` left empty in a .env must not count as set: an empty app id would
        # otherwise turn Teams on without authentication.
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("teams_app_id", "teams_tenant_id")
    @classmethod
    def _guid_as_teams_sends_it(cls, value: str | None) -> str | None:
        # Compared with the ids in each activity and token, which Teams sends in lower-case
        # dashed form. Anything that is no GUID is kept as given, for teams_problem to name.
        if not value:
            return value
        return canonical_guid(value) or value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _blank_slack_secret_is_unset(cls, value: object) -> object:
        # .env.example lists `SLACK_APP_TOKEN=` and friends empty: left so, they must not
        # switch Slack (or Socket Mode) on with an empty token.
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # A URL slack_sdk cannot use would only show as every message waiting forever.
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL")
        value = value.strip()
        return value if value.endswith("/") else value + "/"

    def slack_problem(self) -> str | None:
        """Why the Slack settings cannot work, in one line naming the setting; None when
        they can, or when none is set (then, without Teams, the bot is the console)."""
        bot, secret, app = self.slack_bot_token, self.slack_signing_secret, self.slack_app_token
        if bot is None:
            given = [
                name
                for name, value in (("SLACK_APP_TOKEN", app), ("SLACK_SIGNING_SECRET", secret))
                if value is not None
            ]
            if not given:
                return None
            verb = "is" if len(given) == 1 else "are"
            return (
                f"{' and '.join(given)} {verb} set but SLACK_BOT_TOKEN is not: set the Bot User "
                "OAuth Token (xoxb-…) too"
            )
        if secret is None and app is None:
            # HTTP mode cannot tell Slack's requests from anyone's without the secret.
            return (
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them"
            )
        return None

    def database_problem(self) -> str | None:
        """Why DATABASE_URL cannot work, in one line; None when it may. The URL itself is
        never shown: it may hold a password."""
        try:
            url = async_url(self.database_url)
        except UnsupportedDatabase as problem:
            return f"DATABASE_URL {problem}"
        if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
            folder = Path(url.database).expanduser().absolute().parent
            if not folder.is_dir():
                # SQLite would say only "unable to open database file", much later.
                return f"DATABASE_URL: the folder of the SQLite file, {folder}, does not exist"
        return None

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_app_token is not None or self.slack_signing_secret is not None
        )

    @property
    def teams_configured(self) -> bool:
        return self.teams_app_id is not None or self.teams_allow_unauthenticated

    def teams_problem(self) -> str | None:
        """Why the Teams settings cannot work together, in one line naming the setting;
        None when they can (or when Teams is not configured at all)."""
        app_id, tenant = self.teams_app_id, self.teams_tenant_id
        if app_id is None:
            if self.teams_app_password is not None:
                return "TEAMS_APP_PASSWORD is set but TEAMS_APP_ID is not: set both, or neither"
            if tenant is not None and not self.teams_allow_unauthenticated:
                return "TEAMS_TENANT_ID is set but TEAMS_APP_ID is not: set both, or neither"
        elif self.teams_allow_unauthenticated:
            return (
                "TEAMS_ALLOW_UNAUTHENTICATED is on but TEAMS_APP_ID is set: it is for "
                "development without an Azure Bot only; remove one of them"
            )
        elif self.teams_app_password is None:
            return "TEAMS_APP_ID is set but TEAMS_APP_PASSWORD is not: set the bot's client secret"
        elif not GUID.match(app_id.lower()):
            return f"TEAMS_APP_ID must be the Azure Bot's Microsoft App ID (a GUID), not {app_id!r}"
        if tenant is not None and not GUID.match(tenant):
            return f"TEAMS_TENANT_ID must be the tenant id (a GUID), not {tenant!r}"
        return None

    @property
    def slack_socket_mode(self) -> bool:
        return self.slack_configured and self.slack_app_token is not None


def problems_of(error: ValidationError) -> list[str]:
    """One line per setting pydantic refused: its name, what it accepts, and the value
    given (unless it may be a secret)."""
    lines: dict[str, str] = {}
    for detail in error.errors():
        name = str(detail["loc"][0]) if detail["loc"] else "a setting"
        accepted = ACCEPTED.get(name, "a different value")
        given = detail.get("input")
        shown = "" if name in NEVER_SHOWN or not isinstance(given, str) else f", not {given!r}"
        lines.setdefault(name, f"{name} must be {accepted}{shown}")
    return list(lines.values())


class StartupProblem(Exception):
    """A setting that cannot work, found at start: `mentorbot` prints it as one line (the
    setting's name first) and exits with 2, instead of a traceback or a retry loop."""
