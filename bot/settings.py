"""Configuration from the environment or a `.env` file (names as in PRODUCT.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE = "sqlite+aiosqlite:///mentorbot.db"


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

    @property
    def slack_socket_mode(self) -> bool:
        return self.slack_configured and self.slack_app_token is not None
