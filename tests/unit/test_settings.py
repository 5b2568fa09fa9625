"""Settings from the environment and a `.env` file, with the names PRODUCT.md gives."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr, ValidationError

from bot.settings import DEFAULT_DATABASE, Settings

NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Neither the developer's environment nor a `.env` in the working folder leaks in."""
    for name in list(os.environ):
        if name.upper() in NAMES:  # pydantic-settings matches names case-insensitively
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_names_are_those_of_the_product_brief() -> None:
    assert {
        "DATABASE_URL",
        "MENTORBOT_ADMINS",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "TEAMS_APP_ID",
        "TEAMS_APP_PASSWORD",
        "TEAMS_TENANT_ID",
        "TEAMS_ALLOW_UNAUTHENTICATED",
        "PORT",
    } <= NAMES


def test_defaults() -> None:
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE == "sqlite+aiosqlite:///mentorbot.db"
    assert settings.admins == frozenset()
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.slack_bot_token is None
    assert not settings.slack_configured
    assert not settings.slack_socket_mode
    assert not settings.teams_configured
    assert not settings.teams_allow_unauthenticated


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("http://127.0.0.1:8123/api", "http://127.0.0.1:8123/api/"),
        ("http://127.0.0.1:8123/api/", "http://127.0.0.1:8123/api/"),
        ("https://slack-gov.com/api", "https://slack-gov.com/api/"),
    ],
)
def test_slack_api_url_always_ends_in_a_slash(monkeypatch, given, used) -> None:
    monkeypatch.setenv("SLACK_API_URL", given)
    assert Settings().slack_api_url == used


@pytest.mark.parametrize(
    ("given", "admins"),
    [
        ("U012ABC", {"u012abc"}),
        (" U012ABC , Ada@Example.COM,,  w0456 ", {"u012abc", "ada@example.com", "w0456"}),
        ("", set()),
        (" , ,", set()),
        ("6e1b0c2a-AAAA-4b1e-9f0e-0123456789ab", {"6e1b0c2a-aaaa-4b1e-9f0e-0123456789ab"}),
    ],
)
def test_admins_are_comma_separated_trimmed_and_lower_cased(monkeypatch, given, admins) -> None:
    monkeypatch.setenv("MENTORBOT_ADMINS", given)
    assert Settings().admins == frozenset(admins)


def test_secrets_are_never_shown(monkeypatch) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-bot-secret-1",
        "SLACK_SIGNING_SECRET": "signing-secret-2",
        "SLACK_APP_TOKEN": "xapp-app-secret-3",
        "TEAMS_APP_PASSWORD": "teams-password-4",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    for value in secrets.values():
        assert value not in repr(settings)
        assert value not in str(settings)
        assert value not in str(settings.model_dump())
    for field in ("slack_bot_token", "slack_signing_secret", "slack_app_token"):
        assert isinstance(getattr(settings, field), SecretStr)
    assert isinstance(settings.teams_app_password, SecretStr)
    assert str(settings.slack_bot_token) == "**********"
    assert settings.slack_bot_token.get_secret_value() == "xoxb-bot-secret-1"  # type: ignore[union-attr]
    assert settings.teams_app_password.get_secret_value() == "teams-password-4"  # type: ignore[union-attr]


def test_port(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    assert Settings().port == 8080
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    ("tokens", "configured", "socket_mode"),
    [
        ({}, False, False),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, False, False),  # nothing to receive events with
        ({"SLACK_SIGNING_SECRET": "s"}, False, False),  # nothing to send with
        ({"SLACK_APP_TOKEN": "xapp-1"}, False, False),
        ({"SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"}, False, False),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, True, False),  # HTTP
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, True, True),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"},
            True,
            True,  # the app token switches Socket Mode on
        ),
    ],
)
def test_when_slack_is_configured_and_how(monkeypatch, tokens, configured, socket_mode) -> None:
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.slack_configured is configured
    assert settings.slack_socket_mode is socket_mode


def test_blank_slack_settings_as_in_env_example_are_unset(tmp_path) -> None:
    """.env.example lists the Slack settings empty: copied as is, nothing turns Slack on,
    and an HTTP-mode setup that leaves SLACK_APP_TOKEN empty stays in HTTP mode."""
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=\nSLACK_SIGNING_SECRET=  \nSLACK_APP_TOKEN=\n")
    settings = Settings()
    assert (settings.slack_bot_token, settings.slack_signing_secret) == (None, None)
    assert settings.slack_app_token is None
    assert not settings.slack_configured
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN= xoxb-1 \nSLACK_SIGNING_SECRET=s\nSLACK_APP_TOKEN=\n"
    )
    settings = Settings()
    assert settings.slack_configured and not settings.slack_socket_mode
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("env", "configured"),
    [
        ({}, False),
        ({"TEAMS_APP_ID": "00000000-0000-0000-0000-000000000001"}, True),
        ({"TEAMS_ALLOW_UNAUTHENTICATED": "true"}, True),
        ({"TEAMS_ALLOW_UNAUTHENTICATED": "false"}, False),
    ],
)
def test_when_teams_is_configured(monkeypatch, env, configured) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings().teams_configured is configured


def test_settings_come_from_a_dot_env_file(tmp_path) -> None:
    (tmp_path / ".env").write_text(
        "# mentorbot\n"
        "DATABASE_URL=postgresql+asyncpg://bot@db:5432/mentorbot\n"
        "MENTORBOT_ADMINS=U1, Ada@Example.com\n"
        "SLACK_BOT_TOKEN=xoxb-from-file\n"
        "SLACK_SIGNING_SECRET=from-file\n"
        "SLACK_API_URL=http://localhost:9000/api\n"
        "PORT=4000\n"
        "SOMETHING_ELSE=ignored\n"
    )
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://bot@db:5432/mentorbot"
    assert settings.admins == frozenset({"u1", "ada@example.com"})
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert settings.slack_api_url == "http://localhost:9000/api/"
    assert settings.port == 4000
    assert settings.slack_configured and not settings.slack_socket_mode


def test_the_environment_wins_over_the_dot_env_file(monkeypatch, tmp_path) -> None:
    (tmp_path / ".env").write_text("PORT=4000\nMENTORBOT_ADMINS=from-file\n")
    monkeypatch.setenv("PORT", "5000")
    settings = Settings()
    assert settings.port == 5000
    assert settings.admins == frozenset({"from-file"})


def test_no_env_file_means_none_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("PORT=4000\n")
    assert Settings(_env_file=None).port == 3000  # type: ignore[call-arg]
