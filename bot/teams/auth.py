"""Who sent an activity: botbuilder's own token checks (issuer, audience, service URL,
endorsements, expiry), with two changes. Its signing keys come from `OpenIdKeys`, which never
blocks the event loop; and every way a token can fail is one answer, 401 with one log line
(botbuilder raises a PyJWT error, an IndexError or a bare Exception for some, which would be
500s with tracebacks), except keys that cannot be fetched: 503.

botbuilder keeps one `_OpenIdMetadata` per metadata URL in `JwtTokenExtractor.metadataCache`
and looks there before making its own: `BotFrameworkKeys.install` puts ours in their place,
for both URLs the public cloud's checks use (Teams' tokens; Emulator and skill tokens)."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import structlog
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ChannelValidation,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.exceptions import InvalidAlgorithmError

from bot.teams.keys import KeyTimings, OpenIdKeys, SigningKeysUnavailable
from handlers.ports import Clock

log = structlog.get_logger("mentorbot.teams")

CHANNEL_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
EMULATOR_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
ALLOWED_ALGORITHMS = frozenset(AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS)


@dataclass
class BotFrameworkKeys:
    channel: OpenIdKeys  # for the tokens Teams sends (issuer https://api.botframework.com)
    emulator: OpenIdKeys  # for Azure AD's tokens, which botbuilder accepts from the Emulator

    @classmethod
    def microsoft(
        cls,
        clock: Clock | None = None,
        timings: KeyTimings | None = None,
        *,
        channel_metadata_url: str = CHANNEL_METADATA_URL,
        emulator_metadata_url: str = EMULATOR_METADATA_URL,
    ) -> BotFrameworkKeys:
        """Microsoft's keys; the URLs are other only in tests (a fake on 127.0.0.1)."""
        return cls(
            OpenIdKeys(channel_metadata_url, clock=clock, timings=timings),
            OpenIdKeys(emulator_metadata_url, clock=clock, timings=timings),
        )

    def install(self) -> None:
        """Make botbuilder check tokens with these keys (process-wide, as its cache is).
        Only the public cloud's URLs: `build_edge` configures no other channel service."""
        cache = JwtTokenExtractor.metadataCache
        if not isinstance(cache, dict):  # a botbuilder that changed: better not to start
            raise RuntimeError("botbuilder's JwtTokenExtractor.metadataCache is gone")
        cache[ChannelValidation.open_id_metadata_endpoint or CHANNEL_METADATA_URL] = self.channel
        cache[EMULATOR_METADATA_URL] = self.emulator

    async def close(self) -> None:
        await self.channel.close()
        await self.emulator.close()


class CheckedAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication, whose every failure is a PermissionError (the adapter's
    401) logged in one line, or SigningKeysUnavailable (the endpoint's 503)."""

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        try:
            _screen(auth_header)
            return await super().authenticate_request(activity, auth_header)
        except SigningKeysUnavailable as unavailable:
            log.warning(
                "teams_token_unchecked_keys_unavailable",
                activity_type=activity.type,
                retry_after=unavailable.retry_after,
            )
            raise
        except Exception as error:  # any failure to authenticate is a 401
            # Never the token or botbuilder's message (which quotes its claims): the kind only.
            reason = type(error).__name__ if auth_header else "no token"
            log.warning("teams_token_refused", reason=reason, activity_type=activity.type)
            raise PermissionError("not authenticated") from None


def _screen(auth_header: str) -> None:
    """What can be refused without a key: not a bearer JWT, or a signing algorithm the Bot
    Framework never uses (`none`, HS256). botbuilder would look its key up first, and wait
    for keys that cannot be fetched: junk is refused at once, whatever the key endpoint."""
    if not auth_header:
        return  # botbuilder decides: development without authentication accepts none
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        raise PermissionError("not a bearer token")
    algorithm = jwt.get_unverified_header(token).get("alg")  # DecodeError: not a JWT
    if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
        raise InvalidAlgorithmError("signing algorithm not allowed")
