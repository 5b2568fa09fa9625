"""Requests that are not from Slack, or not Slack request bodies, change nothing:
a bad signature is a 401 (Bolt), junk is a 400 before Bolt sees it."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from fakes.slack_harness import (
    EVERYONE,
    SIGNING_SECRET,
    SlackHarness,
    ephemeral,
    header,
    signature,
)

SHARED = pytest.mark.asyncio(loop_scope="module")  # the tests of the one shared app

FORM = "application/x-www-form-urlencoded"
BAD_BODY = {"error": "not a Slack request body"}
UNSIGNED = {"error": "invalid request"}


@pytest.fixture
def slack(unchanged_empty):
    """Nothing here changes anything (each test checks): one app serves them all."""
    return unchanged_empty


async def _assert_nothing_happened(slack: SlackHarness, before: dict[str, int]) -> None:
    assert await slack.counts() == before
    assert slack.fake.received == []
    assert slack.fake.responses == []
    assert await slack.deliver() == 0


def test_signature_is_slacks_v0_hmac() -> None:
    # The example from Slack's "Verifying requests from Slack" documentation.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


@SHARED
async def test_a_signed_command_is_answered(slack: SlackHarness) -> None:
    # The control for every refusal below: the same request, signed, is handled.
    reply = await slack.command("USAM", "help")
    assert reply.status == 200
    assert reply.json == ephemeral("What mentorbot can do", [header("mentorbot"), EVERYONE])


@SHARED
@pytest.mark.parametrize(
    "signing",
    [
        pytest.param({"sign": False}, id="unsigned"),
        # Offsets from the moment the test runs, not from collection: a suite that takes
        # more than a minute would otherwise bring "six minutes ahead" inside Slack's window.
        pytest.param({"timestamp": -6 * 60}, id="older-than-5-minutes"),
        pytest.param({"timestamp": 6 * 60}, id="from-the-future"),
        pytest.param({"secret": "not-the-signing-secret"}, id="wrong-secret"),
    ],
)
async def test_badly_signed_requests_are_401_and_change_nothing(
    slack: SlackHarness, signing
) -> None:
    if "timestamp" in signing:
        signing = {"timestamp": int(time.time()) + signing["timestamp"]}
    before = await slack.counts()
    command = slack.command_form("UADA", 'program create "Sneaky"')
    reply = await slack.post_form(command, **signing)
    assert reply.status == 401
    click = slack.click_payload("UADA", "concern.acknowledge", "1")
    reply = await slack.post_form({"payload": json.dumps(click)}, **signing)
    assert reply.status == 401
    event = slack.event_body(slack.dm_event("UADA", 'program create "Sneaky"'))
    reply = await slack.post_json(event, **signing)
    assert reply.status == 401
    await _assert_nothing_happened(slack, before)


@SHARED
async def test_a_body_changed_after_signing_is_401(slack: SlackHarness) -> None:
    before = await slack.counts()
    stamp = str(int(time.time()))
    signed = urlencode(slack.command_form("USAM", "help"))
    tampered = urlencode(slack.command_form("UADA", 'program create "Sneaky"'))
    reply = await slack.post(
        tampered,
        "application/x-www-form-urlencoded",
        sign=False,
        headers={
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, signed),
        },
    )
    assert reply.status == 401
    await _assert_nothing_happened(slack, before)


@SHARED
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", "application/json", id="not-json"),
        pytest.param('[{"type": "event_callback"}]', "application/json", id="json-array"),
        pytest.param('"event_callback"', "application/json", id="json-string"),
        pytest.param("", "application/json", id="empty-json"),
        pytest.param("user_id=UADA&text=help", FORM, id="form-without-command-or-payload"),
        pytest.param("payload=%7Bnot+json", FORM, id="payload-not-json"),
        pytest.param("payload=%5B1%2C2%5D", FORM, id="payload-json-array"),
        pytest.param("payload=%7B%7D&payload=%7B%7D", FORM, id="payload-twice"),
        pytest.param("command=%2Fmentoring&&text=help", FORM, id="malformed-form"),
        pytest.param("", FORM, id="empty-form"),
        pytest.param("command=%2Fmentoring&user_id=UADA&text=help", "text/plain", id="text-plain"),
        pytest.param('{"type": "event_callback"}', "text/plain", id="json-as-text-plain"),
        pytest.param("command=%2Fmentoring&text=help", None, id="no-content-type"),
        pytest.param(
            "command=%2Fmentoring&text=help", "multipart/form-data; boundary=x", id="multipart"
        ),
    ],
)
async def test_junk_bodies_are_400_before_bolt(slack: SlackHarness, body, content_type) -> None:
    before = await slack.counts()
    reply = await slack.post(body, content_type)  # correctly signed: the body is the problem
    assert reply.status == 400
    assert reply.json == BAD_BODY
    await _assert_nothing_happened(slack, before)


@SHARED
async def test_unsigned_junk_is_401_before_it_is_read(slack: SlackHarness) -> None:
    """The signature is checked before the body is parsed: a stranger's junk costs one HMAC."""
    before = await slack.counts()
    reply = await slack.post("[]", "application/json", sign=False)
    assert (reply.status, reply.json) == (401, UNSIGNED)
    await _assert_nothing_happened(slack, before)


@SHARED
async def test_only_post_is_served(slack: SlackHarness) -> None:
    async with slack.http.get(slack.url) as response:
        assert response.status == 405
    assert slack.fake.received == []


@SHARED
async def test_url_verification_is_answered_with_the_challenge(slack: SlackHarness) -> None:
    before = await slack.counts()
    reply = await slack.post_json(
        {
            "token": "unused",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    assert reply.status == 200
    assert reply.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    await _assert_nothing_happened(slack, before)


@SHARED
async def test_ssl_check_is_answered(slack: SlackHarness) -> None:
    before = await slack.counts()
    reply = await slack.post_form({"ssl_check": "1", "token": "unused"})
    assert (reply.status, reply.text) == (200, "")
    await _assert_nothing_happened(slack, before)
