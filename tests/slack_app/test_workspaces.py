"""One workspace: the one auth.test names. A signed request from another is refused
(a command privately, an event or a click with an empty 200 so that Slack does not retry),
and MENTORBOT_ADMINS ids count only in that workspace, never before it is known."""

from __future__ import annotations

import json

import pytest
from fakes.slack_harness import ADMINS, EVERYONE, SlackHarness, ephemeral, header
from structlog.testing import capture_logs

from bot.slack.workspace import ELSEWHERE, _same

OTHER = "T0THER"
NOT_AN_ADMIN = (
    "Only the people named in MENTORBOT_ADMINS can create programs. "
    "Ask whoever runs mentorbot here to add you."
)


async def test_an_admin_id_from_another_workspace_cannot_create_a_program(
    slack: SlackHarness,
) -> None:
    """UADA is in MENTORBOT_ADMINS; a user with that id in another workspace is someone
    else: refused, privately, before anything is done."""
    await slack.command("ULENA", "help")  # the bot has learnt its workspace
    before = await slack.counts()
    form = slack.command_form("UADA", 'program create "Theirs"', team=OTHER)
    with capture_logs() as logs:
        reply = await slack.post_form(form)
    assert (reply.status, reply.json) == (200, {"response_type": "ephemeral", "text": ELSEWHERE})
    assert await slack.counts() == before
    assert [c.method for c in slack.fake.calls] == ["auth.test", "users.info"]  # Lena's, before
    assert logs == [
        {
            "event": "slack_other_workspace",
            "log_level": "warning",
            "team": OTHER,
            "enterprise": None,
            "request": "command",
        }
    ]


async def test_the_first_request_from_another_workspace_is_refused_too(
    slack: SlackHarness,
) -> None:
    form = slack.command_form("UADA", 'program create "Theirs"', team=OTHER)
    reply = await slack.post_form(form)
    assert reply.json == {"response_type": "ephemeral", "text": ELSEWHERE}
    assert (await slack.counts())["program"] == 0


async def test_events_and_clicks_from_another_workspace_are_ignored(demo: SlackHarness) -> None:
    await demo.command("UOMAR", "help")
    before = await demo.counts()
    body = demo.event_body(demo.dm_event("UOMAR", "concern other from elsewhere"))
    body["team_id"] = OTHER
    body["authorizations"][0]["team_id"] = OTHER
    reply = await demo.post_json(body)
    assert (reply.status, reply.text) == (200, "")  # answered: Slack does not retry it
    payload = demo.click_payload("UADA", "concern.acknowledge", "1", response_id="elsewhere")
    payload["team"]["id"] = payload["user"]["team_id"] = OTHER
    reply = await demo.post_form({"payload": json.dumps(payload)})
    assert (reply.status, reply.text) == (200, "")
    assert await demo.counts() == before
    assert await demo.deliver() == 0
    assert demo.fake.responses == []


async def test_nobody_is_an_admin_until_the_workspace_is_known(slack: SlackHarness) -> None:
    """While auth.test has not answered, requests are served (people keep working) but an
    admin's id could be another workspace's user: nobody is taken for an admin."""
    slack.fake.fail_next("auth.test", status=500)  # Slack cannot say which workspace yet
    reply = await slack.command("UADA", "help")
    assert reply.json == ephemeral("What mentorbot can do", [header("mentorbot"), EVERYONE])
    reply = await slack.command("UADA", 'program create "Mine"')
    assert reply.json["blocks"][0]["text"]["text"] == NOT_AN_ADMIN
    assert (await slack.counts())["program"] == 0


async def test_admins_count_once_the_workspace_is_known(slack: SlackHarness) -> None:
    reply = await slack.command("UADA", "help")
    assert reply.json == ephemeral("What mentorbot can do", [header("mentorbot"), EVERYONE, ADMINS])
    reply = await slack.command("UADA", 'program create "Mine"')
    assert reply.json["text"] == "Created the program Mine."


@pytest.mark.parametrize(
    ("installed", "team", "enterprise", "home"),
    [
        ({"team_id": "T1"}, "T1", None, True),
        ({"team_id": "T1"}, "T2", None, False),
        ({"team_id": "T1"}, None, None, False),  # a request that names no workspace
        ({"team_id": "T1", "enterprise_id": "E1"}, "T2", "E1", False),  # a sibling workspace
        # Installed for a whole Enterprise Grid organisation: its every workspace is home.
        ({"team_id": "", "enterprise_id": "E1", "is_enterprise_install": True}, "T2", "E1", True),
        ({"team_id": "", "enterprise_id": "E1", "is_enterprise_install": True}, "T2", "E2", False),
    ],
)
def test_which_requests_are_from_the_home_workspace(installed, team, enterprise, home) -> None:
    assert _same(installed, team, enterprise) is home
