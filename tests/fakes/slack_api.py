"""A fake Slack Web API for tests, served by a real aiohttp server on 127.0.0.1.

Point a real ``slack_sdk`` client at it::

    async with FakeSlackApi() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        await client.chat_postMessage(channel="U123", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"

What ``slack_sdk`` (3.47, ``AsyncWebClient``) actually sends, all handled here:

* ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``views.publish``,
  ``views.open``: POST with a
  JSON body (``application/json;charset=utf-8``), token in ``Authorization: Bearer …``;
  ``blocks``/``view`` are already JSON objects in the body.
* ``users.info``, ``users.lookupByEmail``, ``conversations.history``: GET with query
  parameters (booleans as ``"1"``/``"0"``).
* ``auth.test`` and many others: POST with query parameters and a form content type, empty body.
* ``users.setPhoto``/``files.upload``: multipart form.

Scripted failures (``fail_next``) and how ``slack_sdk`` surfaces them: any answer that is not
HTTP 200 with ``"ok": true`` makes the client raise ``slack_sdk.errors.SlackApiError``.
``err.response`` is an ``AsyncSlackResponse``; ``err.response.status_code`` is the HTTP status,
``err.response["error"]`` the Slack error string, and ``err.response.headers`` is aiohttp's
case-insensitive ``CIMultiDictProxy``, so ``headers["Retry-After"]`` and
``headers["retry-after"]`` both give the string ``"7"``. The default retry handlers of
``AsyncWebClient`` retry only connection errors, never a 429 or a 5xx.

Every message ``chat.postMessage`` accepted is kept in its channel's history (a DM to
``U123`` in ``DU123``), with its ``metadata``, and edited by ``chat.update``;
``conversations.history`` answers from it, newest first, metadata only with
``include_all_metadata``. Given a clock, message timestamps are that clock's time (else
they count up from 1700000000).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = ["FakeSlackApi", "RecordedCall", "outbox_metadata"]

BOT_USER_ID = "UBOT"
BOT_ID = "B0001"
TEAM_ID = "T0001"
RESPONSE_URL = "response_url"  # fail_next_response's script, next to the API methods'
APP_ID = "A0001"

# Argument names whose values Slack accepts as JSON-encoded strings in form posts.
_JSON_FIELDS: frozenset[str] = frozenset(
    {"blocks", "attachments", "view", "metadata", "user_auth_blocks", "unfurls", "options"}
)


def outbox_metadata(row: int) -> dict[str, Any]:
    """The metadata mentorbot's DM for outbox row `row` carries (chat.postMessage's
    `metadata`), by which the row is found again in the DM's history."""
    return {"event_type": "mentorbot_outbox", "event_payload": {"row": row}}


@dataclass
class RecordedCall:
    """One request the fake received."""

    method: str
    """Slack method name, e.g. ``"chat.postMessage"``."""
    args: dict[str, Any]
    """Request arguments: query parameters merged with the JSON or form body; JSON strings in
    ``blocks``/``view``/``attachments``/… decoded to Python objects; ``token`` removed."""
    token: str | None
    """Bearer token from the ``Authorization`` header, or the ``token`` argument."""


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None


@dataclass
class _Hang:
    accept: bool = False  # do what the call asks (post the message) before hanging


_Script = _Failure | _Hang


@dataclass
class _HangingRequest:
    call: RecordedCall
    task: asyncio.Task[Any] | None = field(default=None)


class FakeSlackApi:
    """In-process fake of ``https://slack.com/api/`` plus ``response_url`` endpoints."""

    def __init__(self, clock: Any = None) -> None:
        self.clock = clock  # anything with now() -> an aware datetime
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel → messages, oldest first
        self.calls: list[RecordedCall] = []
        self.received: list[RecordedCall] = []
        self.peers: list[object] = []  # the client's (host, port) of each API call: connections
        self.users: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self._response_ids: list[str] = []
        self._scripts: dict[str, deque[_Script]] = {}
        self._hanging: list[_HangingRequest] = []
        self._released = asyncio.Event()
        self._hung = asyncio.Event()  # set each time a call starts hanging
        self._ts_counter = itertools.count(1)
        self._last_ts = 0  # in microseconds, when timestamps follow the clock
        self._view_counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port, in the running event loop."""
        if self._runner is not None:
            raise RuntimeError("FakeSlackApi already started")
        app = web.Application()
        app.router.add_route("POST", "/api/{method}", self._handle_api)
        app.router.add_route("GET", "/api/{method}", self._handle_api)
        app.router.add_route("POST", "/response/{response_id}", self._handle_response_url)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        """Stop the server; requests left hanging by ``hang_next`` get their connection closed."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        for hanging in self._hanging:
            if hanging.task is not None and not hanging.task.done():
                hanging.task.cancel()
        self._hanging.clear()
        await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """Web API base URL in slack_sdk's ``base_url`` form: ``http://127.0.0.1:<port>/api/``."""
        return f"{self.base}/api/"

    def response_url(self, response_id: str) -> str:
        """Full URL of a fake ``response_url``; JSON posted there lands in ``responses``."""
        return f"{self.base}/response/{response_id}"

    def responses_to(self, response_id: str) -> list[dict[str, Any]]:
        """Payloads posted to ``response_url(response_id)``, in order."""
        return [
            payload
            for rid, payload in zip(self._response_ids, self.responses, strict=True)
            if rid == response_id
        ]

    # ------------------------------------------------------------------ scripting

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Answered calls to ``method``, in order."""
        return [c for c in self.calls if c.method == method]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with a failure.

        * ``status=429``: HTTP 429, ``Retry-After: <retry_after or 1>``,
          body ``{"ok": false, "error": error or "ratelimited"}``.
        * ``status>=500``: that status, body ``{"ok": false, "error": error or "internal_error"}``.
        * ``status=200``: HTTP 200, body ``{"ok": false, "error": error}`` (``error`` required).
        * any other status: body ``{"ok": false, "error": error or "invalid_request"}``.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        if status == 200:
            if error is None:
                raise ValueError("fail_next with status=200 needs an error string")
            message = error
        elif status == 429:
            message = error or "ratelimited"
            retry_after = 1 if retry_after is None else retry_after
        elif status >= 500:
            message = error or "internal_error"
        else:
            message = error or "invalid_request"
        queue = self._scripts.setdefault(method, deque())
        for _ in range(times):
            queue.append(_Failure(status=status, error=message, retry_after=retry_after))

    def hang_next(self, method: str) -> None:
        """The next call to ``method`` is recorded in ``received`` but not answered until
        ``release_hanging()`` (then it gets its usual answer); ``stop()`` closes its
        connection instead.
        """
        self._scripts.setdefault(method, deque()).append(_Hang())

    async def until_hanging(self, count: int = 1) -> None:
        """Wait until `count` calls are held by ``hang_next`` (a loaded machine may get
        there later than the bot's own budget runs out)."""
        while len(self._hanging) < count:
            self._hung.clear()
            await self._hung.wait()

    def release_hanging(self) -> None:
        """Answer every call held by ``hang_next`` so far, as if Slack had only been slow."""
        self._released.set()
        self._released = asyncio.Event()

    def fail_next_response(
        self, *, status: int, body: str = "", retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` POSTs to any response URL with ``status`` and a plain
        ``body``, as Slack does (``404 expired_url``, ``429`` with ``Retry-After``). A
        refused payload is not added to ``responses``."""
        queue = self._scripts.setdefault(RESPONSE_URL, deque())
        for _ in range(times):
            queue.append(_Failure(status=status, error=body, retry_after=retry_after))

    def accept_and_hang_next(self, method: str) -> None:
        """The next call to ``method`` is done (a message posted, kept in ``calls`` and in
        the history) but never answered: what a client sees when it dies after Slack
        accepted its message. ``stop()`` closes its connection."""
        self._scripts.setdefault(method, deque()).append(_Hang(accept=True))

    # ------------------------------------------------------------------ users

    def add_user(
        self,
        user_id: str,
        name: str,
        email: str | None = None,
        tz: str = "Europe/London",
    ) -> None:
        """Add a user known to ``users.info`` and ``users.lookupByEmail``."""
        profile: dict[str, Any] = {"display_name": name, "real_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "profile": profile,
        }

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The DM channel id the fake uses for a user: ``"D" + user_id`` (``U123`` → ``DU123``)."""
        return f"D{user_id}"

    # ------------------------------------------------------------------ HTTP handlers

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        queue = self._scripts.get(RESPONSE_URL)
        script = queue.popleft() if queue else None
        if isinstance(script, _Failure):
            headers = {"Retry-After": str(script.retry_after)} if script.retry_after else {}
            return web.Response(status=script.status, text=script.error, headers=headers)
        payload: dict[str, Any]
        if request.content_type == "application/json":
            raw = await request.text()
            payload = json.loads(raw) if raw else {}
        else:
            payload = _decode_json_fields(dict((await request.post()).items()))
        self._response_ids.append(request.match_info["response_id"])
        self.responses.append(payload)
        return web.json_response({"ok": True})

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args, token = await _read_args(request)
        call = RecordedCall(method=method, args=args, token=token)
        self.received.append(call)
        self.peers.append(
            request.transport.get_extra_info("peername") if request.transport else None
        )

        queue = self._scripts.get(method)
        script = queue.popleft() if queue else None
        if isinstance(script, _Hang):
            if script.accept:
                self._answer(method, args)
                self.calls.append(call)
            hanging = _HangingRequest(call=call, task=asyncio.current_task())
            self._hanging.append(hanging)
            self._hung.set()
            await self._released.wait()  # until release_hanging(), or stop() cancels this
            self._hanging.remove(hanging)
            script = None

        if isinstance(script, _Failure):
            headers: dict[str, str] = {}
            if script.retry_after is not None and script.status == 429:
                headers["Retry-After"] = str(script.retry_after)
            response = web.json_response(
                {"ok": False, "error": script.error}, status=script.status, headers=headers
            )
        else:
            response = web.json_response(self._answer(method, args))
        self.calls.append(call)
        return response

    # ------------------------------------------------------------------ default answers

    def _next_ts(self) -> str:
        if self.clock is not None:
            now = int(self.clock.now().timestamp() * 1_000_000)
            self._last_ts = max(now, self._last_ts + 1)
            return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"
        n = next(self._ts_counter) * 100
        return f"{1700000000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _view(self, sent: object, kind: str) -> dict[str, Any]:
        """A view as Slack answers with it: what was sent, plus the ids Slack adds."""
        view: dict[str, Any] = dict(sent) if isinstance(sent, dict) else {}
        view.update(
            {
                "id": f"V{next(self._view_counter):010d}",
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": f"{1700000000}.fake{len(self.calls)}",
            }
        )
        view.setdefault("type", kind)
        view.setdefault("blocks", [])
        return view

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(args.get("channel", ""))
            if channel[:1] in ("U", "W"):
                channel = self.dm_channel_for(channel)
            ts = self._next_ts()
            message = _message(args, ts)
            kept = dict(message)
            if isinstance(args.get("metadata"), dict):
                kept["metadata"] = args["metadata"]
            self.history.setdefault(channel, []).append(kept)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            ts = str(args.get("ts", ""))
            for kept in self.history.get(str(args.get("channel", "")), []):
                if kept["ts"] == ts:
                    kept.update({k: v for k, v in _message(args, ts).items() if k != "user"})
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "text": args.get("text", ""),
                "message": _message(args, ts),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.publish":
            return {"ok": True, "view": self._view(args.get("view"), "home")}
        if method == "views.open":
            # A modal needs the trigger id of a click (Slack honours it for 3 seconds).
            if not isinstance(args.get("trigger_id"), str) or not isinstance(
                args.get("view"), dict
            ):
                return {"ok": False, "error": "invalid_arguments"}
            view = self._view(args["view"], "modal")
            view.update({"state": {"values": {}}, "root_view_id": view["id"]})
            return {"ok": True, "view": view}
        if method == "users.info":
            user = self.users.get(str(args.get("user", "")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "users.lookupByEmail":
            email = str(args.get("email", "")).lower()
            for user in self.users.values():
                if str(user.get("profile", {}).get("email", "")).lower() == email and email:
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "users_not_found"}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            channel_id = self.dm_channel_for(users) if "," not in users else "G0001"
            return {"ok": True, "channel": {"id": channel_id}}
        if method == "conversations.history":
            return self._history(args)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "mentorbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "apps.connections.open":
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel not in self.history and not channel.startswith("D"):
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        newest_first = [
            m for m in reversed(self.history.get(channel, [])) if float(m["ts"]) > oldest
        ]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = newest_first[start : start + limit]
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def _message(args: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
        "text": args.get("text", ""),
    }
    if "blocks" in args:
        message["blocks"] = args["blocks"]
    if "thread_ts" in args:
        message["thread_ts"] = args["thread_ts"]
    return message


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge query parameters and the JSON/form body; pull out the token."""
    args: dict[str, Any] = dict(request.query.items())
    if request.body_exists:
        if request.content_type == "application/json":
            raw = await request.text()
            body = json.loads(raw) if raw else {}
            if isinstance(body, dict):
                args.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    args[key] = {"filename": value.filename, "content": value.file.read()}
                else:
                    args[key] = value
    token: str | None = None
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[len("bearer ") :].strip()
    form_token = args.pop("token", None)
    if token is None and isinstance(form_token, str):
        token = form_token
    return _decode_json_fields(args), token


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in _JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args
