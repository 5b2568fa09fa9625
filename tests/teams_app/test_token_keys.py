"""Teams' tokens checked with signing keys that never block the event loop: botbuilder's real
CloudAdapter behind /api/messages, its keys served by a fake of Microsoft's OpenID endpoint
on 127.0.0.1 (fakes.openid), in a thread of its own. A valid token is served end to end; a
token that does not verify is 401 with one log line; keys that cannot be fetched make Teams
requests 503 while /healthz and Slack carry on; keys are cached and refreshed by the clock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jwt
import pytest
from botframework.connector.auth import MicrosoftAppCredentials
from fakes.mixed_harness import mixed_app
from fakes.openid import (
    EMULATOR_ISSUER,
    FakeOpenIdEndpoint,
    TestKey,
    channel_claims,
    unsigned,
)
from fakes.teams_harness import Reply, TeamsHarness, content, teams_app, teams_settings
from structlog.testing import capture_logs

from bot.settings import Settings
from bot.teams.auth import BotFrameworkKeys
from bot.teams.keys import KeyTimings

APP_ID = "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_APP_ID = "0b5e2c1d-0000-4000-8000-000000000000"
# Generous where the fake answers (a loaded machine must not turn a fetch into a 503);
# short real timeouts where it holds requests, as the timeout is then what is under test.
TIMINGS = KeyTimings(fetch_timeout=5.0, wait=1.0)
HELD = KeyTimings(fetch_timeout=0.5, wait=0.2)
METADATA = "/v1/.well-known/openidconfiguration"
REFUSED = "teams_token_refused"
UNCHECKED = "teams_token_unchecked_keys_unavailable"


@pytest.fixture(scope="module")
def key() -> TestKey:
    return TestKey("key-1")


@pytest.fixture(scope="module")
def other_key() -> TestKey:
    return TestKey("key-2")


IMPOSTOR = TestKey("key-1")  # the published key's id, another private key: a forger's


@pytest.fixture
def openid(key: TestKey) -> Iterator[FakeOpenIdEndpoint]:
    with FakeOpenIdEndpoint() as endpoint:
        endpoint.publish(key)
        yield endpoint


@pytest.fixture(autouse=True)
def outbound_token(monkeypatch) -> None:
    """The bot's own token for the Bot Connector comes from Azure AD, which is not here;
    the fake connector takes any."""
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda *_, **__: "bot-token")


def fake_keys(
    clock: Any, openid: FakeOpenIdEndpoint, timings: KeyTimings = TIMINGS
) -> BotFrameworkKeys:
    url = openid.metadata_url
    return BotFrameworkKeys.microsoft(
        clock, timings, channel_metadata_url=url, emulator_metadata_url=url
    )


def authenticated() -> Settings:
    return teams_settings(
        TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="client-secret", TEAMS_ALLOW_UNAUTHENTICATED=False
    )


@pytest.fixture
async def teams(engine, clock, openid) -> AsyncIterator[TeamsHarness]:
    async with teams_app(
        engine, clock, settings=authenticated(), keys=fake_keys(clock, openid)
    ) as harness:
        yield harness


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(teams: TeamsHarness, key: TestKey, kid: str | None = None, **changes: Any) -> str:
    """A Teams token for `teams`, signed with `key`; `kid`: another key id in its header."""
    claims = channel_claims(APP_ID, teams.connector.service_url, **changes)
    return key.sign(claims, **({"kid": kid} if kid else {}))


async def help_answered(teams: TeamsHarness, token: str, who: str = "sam") -> None:
    """`who` types help with `token`: accepted, and the answer reaches their chat."""
    activity = teams.message(who, "help")
    mark = len(teams.connector.calls)
    await teams.send(activity, headers=bearer(token))
    assert await teams.deliver() == 1
    [answer] = teams.arrived(activity["conversation"]["id"], mark)
    assert content(answer)["summary"] == "What mentorbot can do"


async def post(teams: TeamsHarness, token: str) -> Reply:
    """Sam types help with `token`: the HTTP answer (the turn's, when accepted)."""
    return await teams.post_activity(teams.message("sam", "help"), headers=bearer(token))


# ---------------------------------------------------------------------- valid, and cached


async def test_a_token_signed_with_a_published_key_is_served_end_to_end(teams, openid, key):
    await help_answered(teams, token_for(teams, key))
    assert openid.requests == [METADATA, "/keys"]
    # The keys are cached: the next token is checked without asking again.
    await help_answered(teams, token_for(teams, key), who="omar")
    assert openid.requests == [METADATA, "/keys"]


# ---------------------------------------------------------------------- tokens that do not verify


def _claims(teams: TeamsHarness, **changes: Any) -> dict[str, Any]:
    return channel_claims(APP_ID, teams.connector.service_url, **changes)


def _forged(teams: TeamsHarness, key: TestKey) -> str:
    return token_for(teams, IMPOSTOR)


def _alg_none(teams: TeamsHarness, key: TestKey) -> str:
    return unsigned(_claims(teams), key.kid)


def _hs256(teams: TeamsHarness, key: TestKey) -> str:
    secret = "a-shared-secret-of-thirty-two-bytes"
    return jwt.encode(_claims(teams), secret, algorithm="HS256", headers={"kid": key.kid})


def _without_key_id(teams: TeamsHarness, key: TestKey) -> str:
    return jwt.encode(_claims(teams), key.private, algorithm="RS256")


REFUSALS = {
    "forged-signature": (_forged, "InvalidSignatureError"),
    "alg-none": (_alg_none, "InvalidAlgorithmError"),
    "hs256": (_hs256, "InvalidAlgorithmError"),
    "expired": (lambda t, k: token_for(t, k, exp=1_600_000_000), "ExpiredSignatureError"),
    "wrong-audience": (lambda t, k: token_for(t, k, aud=OTHER_APP_ID), "PermissionError"),
    "wrong-service-url": (
        lambda t, k: token_for(t, k, serviceurl="https://evil.example.com/"),
        "PermissionError",
    ),
    "wrong-issuer": (lambda t, k: token_for(t, k, iss="https://evil.example"), "PermissionError"),
    "no-issuer": (lambda t, k: token_for(t, k, iss=None), "KeyError"),
    "unknown-key-id": (lambda t, k: token_for(t, k, kid="key-unheard-of"), "UnknownSigningKey"),
    "no-key-id": (_without_key_id, "UnknownSigningKey"),
    "garbage": (lambda t, k: "not-a-jwt", "DecodeError"),
    "five-parts": (lambda t, k: "a.b.c.d.e", "DecodeError"),
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_a_token_that_does_not_verify_is_401_with_one_log_line(
    teams, openid, key, case, caplog
) -> None:
    await help_answered(teams, token_for(teams, key))  # the keys are there
    make, reason = REFUSALS[case]
    token = make(teams, key)
    with capture_logs() as logs:
        assert (await post(teams, token)).status == 401
    assert logs == [
        {"event": REFUSED, "log_level": "warning", "reason": reason, "activity_type": "message"}
    ]
    assert token not in caplog.text and "Traceback" not in caplog.text
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
    assert openid.requests == [METADATA, "/keys"]  # nothing fetched for it


async def test_no_token_at_all_is_401_with_one_log_line(teams) -> None:
    with capture_logs() as logs:
        reply = await teams.post_activity(teams.message("sam", "help"))
    assert reply.status == 401
    assert logs == [
        {"event": REFUSED, "log_level": "warning", "reason": "no token", "activity_type": "message"}
    ]


# ---------------------------------------------------------------------- keys that cannot be fetched


async def test_while_the_key_endpoint_hangs_teams_is_503_and_slack_and_healthz_answer(
    engine, clock, openid, key
) -> None:
    openid.hang()
    keys = fake_keys(clock, openid, HELD)
    async with mixed_app(
        engine,
        clock,
        teams_keys=keys,
        TEAMS_APP_ID=APP_ID,
        TEAMS_APP_PASSWORD="client-secret",
        TEAMS_ALLOW_UNAUTHENTICATED=False,
    ) as (slack, teams):
        forged = token_for(teams, IMPOSTOR)
        teams_request = asyncio.create_task(post(teams, forged))
        assert await asyncio.to_thread(openid.held.wait, 5)
        # The key fetch hangs: the rest of the process answers meanwhile.
        async with teams.http.get(teams.url.replace("/api/messages", "/healthz")) as health:
            assert (health.status, await health.json()) == (200, {"ok": True})
        help_reply = await slack.command("UOMAR", "help")
        assert (help_reply.status, help_reply.json["text"]) == (200, "What mentorbot can do")
        assert (await slack.event(slack.dm_event("UOMAR", "help"))).status == 200
        assert await slack.deliver() == 1  # the dispatcher too: the DM's answer is sent
        assert openid.holding == 1  # all of it while the fetch was still held
        reply = await teams_request
        assert (reply.status, reply.json, reply.headers["Retry-After"]) == (
            503,
            {"error": "cannot check tokens now, try again later"},
            "1",  # the fetch under way gives up within two calls' timeouts, 2 × 0.5 s
        )
        with capture_logs() as logs:
            await keys.channel.settled()
        assert [(e["event"], e["error"], e["keys_kept"]) for e in logs] == [
            ("teams_signing_keys_fetch_failed", "TimeoutError", 0)
        ]

        # Until `after_failure` has passed, no new fetch: refused at once, saying when.
        with capture_logs() as logs:
            reply = await post(teams, token_for(teams, key))
        assert (reply.status, reply.headers["Retry-After"]) == (503, "30")
        assert logs == [
            {
                "event": UNCHECKED,
                "log_level": "warning",
                "activity_type": "message",
                "retry_after": 30,
            }
        ]
        assert openid.requests == [METADATA]
        # Junk needs no key: it is 401 whatever the key endpoint does.
        assert (await post(teams, "not-a-jwt")).status == 401
        no_alg = unsigned(channel_claims(APP_ID, teams.connector.service_url), key.kid)
        assert (await post(teams, no_alg)).status == 401


async def test_an_emulator_token_while_its_keys_hang_is_503_too(teams, openid, key) -> None:
    """botbuilder also accepts Azure AD's tokens (the Emulator's), with the keys of another
    metadata URL: those are fetched off the loop as well."""
    openid.hang()
    claims = {
        "iss": EMULATOR_ISSUER,
        "ver": "1.0",
        "appid": APP_ID,
        "aud": APP_ID,
        **{k: v for k, v in channel_claims(APP_ID, "").items() if k in ("nbf", "exp")},
    }
    teams.edge.keys.emulator.timings = HELD
    task = asyncio.create_task(post(teams, IMPOSTOR.sign(claims, kid="aad-key")))
    assert await asyncio.to_thread(openid.held.wait, 5)
    async with teams.http.get(teams.url.replace("/api/messages", "/healthz")) as health:
        assert health.status == 200
    assert openid.holding == 1
    reply = await task
    assert (reply.status, reply.headers["Retry-After"]) == (503, "1")
    assert openid.requests == [METADATA]  # the emulator's keys: Teams' were never needed


async def test_after_a_failed_fetch_the_next_waits_30_seconds_then_serves(
    teams, openid, clock, key
) -> None:
    openid.junk = True  # the metadata is not JSON
    with capture_logs() as logs:
        reply = await post(teams, token_for(teams, key))
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")
    assert [(e["event"], e.get("error")) for e in logs] == [
        ("teams_signing_keys_fetch_failed", "KeySourceError"),
        (UNCHECKED, None),
    ]
    openid.junk = False
    clock.advance(29)
    reply = await post(teams, token_for(teams, key))
    assert (reply.status, reply.headers["Retry-After"]) == (503, "1")
    assert openid.requests == [METADATA]  # not asked again within the pause
    clock.advance(1)
    await help_answered(teams, token_for(teams, key))
    assert openid.requests == [METADATA, METADATA, "/keys"]


# ---------------------------------------------------------------------- refreshing


async def test_keys_are_refreshed_in_the_background_once_a_day_old(
    teams, openid, clock, key, other_key
) -> None:
    await help_answered(teams, token_for(teams, key))
    openid.publish(other_key)  # Microsoft rolled its keys over
    clock.advance(24 * 3600)
    # A day on, the next token is checked against the keys at hand, and a refresh starts.
    await help_answered(teams, token_for(teams, key))
    await teams.edge.keys.channel.settled()
    assert openid.fetches() == 2
    await help_answered(teams, token_for(teams, other_key))
    assert (await post(teams, token_for(teams, key))).status == 401  # no longer published
    assert openid.fetches() == 2


async def test_an_unknown_key_id_refreshes_at_most_once_every_five_minutes(
    teams, openid, clock, key, other_key
) -> None:
    await help_answered(teams, token_for(teams, key))
    openid.publish(key, other_key)
    # Just fetched: a key id not among them is refused without asking again.
    assert (await post(teams, token_for(teams, other_key))).status == 401
    assert openid.fetches() == 1
    clock.advance(5 * 60)
    # Five minutes on, it may be a new key: fetched, found, served.
    await help_answered(teams, token_for(teams, other_key))
    assert openid.fetches() == 2
    for kid in ("forged-1", "forged-2", "forged-3"):
        assert (await post(teams, token_for(teams, key, kid=kid))).status == 401
    assert openid.fetches() == 2


async def test_unknown_key_ids_arriving_together_share_one_refresh(
    teams, openid, clock, key
) -> None:
    await help_answered(teams, token_for(teams, key))
    # From now on the fetch is held: requests wait briefly (the fetch itself would wait
    # long, so that however slowly the three arrive, they find it under way).
    teams.edge.keys.channel.timings = dataclasses.replace(TIMINGS, wait=0.2)
    clock.advance(5 * 60)
    openid.hang()
    tokens = [token_for(teams, key, kid=f"forged-{n}") for n in range(3)]
    replies = await asyncio.gather(*(post(teams, t) for t in tokens))
    # The refresh did not finish within the bound: worth a retry (it may be a new key).
    assert [(r.status, r.headers["Retry-After"]) for r in replies] == [(503, "10")] * 3
    assert openid.requests == [METADATA, "/keys", METADATA]
    openid.release()
    await teams.edge.keys.channel.settled()
    # Known keys were never in question.
    await help_answered(teams, token_for(teams, key))
