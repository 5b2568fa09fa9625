"""The real Bolt app, served over real HTTP on 127.0.0.1, fed requests signed exactly as
Slack signs them, and talking through the real slack_sdk client to the fake Web API.

    async with slack_app(engine, clock) as slack:
        reply = await slack.command("UADA", 'program create "Demo"')
        assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
        await slack.deliver()          # the outbox, sent once, deterministically
        slack.fake.calls_to("chat.postMessage")

The app is built as `mentorbot` builds it (bot.slack.startup.attach_slack): one Bolt
configuration for production and tests. An HTTP request returns once its listener is done
or, past the answer budget (`slack.edge.answering.budget`), acknowledged empty while its
work carries on: `await slack.finish()` waits for that work. Nothing else runs in the
background: `deliver()` awaits `Dispatcher.run_once()`. Signatures use the real
`time.time()`, because Bolt checks them against real time.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.app import Runtime, build_runtime, build_web_app
from bot.server import Server, ServerLimits
from bot.settings import Settings
from bot.slack.app import SlackEdge, build_client, build_edge, http_handler
from bot.slack.startup import attach_slack
from fakes.slack_api import (
    APP_ID,
    BOT_USER_ID,
    TEAM_ID,
    FakeSlackApi,
    RecordedCall,
    outbox_metadata,
)
from handlers.router import COULD_NOT
from storage.models import OutboxMessage

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
ADMIN = "UADA"  # the one person in MENTORBOT_ADMINS

# The people of the tests, all known to the fake's users.info / users.lookupByEmail.
PEOPLE = {
    "UADA": ("Ada", "ada@example.com"),
    "UMAX": ("Max", "max@example.com"),
    "UBEA": ("Bea", "bea@example.com"),
    "UOMAR": ("Omar", "omar@example.com"),
    "USAM": ("Sam", "sam@example.com"),
    "ULENA": ("Lena", "lena@example.com"),
}
TZ = "Europe/London"
# Ids of what Slack sends (trigger ids, response ids), unique across harnesses: a bot
# restarted on the same database must not take a new request for a replay of an old one.
_IDS = itertools.count(1)


@dataclass
class Reply:
    """What the bot answered over HTTP."""

    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def signature(secret: str, timestamp: str, body: str | bytes) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, over the
    body's bytes as sent (whatever they are)."""
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class RecordingSlackApi(FakeSlackApi):
    """The fake, also keeping what it answered to each call (e.g. chat.postMessage's ts)."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[int, dict[str, Any]] = {}
        self.unreachable: dict[str, str] = {}  # channel -> Slack error for chat.postMessage
        self._drops: dict[str, int] = {}
        self.dropped: list[str] = []

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Close the connection of the next `times` calls to `method` without an answer:
        to the client, Slack is unreachable (aiohttp raises ServerDisconnectedError)."""
        self._drops[method] = self._drops.get(method, 0) + times

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if self._drops.get(method):
            self._drops[method] -= 1
            self.dropped.append(method)
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=599)  # never sent: the connection is gone
        return await super()._handle_api(request)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        error = self.unreachable.get(str(args.get("channel")))
        if method == "chat.postMessage" and error:
            answer = {"ok": False, "error": error}
        else:
            answer = super()._answer(method, args)
        self._answers[id(args)] = answer  # args stays alive in self.calls
        return answer

    def forget(self) -> None:
        """Clear what was recorded (calls, responses), as if just started."""
        self.calls.clear()
        self.received.clear()
        self.responses.clear()
        self._response_ids.clear()
        self._answers.clear()

    def answer_to(self, call: RecordedCall) -> dict[str, Any]:
        """The JSON answered to `call` (a scripted `fail_next` failure: `{"ok": False}`)."""
        return self._answers.get(id(call.args), {"ok": False})


class SlackHarness:
    def __init__(
        self,
        fake: RecordingSlackApi,
        runtime: Runtime,
        edge: SlackEdge,
        url: str,
        http: aiohttp.ClientSession,
        server: Server | None = None,
    ) -> None:
        self.fake, self.runtime, self.edge, self.url, self.http = fake, runtime, edge, url, http
        self.server = server  # bot.server's, when served as mentorbot serves (`limits`)
        self._ids = _IDS
        # DMs sent before this harness existed (while a scenario's database was built):
        # user -> the (channel, ts) each chat.postMessage to them was answered with.
        self.earlier: dict[str, list[tuple[str, str]]] = {}

    # ------------------------------------------------------------------ raw requests

    async def post(
        self,
        body: str | bytes,
        content_type: str | None,
        *,
        sign: bool = True,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST /slack/events with `body`, signed as Slack signs it unless `sign=False`."""
        raw = body.encode() if isinstance(body, str) else body
        sent: dict[str, str] = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if sign:
            stamp = str(int(time.time()) if timestamp is None else timestamp)
            sent["X-Slack-Request-Timestamp"] = stamp
            sent["X-Slack-Signature"] = signature(secret, stamp, raw)
        sent.update(headers or {})
        async with self.http.post(self.url, data=raw, headers=sent) as response:
            return Reply(response.status, await response.text())

    async def post_form(self, fields: dict[str, str], **options: Any) -> Reply:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **options)

    async def post_json(self, payload: Any, **options: Any) -> Reply:
        return await self.post(json.dumps(payload), "application/json", **options)

    # ------------------------------------------------------------------ what Slack sends

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def trigger_id(self) -> str:
        """Unique, as Slack's are (a request's key: a repeated one is a replay)."""
        return f"{next(self._ids)}.{next(self._ids)}.{secrets.token_hex(8)}"

    def command_form(
        self, user: str, text: str, *, response_id: str | None = None, team: str = TEAM_ID
    ) -> dict[str, str]:
        response_id = response_id or self.next_id("cmd-")
        return {
            "token": "verification-token-unused",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": self.fake.dm_channel_for(BOT_USER_ID),
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": PEOPLE.get(user, (user.lower(), ""))[0].lower(),
            "command": "/mentoring",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(response_id),
            "trigger_id": self.trigger_id(),
        }

    async def command(self, user: str, text: str, **options: Any) -> Reply:
        """`/mentoring <text>` typed by `user`; `text` exactly as Slack sends it (escaped)."""
        response_id = options.pop("response_id", None)
        return await self.post_form(
            self.command_form(user, text, response_id=response_id), **options
        )

    def click_payload(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str | None = None,
        message_ts: str = "1700000000.000100",
        response_id: str = "click",
        label: str = "Button",
    ) -> dict[str, Any]:
        channel = channel or self.fake.dm_channel_for(user)
        return {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "verification-token-unused",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.trigger_id(),
            "team": {"id": TEAM_ID, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "directmessage"},
            "message": {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": message_ts,
                "bot_id": "B0001",
                "text": "a message from mentorbot",
            },
            "state": {"values": {}},
            "response_url": self.fake.response_url(response_id),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": label, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{int(time.time())}.000001",
                }
            ],
        }

    async def click(self, user: str, action_id: str, value: str, **options: Any) -> Reply:
        """`user` presses a button; Bolt's respond() lands on fake.responses_to(response_id)."""
        keys = ("channel", "message_ts", "response_id", "label")
        payload = self.click_payload(
            user, action_id, value, **{k: options.pop(k) for k in keys if k in options}
        )
        return await self.post_form({"payload": json.dumps(payload)}, **options)

    def submission_payload(
        self, user: str, view: dict[str, Any], answers: dict[str, Any]
    ) -> dict[str, Any]:
        """What Slack sends when `user` submits the modal `view` (as views.open received it)
        with `answers` by block_id: every input block's state, shaped for its element (an
        option as the view has it, a ticked checkbox as its option, null where empty)."""
        values = {
            block["block_id"]: {
                block["element"]["action_id"]: element_state(
                    block["element"], answers.get(block["block_id"])
                )
            }
            for block in view["blocks"]
            if block["type"] == "input"
        }
        return {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "verification-token-unused",
            "trigger_id": self.trigger_id(),
            "view": {
                **view,
                "id": "V0000000001",
                "team_id": TEAM_ID,
                "state": {"values": values},
                "hash": "1700000000.fake",
                "previous_view_id": None,
                "root_view_id": "V0000000001",
                "app_id": APP_ID,
                "external_id": "",
                "app_installed_team_id": TEAM_ID,
                "bot_id": "B0001",
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    async def submit_view(
        self, user: str, view: dict[str, Any], answers: dict[str, Any], **options: Any
    ) -> Reply:
        """`user` presses the modal's submit; the reply is Bolt's acknowledgement."""
        payload = self.submission_payload(user, view, answers)
        return await self.post_form({"payload": json.dumps(payload)}, **options)

    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.next_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **options: Any,
    ) -> Reply:
        headers = dict(options.pop("headers", {}) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        body = self.event_body(event, event_id=event_id)
        return await self.post_json(body, headers=headers, **options)

    def dm_event(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        """A `message.im` event: `user` typed `text` in their DM with the bot."""
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        return {
            "type": "message",
            "channel": self.fake.dm_channel_for(user),
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "team": TEAM_ID,
            **extra,
        }

    def home_event(self, user: str, tab: str = "home") -> dict[str, Any]:
        return {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel_for(user),
            "tab": tab,
            "event_ts": f"{int(time.time())}.000100",
        }

    # ------------------------------------------------------------------ the outbox and the fake

    async def finish(self) -> None:
        """Wait for the work of requests acknowledged before it was done (past the budget)."""
        await self.edge.answering.finish()

    async def deliver(self) -> int:
        """Send what is due now, once; returns how many outbox rows were tried."""
        return await self.runtime.dispatcher.run_once()

    def dms_to(self, user: str) -> list[RecordedCall]:
        """chat.postMessage calls addressed to `user` (channel=<user id>)."""
        return [c for c in self.fake.calls_to("chat.postMessage") if c.args["channel"] == user]

    def updates(self) -> list[RecordedCall]:
        return self.fake.calls_to("chat.update")

    def posted_ref(self, user: str, index: int = -1) -> tuple[str, str]:
        """(channel, ts) that chat.postMessage was answered with for the `index`-th DM to
        `user`, counting those sent while the scenario was built."""
        return (self.earlier.get(user, []) + self.refs_by_user().get(user, []))[index]

    def refs_by_user(self) -> dict[str, list[tuple[str, str]]]:
        """user -> (channel, ts) of each DM chat.postMessage delivered to them, in order."""
        refs: dict[str, list[tuple[str, str]]] = {}
        for call in self.fake.calls_to("chat.postMessage"):
            answer = self.fake.answer_to(call)
            if answer["ok"]:
                refs.setdefault(call.args["channel"], []).append((answer["channel"], answer["ts"]))
        return refs

    async def counts(self) -> dict[str, int]:
        return await row_counts(self.runtime.engine)

    async def metadata_of(self, call: RecordedCall) -> dict[str, Any]:
        """The metadata a DM must carry: the id of the outbox row recorded as sent with the
        (channel, ts) Slack answered `call` with (the newest such row: a scenario's DMs
        were answered by another fake, whose timestamps this one counts again)."""
        answer = self.fake.answer_to(call)
        ref = {"channel": answer["channel"], "ts": answer["ts"]}
        query = select(OutboxMessage.id, OutboxMessage.sent_ref).where(
            OutboxMessage.replaces_id.is_(None)  # type: ignore[union-attr]  (updates keep the ref)
        )
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return outbox_metadata(max(row_id for row_id, sent_ref in rows if sent_ref == ref))


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table (one round trip): a request that changes nothing leaves this as is."""
    tables = SQLModel.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return {table.name: count for table, count in zip(tables, row, strict=True)}


def element_state(element: dict[str, Any], answer: Any) -> dict[str, Any]:
    """An input element's state in a view_submission, as Slack reports it."""
    kind = element["type"]
    if kind in ("radio_buttons", "static_select"):
        chosen = [o for o in element["options"] if o["value"] == answer]
        return {"type": kind, "selected_option": chosen[0] if chosen else None}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element["options"] if answer else []}
    if kind == "datepicker":
        return {"type": kind, "selected_date": answer}
    return {"type": kind, "value": answer}


def settings_for(fake: FakeSlackApi, admins: str = ADMIN) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        MENTORBOT_ADMINS=admins,
    )


@asynccontextmanager
async def slack_app(
    engine: AsyncEngine,
    clock: Any,
    *,
    admins: str = ADMIN,
    people: dict[str, tuple[str, str]] | None = None,
    limits: ServerLimits | None = None,
) -> AsyncIterator[SlackHarness]:
    """The whole Slack edge on 127.0.0.1:<free port>, with the fake Web API behind it.
    With `limits`, served as `mentorbot` serves it (bot.server: read timeouts, the cap on
    connections) under those limits; else by aiohttp alone, which is quicker to stop."""
    # The bot's own pool of connections to Slack, as serve() gives it.
    async with RecordingSlackApi() as fake, aiohttp.ClientSession() as bot_http:
        for user_id, (name, email) in (PEOPLE if people is None else people).items():
            fake.add_user(user_id, name, email, tz=TZ)
        settings = settings_for(fake, admins)
        edge = build_edge(settings, build_client(settings, bot_http))
        runtime = build_runtime(
            settings,
            engine,
            {"slack": edge.messenger},
            clock=clock,
            directories={"slack": edge.directory},
            open_platforms=frozenset(),
        )
        bolt = attach_slack(edge, settings, runtime.deps)  # exactly as production
        web_app = build_web_app(runtime)
        web_app.router.add_post(
            "/slack/events", http_handler(bolt, SIGNING_SECRET, edge.answering, runtime.repeats)
        )
        async with (
            _served(web_app, runtime, limits) as (port, server),
            aiohttp.ClientSession() as http,
        ):
            url = f"http://127.0.0.1:{port}/slack/events"
            yield SlackHarness(fake, runtime, edge, url, http, server)


@asynccontextmanager
async def _served(
    web_app: web.Application, runtime: Runtime, limits: ServerLimits | None
) -> AsyncIterator[tuple[int, Server | None]]:
    """The app on 127.0.0.1:<free port>: by bot.server.Server with `limits`, else aiohttp's."""
    if limits is not None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        server = Server(web_app, limits, runtime.repeats)
        await server.start(sock)
        try:
            yield sock.getsockname()[1], server
        finally:
            await server.stop()
            sock.close()
        return
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1]), None
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------- expected Block Kit


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def fields(*texts: str) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in texts]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(buttons)}


def ephemeral(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A slash command's answer, in the ack: only the caller sees it."""
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def late(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer (as `ephemeral` builds it) that missed the ack and was posted through the
    outbox to the request's response_url, beside the message the request came from."""
    return {**answer, "replace_original": False}


def refused(problem: str, form: str | None = None) -> dict[str, Any]:
    """A refusal as the ack carries it; `problem` and `form` as mrkdwn (already escaped)."""
    blocks = [section(problem)]
    if form is not None:
        blocks.append(section(f"The form is: `/mentoring {form}`"))
    return ephemeral(COULD_NOT, blocks)


# The sections of `help` (and of App Home), as each kind of person sees them: EVERYONE
# for whoever is in no pair, IN_A_PAIR (concern and checkin besides) for pair members.
_HELP = "• `/mentoring help` what I can do for you\n• (nothing) your pairs and programs\n"
_CONCERN = (
    "• `/mentoring concern &lt;kind&gt; [@partner] [what happened]` tell the program manager "
    "privately that something is wrong; kinds: missed-preparation, missed-meeting, "
    "confidentiality, mismatch, conduct, other\n"
)
_STATUS_AND_PAUSE = (
    "• `/mentoring concern status` where the concerns you raised stand, and who acknowledged "
    "or resolved them\n"
    "• `/mentoring pause 2w` pause your check-ins, reminders and other routine messages for "
    "up to 4 weeks (or `pause 10d`); concerns still go at once, and your program managers "
    "see the pause\n"
    "• `/mentoring resume` end your pause early: what waited comes in your next working "
    "hours\n"
)
_CHECKIN = (
    "• `/mentoring checkin [@partner]` check in now, privately, on how your pair is going; "
    "your partner is never told\n"
)
_WRITES = (
    "• I also write to you privately, in your working hours and a few times a week at most: "
    "a role briefing when you are enrolled (press I've read it), and a check-in on your "
    "program's schedule. Struggling with something in the way, confidentiality, or asking to "
    "be contacted reaches the program manager at once"
)
EVERYONE = section("*For everyone*\n" + _HELP + _STATUS_AND_PAUSE + _WRITES)
IN_A_PAIR = section("*For everyone*\n" + _HELP + _CONCERN + _STATUS_AND_PAUSE + _CHECKIN + _WRITES)
ONCE_PAIRED = context(
    "Once you are paired you can raise a concern at any time: `/mentoring concern &lt;kind&gt; "
    "[what happened]` tells the program manager privately that something is wrong."
)
MANAGERS = section(
    "*For program managers*\n"
    "• `/mentoring enrol @person mentor|mentee` add someone to your program; they get a role "
    "briefing to read and confirm\n"
    "• `/mentoring pair @mentor @mentee` start a mentoring pair; both are greeted privately, "
    "then checked in with on the program's schedule. It asks first for a second mentor, a "
    "manager in the pair, or a member who has not confirmed their briefing\n"
    "• `/mentoring managers add @person [backup]` add a manager or a backup manager\n"
    "• `/mentoring managers remove @person` remove a manager\n"
    "• `/mentoring status` people, pairs, open concerns (with their numbers), who is at risk "
    "and why (two check-ins in a row unanswered, struggling twice with no concern, paired "
    "before confirming their briefing), unconfirmed briefings, who is paused or at the "
    "weekly cap, undelivered messages\n"
    "• `/mentoring program set timezone|checkins|weekly-cap &lt;value&gt;` change a setting: "
    "`timezone Europe/Vilnius` (working hours for people whose own zone is unknown), "
    "`checkins 2w,4w,every 4w` (when pairs are asked how it is going), `weekly-cap 4` "
    "(routine messages a person a week, check-ins before reminders); `program set` alone "
    "shows them\n"
    "• `/mentoring program set ack-deadline high|normal &lt;30m|4h|2d&gt;` how long a concern may "
    "wait for acknowledgement before its managers are reminded and then its backup managers told\n"
    "• `/mentoring program set escalation [repeat-high on|off]` show the escalation policy, or "
    "say whether an urgent concern is reminded every deadline at the last level\n"
    "• `/mentoring checkin @person|all` send a check-in now, in each recipient's working "
    "hours\n"
    "• `/mentoring concern ack|resolve &lt;n&gt; [note]` acknowledge or resolve concern n, "
    "as its buttons do; a note is for the managers only"
)
ADMINS = section(
    "*For mentorbot admins*\n"
    '• `/mentoring program create "&lt;name&gt;" [purpose "&lt;text&gt;"]` '
    "create a program you manage"
)

# ---------------------------------------------------------------------- a program to work in

# Mentions arrive as Slack sends them with "Escape channels, users, and links" on.
DEMO_SETUP = [
    ("UADA", 'program create "Demo" purpose "Help new graduates settle in"'),
    ("UADA", "managers add <@UMAX|max>"),
    ("UADA", "managers add <@UBEA|bea> backup"),
    ("UADA", "enrol <@UOMAR|omar> mentor"),
    ("UADA", "enrol <@USAM|sam> mentee"),
    # Paired before reading their briefings: confirmed (tests/slack_app/test_briefings.py).
    ("UADA", "pair <@UOMAR|omar> <@USAM|sam> confirm"),
]


async def run_script(
    slack: SlackHarness, script: list[tuple[str, str]], *, deliver: bool = False
) -> list[Reply]:
    """Each line as a slash command; every one must be answered with 200. With `deliver`,
    what each line queued is sent before the next (so each person's DMs keep their order)."""
    replies = []
    for user, text in script:
        reply = await slack.command(user, text)
        assert reply.status == 200, (text, reply)
        replies.append(reply)
        if deliver:
            await slack.deliver()
    return replies


# Scenarios the tests start from (tests/slack_app/conftest.py builds each one once).
MANAGER_IN_PAIR = [  # Max manages the program and mentors Sam; Ada manages; Bea is backup
    ("UADA", 'program create "Demo"'),
    ("UADA", "managers add <@UMAX|max>"),
    ("UADA", "managers add <@UBEA|bea> backup"),
    ("UADA", "enrol <@UMAX|max> mentor"),
    ("UADA", "enrol <@USAM|sam> mentee"),
    ("UADA", "pair <@UMAX|max> <@USAM|sam> confirm"),  # a manager in a pair: confirmed
]
ONLY_MANAGER_IN_PAIR = [  # Ada, the only manager, mentors Sam; Bea is backup
    ("UADA", 'program create "Demo"'),
    ("UADA", "managers add <@UBEA|bea> backup"),
    ("UADA", "enrol <@UADA|ada> mentor"),
    ("UADA", "enrol <@USAM|sam> mentee"),
    ("UADA", "pair <@UADA|ada> <@USAM|sam> confirm"),  # a manager in a pair: confirmed
]
# name -> (the scenario it starts from, the lines played on top of it)
SCENARIOS: dict[str, tuple[str | None, list[tuple[str, str]]]] = {
    "empty": (None, []),
    "demo": ("empty", DEMO_SETUP),
    "raised": ("demo", [("UOMAR", "concern missed-meeting Sam did not come")]),
    "manager_in_pair": ("empty", MANAGER_IN_PAIR),
    "only_manager_in_pair": ("empty", ONLY_MANAGER_IN_PAIR),
    "no_one_to_tell": ("only_manager_in_pair", [("UADA", "managers remove <@UBEA|bea>")]),
}
