"""Configuration from the environment or a `.env` file (names as in PRODUCT.md)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE = "sqlite+aiosqlite:///mentorbot.db"
# Azure's Microsoft App IDs and tenant ids are GUIDs; Teams sends the tenant's in lower case.
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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
    log_format: str = Field("auto", alias="MENTORBOT_LOG_FORMAT")  # auto | console | json
    log_level: str = Field("INFO", alias="MENTORBOT_LOG_LEVEL")

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

    @field_validator("teams_tenant_id")
    @classmethod
    def _tenant_lower_case(cls, value: str | None) -> str | None:
        # Compared with the tenant id of each activity, which Teams sends in lower case.
        return value.lower() if value else value

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
        return value if value.endswith("/") else value + "/"

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
