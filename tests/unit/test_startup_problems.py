"""A mistaken setting stops `mentorbot` at start with one line naming the setting (and
what it accepts) and exit code 2: never a traceback, never a silent fall-back to the
console. With no Slack or Teams setting at all, the console is still what runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.settings import Settings, canonical_guid

NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}
MENTORBOT = Path(sys.executable).parent / "mentorbot"
DATABASES = "sqlite:///<file> or postgresql://user:pass@host/db"
# Turns a platform on without any network: the checks of a real start are reached.
TEAMS_DEV = {"TEAMS_ALLOW_UNAUTHENTICATED": "true"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Neither the developer's environment nor a `.env` in the working folder leaks in."""
    for name in list(os.environ):
        if name.upper() in NAMES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _main(monkeypatch, capsys, env: dict[str, str]) -> tuple[int, str, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main([])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"PORT": "abc"}, "PORT must be a port number from 0 to 65535, not 'abc'"),
        ({"PORT": "99999"}, "PORT must be a port number from 0 to 65535, not '99999'"),
        (
            {"TEAMS_ALLOW_UNAUTHENTICATED": "yes-please"},
            "TEAMS_ALLOW_UNAUTHENTICATED must be true or false, not 'yes-please'",
        ),
        (
            {"MENTORBOT_LOG_LEVEL": "LOUD"},
            "MENTORBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'",
        ),
        (
            {"MENTORBOT_LOG_FORMAT": "xml"},
            "MENTORBOT_LOG_FORMAT must be auto, console or json, not 'xml'",
        ),
        (
            {"DATABASE_URL": "mysql://x", **TEAMS_DEV},
            f"DATABASE_URL must be {DATABASES}, not a mysql:// URL",
        ),
        (
            {"DATABASE_URL": "postgresql+psycopg2://bot:pa55word@db/mentorbot", **TEAMS_DEV},
            f"DATABASE_URL must be {DATABASES}, not a postgresql+psycopg2:// URL",  # no password
        ),
        (
            {"DATABASE_URL": "not a url", **TEAMS_DEV},
            f"DATABASE_URL is not a database URL: use {DATABASES}",
        ),
        (
            {"MENTORBOT_MAX_CONNECTIONS": "0"},
            "MENTORBOT_MAX_CONNECTIONS must be a whole number from 1 to 100000, not '0'",
        ),
        (
            {"MENTORBOT_READ_TIMEOUT": "soon"},
            "MENTORBOT_READ_TIMEOUT must be a number of seconds above 0 and at most 300, "
            "not 'soon'",
        ),
        (
            {"SLACK_API_URL": "ftp://example.com/api"},
            "SLACK_API_URL must be an http(s) URL, as https://slack.com/api/, "
            "not 'ftp://example.com/api'",
        ),
        (
            {"SLACK_API_URL": "not a url"},
            "SLACK_API_URL must be an http(s) URL, as https://slack.com/api/, not 'not a url'",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1"},
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
            "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-1"},
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: set the Bot User OAuth Token "
            "(xoxb-…) too",
        ),
        (
            {"SLACK_SIGNING_SECRET": "s3cret"},
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: set the Bot User OAuth "
            "Token (xoxb-…) too",
        ),
        (
            {"SLACK_SIGNING_SECRET": "s3cret", "SLACK_APP_TOKEN": "xapp-1"},
            "SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set but SLACK_BOT_TOKEN is not: set "
            "the Bot User OAuth Token (xoxb-…) too",
        ),
    ],
)
def test_a_mistaken_setting_is_one_line_and_exit_code_2(monkeypatch, capsys, env, line) -> None:
    assert _main(monkeypatch, capsys, env) == (2, "", f"mentorbot: {line}\n")
    assert not Path("mentorbot.db").exists()  # stopped before touching anything


def test_every_bad_setting_gets_its_own_line(monkeypatch, capsys) -> None:
    code, out, err = _main(monkeypatch, capsys, {"PORT": "abc", "MENTORBOT_LOG_LEVEL": "LOUD"})
    assert (code, out) == (2, "")
    assert sorted(err.splitlines()) == [
        "mentorbot: MENTORBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'",
        "mentorbot: PORT must be a port number from 0 to 65535, not 'abc'",
    ]


def test_a_sqlite_file_in_a_missing_folder_is_named(monkeypatch, capsys, tmp_path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'bot.db'}", **TEAMS_DEV}
    assert _main(monkeypatch, capsys, env) == (
        2,
        "",
        f"mentorbot: DATABASE_URL: the folder of the SQLite file, {missing}, does not exist\n",
    )
    assert not missing.parent.exists()


def test_db_upgrade_checks_the_database_url_too(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    assert main(["db", "upgrade"]) == 2
    assert (
        capsys.readouterr().err
        == f"mentorbot: DATABASE_URL must be {DATABASES}, not a mysql:// URL\n"
    )


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ({"MENTORBOT_LOG_LEVEL": "debug"}, ("log_level", "DEBUG")),
        ({"MENTORBOT_LOG_LEVEL": " Warning "}, ("log_level", "WARNING")),
        ({"MENTORBOT_LOG_FORMAT": "JSON"}, ("log_format", "json")),
        ({"PORT": ""}, ("port", 3000)),  # left empty in a .env: not set
        ({"TEAMS_ALLOW_UNAUTHENTICATED": " "}, ("teams_allow_unauthenticated", False)),
        ({"MENTORBOT_LOG_LEVEL": ""}, ("log_level", "INFO")),
    ],
)
def test_accepted_forms(monkeypatch, env, value) -> None:
    for name, given in env.items():
        monkeypatch.setenv(name, given)
    field, expected = value
    assert getattr(Settings(), field) == expected


def test_secrets_are_never_echoed_in_a_problem() -> None:
    from pydantic import ValidationError

    from bot.settings import problems_of

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, SLACK_BOT_TOKEN=12345, PORT="x")  # type: ignore[call-arg]
    assert problems_of(refused.value) == [
        "SLACK_BOT_TOKEN must be a different value",
        "PORT must be a port number from 0 to 65535, not 'x'",
    ]


@pytest.mark.parametrize(
    "pasted",
    [
        "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d",
        "8A3C4B5D-1E2F-4A6B-8C7D-9E0F1A2B3C4D",
        "{8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d}",
        "{8A3C4B5D-1E2F-4A6B-8C7D-9E0F1A2B3C4D}",
        "8a3c4b5d1e2f4a6b8c7d9e0f1a2b3c4d",
        " 8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d ",
    ],
)
def test_a_guid_in_any_pasted_form_is_the_canonical_one(pasted: str) -> None:
    assert canonical_guid(pasted) == "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, TEAMS_APP_ID=pasted, TEAMS_APP_PASSWORD="s", TEAMS_TENANT_ID=pasted
    )
    assert settings.teams_problem() is None
    assert settings.teams_app_id == settings.teams_tenant_id == canonical_guid(pasted)


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "mentorbot",
        "28:8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d",
        "{8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d",  # one brace
        "8a3c4b5d-1e2f4a6b-8c7d-9e0f1a2b3c4d",  # some dashes
        "urn:uuid:8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d",
        "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4",
    ],
)
def test_what_is_no_guid_stays_refused(pasted: str) -> None:
    assert canonical_guid(pasted) is None


def test_no_platform_setting_at_all_is_still_the_console(monkeypatch, capsys) -> None:
    monkeypatch.setattr("bot.__main__.bot_logging.configure", lambda *_: None)  # stays global
    ran: list[bool] = []

    async def console(_settings: Settings, *, tour: bool) -> None:
        ran.append(tour)

    monkeypatch.setattr("bot.console.run.run_console", console)
    assert main([]) == 0
    assert ran == [True]  # stdin is no terminal under pytest: the tour


# ---------------------------------------------------------------------- the real command


def _environment(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in NAMES}
    return clean | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"} | env


def _mentorbot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MENTORBOT)],
        cwd=tmp_path,  # no .env from the repo
        env=_environment(tmp_path, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_names_a_bad_port_without_a_traceback(tmp_path) -> None:
    done = _mentorbot(tmp_path, PORT="abc")
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "mentorbot: PORT must be a port number from 0 to 65535, not 'abc'\n",
    )


def test_the_command_names_an_unknown_log_level_without_a_traceback(tmp_path) -> None:
    done = _mentorbot(tmp_path, MENTORBOT_LOG_LEVEL="LOUD", **TEAMS_DEV)
    assert (done.returncode, done.stderr) == (
        2,
        "mentorbot: MENTORBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR, CRITICAL, "
        "not 'LOUD'\n",
    )


def test_a_port_in_use_is_named_before_anything_starts(tmp_path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _mentorbot(tmp_path, PORT=str(port), **TEAMS_DEV)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"mentorbot: PORT {port} is already in use: stop what listens on it, or set PORT to a "
        "free port\n",
    )
    assert not (tmp_path / "bot.db").exists()


def test_partial_slack_settings_do_not_open_the_console(tmp_path) -> None:
    done = _mentorbot(tmp_path, SLACK_BOT_TOKEN="xoxb-only")
    assert (done.returncode, done.stdout) == (2, "")  # no console tour
    assert done.stderr == (
        "mentorbot: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
        "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them\n"
    )
