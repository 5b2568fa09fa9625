"""The Slack app manifest: valid against Slack's public schema, Socket Mode, least privilege."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.validators import validator_for

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.json"
# The repo sits next to `shared/`, which holds the public schemas, copied unchanged.
SCHEMA_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "schemas" / "slack-app-manifest.v1.schema.json"
)

# Least privilege. Each scope is here for one reason:
#   commands          receive the /mentoring slash command
#   chat:write        chat.postMessage(channel=<user id>) to DM people, chat.update to edit it
#   im:history        receive `message.im` (people writing to the bot in its DM); and
#                     conversations.history of that DM, to find a DM whose send had no
#                     known outcome (the bot died) before sending it again
#   im:write          conversations.open, to learn the id of that DM
#   users:read        users.info, to read a person's profile (name, time zone)
#   users:read.email  users.lookupByEmail, to match program rosters to Slack users
EXPECTED_BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:history",
    "im:write",
    "users:read",
    "users:read.email",
]
EXPECTED_BOT_EVENTS = ["app_home_opened", "message.im"]

Manifest = dict[str, Any]


def _manifest() -> Manifest:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def _validator() -> jsonschema.protocols.Validator:
    if not SCHEMA_PATH.is_file():
        pytest.skip(
            f"Slack app manifest schema not found at {SCHEMA_PATH}; "
            "these tests expect the repo to sit next to shared/schemas/"
        )
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = validator_for(schema)  # picks the draft the schema's `$schema` declares
    validator_class.check_schema(schema)
    return validator_class(schema)


def _slash_commands(manifest: Manifest) -> dict[str, Manifest]:
    return {cmd["command"]: cmd for cmd in manifest["features"]["slash_commands"]}


def test_manifest_validates_against_slack_schema() -> None:
    validator = _validator()
    manifest = _manifest()

    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(manifest)
    ]
    assert errors == []
    validator.validate(manifest)
    assert manifest.get("_metadata", {}).get("major_version", 1) == 1


def _add_unknown_top_level_key(m: Manifest) -> None:
    m["not_a_manifest_key"] = True


def _make_should_escape_a_string(m: Manifest) -> None:
    m["features"]["slash_commands"][0]["should_escape"] = "true"


def _shorten_long_description(m: Manifest) -> None:
    m["display_information"]["long_description"] = "Too short."


def _drop_app_name(m: Manifest) -> None:
    del m["display_information"]["name"]


def _make_bot_events_a_string(m: Manifest) -> None:
    m["settings"]["event_subscriptions"]["bot_events"] = "message.im"


def _drop_slash_command_description(m: Manifest) -> None:
    del m["features"]["slash_commands"][0]["description"]


@pytest.mark.parametrize(
    "break_it",
    [
        _add_unknown_top_level_key,
        _make_should_escape_a_string,
        _shorten_long_description,
        _drop_app_name,
        _make_bot_events_a_string,
        _drop_slash_command_description,
    ],
)
def test_schema_rejects_broken_manifests(break_it: Callable[[Manifest], None]) -> None:
    """Guards the validation test: the validator must actually be able to say no."""
    validator = _validator()
    manifest = _manifest()
    broken = copy.deepcopy(manifest)
    break_it(broken)
    assert broken != manifest

    assert list(validator.iter_errors(broken)), f"{break_it.__name__} was not rejected"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_display_information_and_bot_user() -> None:
    manifest = _manifest()
    info = manifest["display_information"]

    assert info["name"] == "mentorbot"
    assert "\n" not in info["description"]
    assert "program manager" in info["description"]
    # The schema spells this constraint `regex`, which no JSON Schema validator enforces.
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    assert manifest["features"]["bot_user"] == {"display_name": "mentorbot", "always_online": True}


def test_mentoring_slash_command_escapes_mentions() -> None:
    commands = _slash_commands(_manifest())

    assert list(commands) == ["/mentoring"]
    mentoring = commands["/mentoring"]
    # should_escape turns "@partner" into <@U123|partner>, so the handler gets a user id.
    assert mentoring["should_escape"] is True
    assert mentoring["description"]
    assert mentoring["usage_hint"].startswith("help")


def test_bot_events_are_exactly_app_home_opened_and_message_im() -> None:
    events = _manifest()["settings"]["event_subscriptions"]

    assert sorted(events["bot_events"]) == sorted(EXPECTED_BOT_EVENTS)
    assert len(events["bot_events"]) == len(set(events["bot_events"]))
    assert not events.get("user_events")


def test_bot_scopes_are_least_privilege() -> None:
    scopes = _manifest()["oauth_config"]["scopes"]

    assert sorted(scopes["bot"]) == sorted(EXPECTED_BOT_SCOPES)
    assert len(scopes["bot"]) == len(set(scopes["bot"]))
    # No user-token scopes and no optional scopes either: the bot token is all it has.
    assert set(scopes) == {"bot"}


def test_socket_mode_interactivity_and_app_home_are_on() -> None:
    manifest = _manifest()
    settings = manifest["settings"]

    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    # Socket Mode: Slack delivers over the websocket and ignores request URLs, so there are none.
    assert "request_url" not in settings["event_subscriptions"]
    assert "request_url" not in settings["interactivity"]
    assert all("url" not in cmd for cmd in manifest["features"]["slash_commands"])
