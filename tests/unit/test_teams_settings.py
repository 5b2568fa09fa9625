"""Teams settings that cannot work together stop `mentorbot` at start, with one line naming
the setting and exit code 2: not a traceback, not a bot that fails on the first message,
not a silent fall-back to the console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.settings import Settings
from bot.teams.app import build_edge

NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}
APP_ID = "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d"
TENANT = "4d2a3b1c-0e5f-4a6b-9c8d-7e6f5a4b3c2d"
NO_PASSWORD = "TEAMS_APP_ID is set but TEAMS_APP_PASSWORD is not: set the bot's client secret"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Neither the developer's environment nor a `.env` in the working folder leaks in."""
    for name in list(os.environ):
        if name.upper() in NAMES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"TEAMS_APP_ID": APP_ID, "TEAMS_TENANT_ID": TENANT}, NO_PASSWORD),
        ({"TEAMS_APP_ID": APP_ID}, NO_PASSWORD),
        ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "   "}, NO_PASSWORD),
        (
            {"TEAMS_APP_PASSWORD": "s3cret"},
            "TEAMS_APP_PASSWORD is set but TEAMS_APP_ID is not: set both, or neither",
        ),
        (
            {"TEAMS_APP_PASSWORD": "s3cret", "TEAMS_TENANT_ID": TENANT},
            "TEAMS_APP_PASSWORD is set but TEAMS_APP_ID is not: set both, or neither",
        ),
        (
            {"TEAMS_TENANT_ID": TENANT},
            "TEAMS_TENANT_ID is set but TEAMS_APP_ID is not: set both, or neither",
        ),
        (
            {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s", "TEAMS_ALLOW_UNAUTHENTICATED": "1"},
            "TEAMS_ALLOW_UNAUTHENTICATED is on but TEAMS_APP_ID is set: it is for development "
            "without an Azure Bot only; remove one of them",
        ),
        (
            {"TEAMS_APP_ID": "mentorbot", "TEAMS_APP_PASSWORD": "s"},
            "TEAMS_APP_ID must be the Azure Bot's Microsoft App ID (a GUID), not 'mentorbot'",
        ),
        (
            {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s", "TEAMS_TENANT_ID": "contoso.com"},
            "TEAMS_TENANT_ID must be the tenant id (a GUID), not 'contoso.com'",
        ),
    ],
)
def test_inconsistent_teams_settings_are_named(env: dict[str, str], problem: str) -> None:
    assert settings(**env).teams_problem() == problem
    with pytest.raises(ValueError) as refused:
        build_edge(settings(**env))  # nothing builds an edge that would fail later
    assert str(refused.value) == problem


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s"},
        {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s", "TEAMS_TENANT_ID": TENANT},
        {"TEAMS_APP_ID": APP_ID.upper(), "TEAMS_APP_PASSWORD": "s"},
        {"TEAMS_ALLOW_UNAUTHENTICATED": "true"},
        {"TEAMS_ALLOW_UNAUTHENTICATED": "true", "TEAMS_TENANT_ID": TENANT},  # development
        {"TEAMS_APP_ID": "", "TEAMS_APP_PASSWORD": "", "TEAMS_TENANT_ID": " "},  # a blank .env
    ],
)
def test_consistent_teams_settings_have_no_problem(env: dict[str, str]) -> None:
    assert settings(**env).teams_problem() is None


def test_blank_teams_settings_are_unset_and_never_mean_unauthenticated(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TEAMS_APP_ID=\nTEAMS_APP_PASSWORD=\nTEAMS_TENANT_ID=\n")
    loaded = Settings()
    assert (loaded.teams_app_id, loaded.teams_app_password, loaded.teams_tenant_id) == (
        None,
        None,
        None,
    )
    assert not loaded.teams_configured


def test_the_tenant_is_compared_in_lower_case_as_teams_sends_it() -> None:
    loaded = settings(TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="s", TEAMS_TENANT_ID=TENANT.upper())
    assert loaded.teams_tenant_id == TENANT


def test_main_stops_with_exit_code_2_and_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_TENANT_ID", TENANT)
    assert main([]) == 2
    assert main(["run"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"mentorbot: {NO_PASSWORD}\n" * 2


def test_a_password_without_an_app_id_does_not_fall_back_to_the_console(
    monkeypatch, capsys
) -> None:
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "s3cret")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mentorbot: TEAMS_APP_PASSWORD is set but TEAMS_APP_ID is not: set both, or neither\n"
    )
    assert "s3cret" not in err


def test_the_mentorbot_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.upper() not in NAMES}
    env |= {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_TENANT_ID": TENANT,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}",
    }
    command = Path(sys.executable).parent / "mentorbot"
    done = subprocess.run(
        [str(command)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mentorbot: {NO_PASSWORD}\n")
    assert not (tmp_path / "never.db").exists()  # stopped before touching anything
