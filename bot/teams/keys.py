"""The Bot Framework's token-signing keys, fetched off the request path.

botbuilder's own key cache (`jwt_token_extractor._OpenIdMetadata`) fetches Microsoft's
OpenID metadata and keys with `requests`, synchronously inside the event loop and without
a timeout: one forged token with a Bot Framework issuer, while that endpoint hangs, froze
every request the process serves. `OpenIdKeys` takes its place (see `bot.teams.auth`): the
same `get(key_id)`, but fetched with aiohttp, each HTTP call under a short timeout, in a
background task that requests only wait on for a short bound.

The rules, for one metadata URL:
- Keys are fetched when first needed, then kept. Once older than `refresh_every` (a day,
  as botbuilder does), the next request starts a refresh in the background and is checked
  against the keys at hand; keys are never dropped because a refresh failed.
- No keys yet: a request waits at most `wait` for the fetch under way, else it is
  `SigningKeysUnavailable` (503, with Retry-After). After a failed fetch, the next one
  starts only `after_failure` later; meanwhile requests are refused at once.
- A key id not among the keys (a rollover, or a forgery): a refresh may start, at most one
  every `unknown_key_every`, and the request waits for it as above. Chosen: when the refresh
  does not finish within `wait` the request is 503 (the key may be a genuine new one, worth
  a retry); when no refresh may start (one ran recently) it is 401 at once. Forged key ids
  thus cost Microsoft one fetch per `unknown_key_every`, whatever their number.
- Only one fetch runs at a time: every request that needs it waits on the same task.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from handlers.ports import Clock, SystemClock

log = structlog.get_logger("mentorbot.teams")

MAX_DOCUMENT_BYTES = 1024 * 1024  # Microsoft's documents are a few kB


@dataclass(frozen=True)
class KeyTimings:
    fetch_timeout: float = 5.0  # seconds, for each HTTP call (the metadata, then the keys)
    wait: float = 2.0  # seconds a request waits for a fetch under way before it is 503
    refresh_every: timedelta = timedelta(days=1)
    unknown_key_every: timedelta = timedelta(minutes=5)
    after_failure: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's JwtTokenExtractor reads from `_OpenIdMetadata.get`."""

    public_key: RSAPublicKey
    endorsements: list[str] = field(default_factory=list)  # the channels that may use it


class SigningKeysUnavailable(Exception):
    """No key to check the token with, and none could be fetched in time: try later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"signing keys unavailable, retry after {retry_after} s")
        self.retry_after = retry_after


class UnknownSigningKey(PermissionError):
    """The token names a key the issuer does not publish: it cannot be genuine (401)."""


class KeySourceError(Exception):
    """The metadata or key document is not what an OpenID provider serves."""


class OpenIdKeys:
    """The signing keys published through one OpenID metadata document."""

    def __init__(
        self,
        metadata_url: str,
        *,
        clock: Clock | None = None,
        timings: KeyTimings | None = None,
    ) -> None:
        self.metadata_url = metadata_url
        self.clock = clock or SystemClock()
        self.timings = timings or KeyTimings()
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: datetime | None = None  # the last fetch that succeeded
        self._attempted_at: datetime | None = None  # the last fetch started
        self._failed = False  # the last fetch failed
        self._task: asyncio.Task[None] | None = None

    async def get(self, key_id: object) -> SigningKey:
        """botbuilder's `_OpenIdMetadata.get`: the key the token's header names (`kid`, as
        sent: possibly absent, or no string), or an exception."""
        key_id = key_id if isinstance(key_id, str) else None
        now = self.clock.now()
        if not self._keys:
            await self._wait_for_fetch(self._start_fetch(now))
        elif self._fetched_at is not None and now >= self._fetched_at + self.timings.refresh_every:
            self._start_fetch(now)  # in the background: this request uses the keys at hand
        key = self._keys.get(key_id) if key_id else None
        if key is None and key_id:
            fetch = self._running() or self._start_fetch(now, unknown_key=True)
            if fetch is not None:
                await self._wait_for_fetch(fetch)
                key = self._keys.get(key_id)
        if key is None:
            raise UnknownSigningKey("no such signing key")
        return key

    async def settled(self) -> None:
        """Wait for the fetch under way, if any, to finish (tests; shutting down)."""
        if (task := self._running()) is not None:
            await asyncio.wait([task])

    async def close(self) -> None:
        if (task := self._running()) is not None:
            task.cancel()
            await asyncio.wait([task])

    def _running(self) -> asyncio.Task[None] | None:
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return None  # a task of a loop that is gone (tests run one loop each) is over too
        return task

    def _start_fetch(
        self, now: datetime, *, unknown_key: bool = False
    ) -> asyncio.Task[None] | None:
        """The fetch under way, or a new one; None when none may start yet."""
        if (task := self._running()) is not None:
            return task
        last = self._attempted_at
        if last is not None:
            if self._failed and now < last + self.timings.after_failure:
                return None
            if unknown_key and now < last + self.timings.unknown_key_every:
                return None
        self._attempted_at = now
        self._task = asyncio.get_running_loop().create_task(self._fetch(), name="teams-keys")
        return self._task

    async def _wait_for_fetch(self, task: asyncio.Task[None] | None) -> None:
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), self.timings.wait)
            except TimeoutError:
                # At most two HTTP calls remain, each under fetch_timeout.
                raise SigningKeysUnavailable(math.ceil(2 * self.timings.fetch_timeout)) from None
        if not self._keys:
            raise SigningKeysUnavailable(self._seconds_until_next_fetch())

    def _seconds_until_next_fetch(self) -> int:
        if self._attempted_at is None:
            return 1
        next_fetch = self._attempted_at + self.timings.after_failure
        return max(1, math.ceil((next_fetch - self.clock.now()).total_seconds()))

    async def _fetch(self) -> None:
        try:
            keys = await fetch_keys(self.metadata_url, self.timings.fetch_timeout)
        except Exception as error:  # a fetch that fails is retried later; keys kept
            self._failed = True
            log.warning(
                "teams_signing_keys_fetch_failed",
                host=urlsplit(self.metadata_url).hostname,
                error=type(error).__name__,
                keys_kept=len(self._keys),
            )
            return
        self._keys, self._fetched_at, self._failed = keys, self.clock.now(), False
        log.info(
            "teams_signing_keys_fetched", host=urlsplit(self.metadata_url).hostname, keys=len(keys)
        )


async def fetch_keys(metadata_url: str, timeout: float) -> dict[str, SigningKey]:
    """The keys of an OpenID provider: its metadata names `jwks_uri`, which lists them."""
    # trust_env: HTTPS_PROXY and NO_PROXY are honoured, as `requests` did for botbuilder.
    limits = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=limits, trust_env=True) as http:
        metadata = await _get_json(http, metadata_url)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme not in ("https", "http"):
            raise KeySourceError("the metadata names no jwks_uri")
        return parse_key_set(await _get_json(http, jwks_uri))


async def _get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise KeySourceError("document too large")
    return _json(bytes(body))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise KeySourceError("not JSON") from None


def parse_key_set(document: Any) -> dict[str, SigningKey]:
    """The RSA keys of a JWK set, by key id, with the channels that endorse each."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeySourceError("no key list")
    keys: dict[str, SigningKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            key = RSAAlgorithm.from_jwk(entry)
        except (InvalidKeyError, ValueError, TypeError, KeyError):
            continue  # not an RSA key botbuilder could check with: skipped, as unusable
        public = key.public_key() if isinstance(key, RSAPrivateKey) else key
        endorsements = entry.get("endorsements", [])
        if not isinstance(endorsements, list):
            endorsements = []
        keys[entry["kid"]] = SigningKey(public, [e for e in endorsements if isinstance(e, str)])
    if not keys:
        raise KeySourceError("no usable key")
    return keys
