"""A fake Bot Connector (the service behind an activity's `serviceUrl`), served by a real
aiohttp server on 127.0.0.1, for botbuilder's real ConnectorClient to talk to::

    async with FakeBotConnector() as connector:
        connector.add_person("29:ada", "Ada", aad_object_id="aad-ada", email="ada@example.com")
        # activities whose serviceUrl is connector.service_url make the bot call back here
        connector.calls_to("reply_to_activity")[0].body["text"]

What botframework-connector 4.17 (`botframework/connector/aio/operations_async/
_conversations_operations_async.py`) sends, all served here, under the service URL's path
(`/amer/`, as Teams' own `https://smba.trafficmanager.net/amer/`):

* create_conversation   POST /v3/conversations                       ConversationParameters
                        → 200 ConversationResourceResponse {"id", "activityId"?}
* send_to_conversation  POST /v3/conversations/{cid}/activities      Activity → ResourceResponse
* reply_to_activity     POST /v3/conversations/{cid}/activities/{aid}  Activity → ResourceResponse
  (botbuilder replies this way to an incoming activity, and also in continue_conversation,
  where the continuation activity carries a fresh uuid1 id that becomes `replyToId`)
* update_activity       PUT  /v3/conversations/{cid}/activities/{aid}  Activity → ResourceResponse
* get_member            GET  /v3/conversations/{cid}/members/{mid}   → TeamsChannelAccount JSON
  (`TeamsInfo.get_member` outside a team; Teams accepts the 29: id, the AAD object id or the
  UPN as `mid`)

Path segments arrive percent-encoded (`a%3A1` for `a:1`); aiohttp decodes them. Errors are
Bot Framework `ErrorResponse` bodies, `{"error": {"code", "message"}}`, which botbuilder raises
as `botbuilder.schema.ErrorResponseException` (`.response.status_code`, `.response.headers`,
`.error.error.code`).
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = ["OPERATIONS", "SENDS", "ConnectorCall", "FakeBotConnector"]

PREFIX = "/amer"
OPERATIONS = (
    "create_conversation",
    "send_to_conversation",
    "reply_to_activity",
    "update_activity",
    "get_member",
)
SENDS = ("send_to_conversation", "reply_to_activity")


@dataclass
class ConnectorCall:
    """One request the fake answered."""

    operation: str  # one of OPERATIONS
    method: str
    path: str  # as sent, percent-encoded, without the service URL's prefix
    conversation_id: str | None
    activity_id: str | None  # the {aid} of the path
    member_id: str | None
    body: Any  # the JSON body, or None
    authorization: str | None
    status: int = 200
    answer: Any = None


@dataclass
class _Failure:
    status: int
    code: str | None
    message: str
    retry_after: int | str | None
    conversation_id: str | None = None  # only calls into this conversation; None: any


@dataclass
class Person:
    id: str
    name: str
    aad_object_id: str
    email: str | None
    upn: str | None
    tenant_id: str | None

    def account(self) -> dict[str, Any]:
        """The TeamsChannelAccount JSON Teams answers for a member."""
        given, _, surname = self.name.partition(" ")
        account: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or None,
            "userRole": "user",
        }
        if self.email:
            account["email"] = self.email
        if self.upn:
            account["userPrincipalName"] = self.upn
        if self.tenant_id:
            account["tenantId"] = self.tenant_id
        return account


@dataclass
class Conversation:
    id: str
    member_id: str | None  # the person in this 1:1 with the bot
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → latest body


class FakeBotConnector:
    def __init__(self, *, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.calls: list[ConnectorCall] = []
        self.people: dict[str, Person] = {}
        self.conversations: dict[str, Conversation] = {}
        self.blocked: dict[str, str] = {}  # person id → error code for every write to them
        self._scripts: dict[str, deque[_Failure]] = {}
        self._activity_ids = itertools.count(1)
        self._conversation_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeBotConnector already started")
        app = web.Application()
        base = f"{self.prefix}/v3/conversations"
        app.router.add_post(base, self._create_conversation)
        app.router.add_post(base + "/{cid}/activities", self._send_to_conversation)
        app.router.add_post(base + "/{cid}/activities/{aid}", self._reply_to_activity)
        app.router.add_put(base + "/{cid}/activities/{aid}", self._update_activity)
        app.router.add_get(base + "/{cid}/members/{mid}", self._get_member)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
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

    @property
    def service_url(self) -> str:
        """What activities carry as `serviceUrl` (with a trailing slash, as Teams sends it)."""
        if self._port is None:
            raise RuntimeError("FakeBotConnector is not started")
        return f"http://127.0.0.1:{self._port}{self.prefix}/"

    # ------------------------------------------------------------------ people, conversations

    def add_person(
        self,
        member_id: str,
        name: str,
        *,
        aad_object_id: str,
        email: str | None = None,
        upn: str | None = None,
        tenant_id: str | None = None,
    ) -> Person:
        """Someone `get_member` knows, by 29: id, AAD object id, e-mail or UPN."""
        person = Person(member_id, name, aad_object_id, email, upn or email, tenant_id)
        self.people[member_id] = person
        return person

    def open_conversation(self, conversation_id: str, member_id: str) -> Conversation:
        """A 1:1 between the bot and `member_id` (the person wrote to the bot in it)."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            conversation = Conversation(conversation_id, member_id)
            self.conversations[conversation_id] = conversation
        return conversation

    def conversation_with(self, member_id: str) -> Conversation | None:
        for conversation in self.conversations.values():
            if conversation.member_id == member_id:
                return conversation
        return None

    def block(self, member_id: str, code: str = "MessageWritesBlocked") -> None:
        """Every create/send/reply/update reaching `member_id` is refused with 403 `code`."""
        self.blocked[member_id] = code

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        operation: str,
        *,
        status: int,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | str | None = None,
        times: int = 1,
        conversation: str | None = None,
    ) -> None:
        """Answer the next `times` calls to `operation` (or "send": either send operation)
        with `status` and an ErrorResponse body; 429 carries `Retry-After` (seconds, or any
        text, such as the HTTP date the header may also hold). With `conversation`, only
        calls into that conversation: the dispatcher sends several rows at once, in no
        fixed order, and a test may mean one of them."""
        if operation != "send" and operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        if status == 429 and retry_after is None:
            retry_after = 1
        failure = _Failure(status, code, message or f"scripted {status}", retry_after, conversation)
        for _ in range(times):
            self._scripts.setdefault(operation, deque()).append(failure)

    # ------------------------------------------------------------------ reading what was sent

    def calls_to(self, *operations: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.operation in operations]

    def sent(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Activities the bot sent successfully (send or reply), to one conversation or all."""
        return [
            c
            for c in self.calls_to(*SENDS)
            if c.status == 200 and conversation_id in (None, c.conversation_id)
        ]

    def sent_to(self, member_id: str) -> list[dict[str, Any]]:
        """The bodies of activities sent successfully into `member_id`'s 1:1 conversation."""
        conversation = self.conversation_with(member_id)
        return [c.body for c in self.sent(conversation.id)] if conversation else []

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any]:
        """An activity as it stands now (after updates)."""
        return self.conversations[conversation_id].activities[activity_id]

    # ------------------------------------------------------------------ handlers

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await _json(request)
        members = (body or {}).get("members") or [{}]
        member_id = members[0].get("id")
        call = self._call("create_conversation", request, body, member_id=member_id)
        failure = self._failure(call, member_id)
        if failure is not None:
            return failure
        conversation = self.conversation_with(member_id) if member_id else None
        if conversation is None:  # Teams answers the person's existing 1:1 if there is one
            conversation = self.open_conversation(
                f"a:created-{next(self._conversation_ids)}", member_id
            )
        return self._answer(call, {"id": conversation.id})

    async def _send_to_conversation(self, request: web.Request) -> web.Response:
        return await self._send(request, "send_to_conversation")

    async def _reply_to_activity(self, request: web.Request) -> web.Response:
        return await self._send(request, "reply_to_activity")

    async def _send(self, request: web.Request, operation: str) -> web.Response:
        body = await _json(request)
        call = self._call(operation, request, body)
        conversation = self.conversations.get(call.conversation_id or "")
        failure = self._failure(call, conversation.member_id if conversation else None)
        if failure is not None:
            return failure
        if conversation is None:
            return self._error(call, 404, "ConversationNotFound", "Conversation not found.")
        activity_id = f"1:{next(self._activity_ids)}"
        conversation.activities[activity_id] = body
        return self._answer(call, {"id": activity_id})

    async def _update_activity(self, request: web.Request) -> web.Response:
        body = await _json(request)
        call = self._call("update_activity", request, body)
        conversation = self.conversations.get(call.conversation_id or "")
        failure = self._failure(call, conversation.member_id if conversation else None)
        if failure is not None:
            return failure
        if conversation is None or call.activity_id not in conversation.activities:
            return self._error(call, 404, "ActivityNotFound", "Activity not found.")
        conversation.activities[call.activity_id] = body
        return self._answer(call, {"id": call.activity_id})

    async def _get_member(self, request: web.Request) -> web.Response:
        call = self._call("get_member", request, None, member_id=request.match_info["mid"])
        failure = self._failure(call, None)
        if failure is not None:
            return failure
        wanted = (call.member_id or "").lower()
        for person in self.people.values():
            names = {person.id, person.aad_object_id, person.email, person.upn}
            if wanted in {n.lower() for n in names if n}:
                return self._answer(call, person.account())
        return self._error(call, 404, "MemberNotFoundInConversation", "Member not found.")

    # ------------------------------------------------------------------ helpers

    def _call(
        self, operation: str, request: web.Request, body: Any, *, member_id: str | None = None
    ) -> ConnectorCall:
        call = ConnectorCall(
            operation=operation,
            method=request.method,
            path=request.raw_path.removeprefix(self.prefix),
            conversation_id=request.match_info.get("cid"),
            activity_id=request.match_info.get("aid"),
            member_id=member_id,
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        self.calls.append(call)
        return call

    def _failure(self, call: ConnectorCall, member_id: str | None) -> web.Response | None:
        for key in (call.operation, "send" if call.operation in SENDS else None):
            failure = self._scripted(key, call.conversation_id)
            if failure is not None:
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                code = failure.code or _default_code(failure.status)
                return self._error(call, failure.status, code, failure.message, headers)
        if member_id in self.blocked and call.operation != "get_member":
            code = self.blocked[member_id]
            return self._error(call, 403, code, "The bot is not allowed to write to this user.")
        return None

    def _scripted(self, key: str | None, conversation_id: str | None) -> _Failure | None:
        """The first failure scripted for `key` that applies to this conversation, taken."""
        queue = self._scripts.get(key or "", deque())
        for failure in queue:
            if failure.conversation_id in (None, conversation_id):
                queue.remove(failure)
                return failure
        return None

    def _answer(self, call: ConnectorCall, answer: dict[str, Any]) -> web.Response:
        call.status, call.answer = 200, answer
        return web.json_response(answer)

    def _error(
        self,
        call: ConnectorCall,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        answer = {"error": {"code": code, "message": message}}
        call.status, call.answer = status, answer
        return web.json_response(answer, status=status, headers=headers)


def _default_code(status: int) -> str:
    return {
        403: "Forbidden",
        404: "NotFound",
        429: "TooManyRequests",
    }.get(status, "InternalServerError" if status >= 500 else "BadArgument")


async def _json(request: web.Request) -> Any:
    raw = await request.text()
    return json.loads(raw) if raw else None
