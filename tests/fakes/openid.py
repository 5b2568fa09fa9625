"""A fake of Microsoft's OpenID endpoint (login.botframework.com: the metadata document, whose
`jwks_uri` lists the keys Teams' tokens are signed with), and keys to sign tokens with::

    with FakeOpenIdEndpoint() as openid:
        key = TestKey("key-1")
        openid.publish(key)
        keys = BotFrameworkKeys.microsoft(clock, channel_metadata_url=openid.metadata_url, …)
        token = key.sign(channel_claims(APP_ID, service_url))
        openid.hang()                 # every request held, unanswered, until released

It runs on 127.0.0.1 in a thread of its own, not on the test's event loop: code that fetched
the keys synchronously (as botbuilder did, with `requests`) would block that loop, and
a fake on it would never answer. Held requests are released at `release()`, or after
`MAX_HOLD` seconds, so such a regression fails a test instead of hanging it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

MAX_HOLD = 10.0  # seconds
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


class TestKey:
    """An RSA key pair, published as a JWK with Teams' endorsement."""

    __test__ = False  # not a pytest class

    def __init__(self, kid: str, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.endorsements = list(endorsements)

    def jwk(self) -> dict[str, Any]:
        published = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**published, "kid": self.kid, "use": "sig", "endorsements": self.endorsements}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        headers = {"kid": self.kid, **header}
        return jwt.encode(claims, self.private, algorithm="RS256", headers=headers)


def channel_claims(app_id: str, service_url: str, **changes: Any) -> dict[str, Any]:
    """The claims of a token Teams sends (the Bot Framework's), valid for an hour from now:
    real time, as PyJWT checks expiry against it. A change to None leaves that claim out."""
    now = int(time.time())
    claims = {
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + 3600,
    }
    return {k: v for k, v in {**claims, **changes}.items() if v is not None}


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """An `alg: none` token: a header, the claims, no signature."""
    return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})


class FakeOpenIdEndpoint:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []  # the JWK set served
        self.requests: list[str] = []  # the paths asked for, in order
        self.held = threading.Event()  # set when a request is being held
        self.holding = 0  # requests held at this moment
        self.junk = False  # answer the metadata with something that is not JSON
        self.metadata: dict[str, Any] | None = None  # another metadata document to serve
        self._hanging = False
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, name="fake-openid", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    def publish(self, *keys: TestKey) -> None:
        """Serve exactly these keys from now on."""
        self.keys = [key.jwk() for key in keys]

    def hang(self) -> None:
        """Hold every request from now on, unanswered, until `release()`."""
        self._release.clear()
        self._hanging = True

    def release(self) -> None:
        """Answer nothing to the held requests (their connections close) and hold no more."""
        self._hanging = False
        self._release.set()

    def fetches(self) -> int:
        """How many times the key set was fetched."""
        return self.requests.count("/keys")

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.02)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.requests.append(self.path)
                if endpoint._hanging:
                    endpoint.holding += 1
                    endpoint.held.set()
                    endpoint._release.wait(MAX_HOLD)
                    endpoint.holding -= 1
                    self.close_connection = True
                    return
                if endpoint.junk:
                    self._send(b"<html>Service Unavailable</html>")
                    return
                if self.path == "/v1/.well-known/openidconfiguration":
                    jwks_uri = f"{endpoint.base_url}/keys"
                    metadata = {"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": jwks_uri}
                    self._json(endpoint.metadata or metadata)
                elif self.path == "/keys":
                    self._json({"keys": endpoint.keys})
                else:
                    self.send_error(404)

            def _json(self, document: dict[str, Any]) -> None:
                self._send(json.dumps(document).encode())

            def _send(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        return Handler

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
