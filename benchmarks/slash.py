"""Slash commands signed as Slack signs them, sent one at a time or all at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from people import SIGNING_SECRET

ACK_DEADLINE = 3.0  # Slack shows "/mentoring failed" after this
TEAM_ID = "T0001"  # the fake Slack's workspace (its auth.test answer)
SORRY = "Something went wrong"
_triggers = itertools.count(1)


@dataclass(frozen=True)
class Command:
    user: str
    text: str
    response_id: str  # the fake Slack's response_url for it ends in this id


@dataclass
class Outcome:
    command: Command
    started: float  # time.monotonic(), comparable with the fake Slack's arrival times
    status: int | None = None  # None: no HTTP answer before the client gave up
    seconds: float | None = None  # until the HTTP answer was read
    answer: dict[str, Any] | None = None  # the ack's JSON; None: an empty ack

    @property
    def in_time(self) -> bool:
        """Acknowledged (HTTP 200, empty or not) within Slack's deadline."""
        return self.status == 200 and self.seconds is not None and self.seconds <= ACK_DEADLINE

    @property
    def answered(self) -> bool:
        """Answered in the ack, in time: what Slack shows the person (not an apology)."""
        return self.in_time and self.content and not self.sorry

    @property
    def content(self) -> bool:
        return bool(self.answer and (self.answer.get("text") or self.answer.get("blocks")))

    @property
    def sorry(self) -> bool:
        return bool(self.answer and SORRY in str(self.answer.get("text", "")))


def signed(command: Command, response_base: str) -> tuple[str, dict[str, str]]:
    """The form body and headers Slack would send for `command`, signed now."""
    trigger = next(_triggers)
    body = urlencode(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": f"D{command.user}",
            "channel_name": "directmessage",
            "user_id": command.user,
            "user_name": command.user.lower(),
            "command": "/mentoring",
            "text": command.text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": f"{response_base}/response/{command.response_id}",
            "trigger_id": f"{trigger}.{trigger}.bench",
        }
    )
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={mac.hexdigest()}",
    }
    return body, headers


async def burst(
    url: str, commands: list[Command], response_base: str, give_up: float
) -> list[Outcome]:
    """Every command at once, each on its own connection; each waits at most `give_up` s."""
    requests = [signed(command, response_base) for command in commands]  # before the clock
    connector = aiohttp.TCPConnector(limit=0)  # no client-side queue: all go at once
    timeout = aiohttp.ClientTimeout(total=give_up)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        return await asyncio.gather(
            *(
                _send(http, url, command, body, headers)
                for command, (body, headers) in zip(commands, requests, strict=True)
            )
        )


async def _send(
    http: aiohttp.ClientSession, url: str, command: Command, body: str, headers: dict[str, str]
) -> Outcome:
    outcome = Outcome(command, started=time.monotonic())
    try:
        async with http.post(url, data=body, headers=headers) as response:
            raw = await response.read()
            outcome.seconds = time.monotonic() - outcome.started
            outcome.status = response.status
    except (aiohttp.ClientError, TimeoutError):
        return outcome
    if raw.strip():
        try:
            outcome.answer = json.loads(raw)
        except ValueError:
            outcome.answer = {"text": raw.decode(errors="replace")}
    return outcome


async def one(url: str, command: Command, response_base: str) -> Outcome:
    return (await burst(url, [command], response_base, give_up=10.0))[0]
