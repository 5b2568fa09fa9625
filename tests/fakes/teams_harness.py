"""The real Teams edge (botbuilder's CloudAdapter behind `/api/messages`), served over real
HTTP on 127.0.0.1, fed activities as Teams sends them, whose `serviceUrl` is the fake Bot
Connector, so every reply and proactive message goes through botbuilder's real connector::

    async with teams_app(engine, clock) as teams:
        replies = await teams.say("ada", "managers add <at>Max</at>")  # a mention entity
        assert [content(r) for r in replies] == [plain("Max Planck is now …", "Added …")]
        await teams.click("max", "concern.acknowledge", "1")   # answered in the turn
        await teams.deliver()                    # the outbox, sent once
        teams.connector.sent_to(teams.person("omar").id)

Nothing runs in the background: `deliver()` awaits `Dispatcher.run_once()`, and an activity's
POST returns only once the bot's turn (and any reply in it) is done. A typed 1:1 message is
answered through the outbox: `send()` shows the turn alone (nothing said in it), `say()`
runs a dispatcher round after it and shows what arrived.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.app import Runtime, build_runtime, build_web_app
from bot.settings import Settings
from bot.teams.app import TeamsEdge, build_edge, http_handler
from bot.teams.auth import BotFrameworkKeys
from fakes.bot_connector import SENDS, ConnectorCall, FakeBotConnector
from handlers.router import COULD_NOT
from storage.db import session_factory

TENANT = "4d2a3b1c-0e5f-4a6b-9c8d-7e6f5a4b3c2d"
OTHER_TENANT = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
BOT_ID = "28:mentorbot-dev"
BOT_NAME = "mentorbot"
CARD = "application/vnd.microsoft.card.adaptive"


# Conversations other than a person's 1:1 with the bot, as Teams describes them.
GROUP_CHAT = {"id": "19:a1b2c3@thread.v2", "conversationType": "groupChat", "isGroup": True}
CHANNEL = {  # a channel post: the conversation id names the thread's root message
    "id": "19:general-d4e5@thread.tacv2;messageid=1700000000001",
    "conversationType": "channel",
    "isGroup": True,
}
TEAM_CHANNEL_DATA = {
    "teamsChannelId": "19:general-d4e5@thread.tacv2",
    "teamsTeamId": "19:team-f6a7@thread.tacv2",
    "channel": {"id": "19:general-d4e5@thread.tacv2"},
    "team": {"id": "19:team-f6a7@thread.tacv2"},
}


@dataclass(frozen=True)
class TeamsPerson:
    key: str
    id: str  # the Teams user id, 29:…
    name: str
    aad_object_id: str
    email: str

    @property
    def conversation_id(self) -> str:
        """Their 1:1 conversation with the bot."""
        return f"a:1{self.key}"


def _person(key: str, name: str) -> TeamsPerson:
    return TeamsPerson(key, f"29:1{key}", name, f"aad-{key}", f"{key}@example.com")


# Everyone the fake connector's get_member knows. Ada is in MENTORBOT_ADMINS (by AAD id).
PEOPLE = {
    key: _person(key, name)
    for key, name in [
        ("ada", "Ada Lovelace"),
        ("max", "Max Planck"),
        ("bea", "Bea Arthur"),
        ("omar", "Omar Khayyam"),
        ("sam", "Sam Cooke"),
        ("lena", "Lena Meyer"),
    ]
}
ADMIN = PEOPLE["ada"].aad_object_id
AT = re.compile(r"<at>(.*?)</at>")
# Activity ids, unique across harnesses: a bot restarted on the same database must not
# take a new activity for a replay of an old one.
_ACTIVITY_IDS = itertools.count(1)


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class TeamsHarness:
    def __init__(
        self,
        connector: FakeBotConnector,
        runtime: Runtime,
        edge: TeamsEdge,
        url: str,
        http: aiohttp.ClientSession,
        people: dict[str, TeamsPerson],
        tenant: str,
    ) -> None:
        self.connector, self.runtime, self.edge, self.url = connector, runtime, edge, url
        self.http, self.people, self.tenant = http, people, tenant
        self._ids = _ACTIVITY_IDS

    def person(self, key: str) -> TeamsPerson:
        return self.people[key]

    # ------------------------------------------------------------------ raw requests

    async def post(
        self,
        body: str | bytes,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if content_type is not None:
            sent["Content-Type"] = content_type
        raw = body.encode() if isinstance(body, str) else body
        async with self.http.post(self.url, data=raw, headers=sent) as response:
            return Reply(response.status, await response.text(), dict(response.headers))

    async def post_activity(self, activity: dict[str, Any], **options: Any) -> Reply:
        return await self.post(json.dumps(activity), **options)

    # ------------------------------------------------------------------ what Teams sends

    def activity(
        self,
        who: str,
        kind: str,
        *,
        activity_id: str | None = None,
        tenant: str | None = None,
        timezone: str | None = None,
        conversation: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """`timezone`: the `localTimezone` the sender's client reports (Teams sends it on
        messages and card submits). `conversation`: another conversation than their 1:1,
        e.g. `group_chat()` or `channel()`."""
        person = self.people[who]
        tenant = tenant or self.tenant
        activity = {
            "type": kind,
            "id": activity_id or f"1{next(self._ids):012d}",
            "timestamp": datetime.now(UTC).isoformat(),
            "localTimestamp": datetime.now(UTC).isoformat(),
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": {"id": person.id, "name": person.name, "aadObjectId": person.aad_object_id},
            "conversation": {
                "id": person.conversation_id,
                "conversationType": "personal",
                "tenantId": tenant,
            },
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "locale": "en-GB",
            "channelData": {"tenant": {"id": tenant}},
        }
        if timezone is not None:
            activity["localTimezone"] = timezone
        if conversation is not None:
            activity["conversation"] = {**conversation, "tenantId": tenant}
            if conversation["conversationType"] == "channel":
                activity["channelData"].update(TEAM_CHANNEL_DATA)
        return activity

    def message(self, who: str, text: str, **options: Any) -> dict[str, Any]:
        """`who` writes `text`; each `<at>Name</at>` is a mention of the person so named
        (or of the bot, for `<at>mentorbot</at>`), with its mention entity."""
        activity = self.activity(who, "message", **options)
        entities: list[dict[str, Any]] = []
        for name in AT.findall(text):
            mentioned = self._account_named(name)
            entities.append({"type": "mention", "mentioned": mentioned, "text": f"<at>{name}</at>"})
        entities.append({"type": "clientInfo", "locale": "en-GB", "platform": "Web"})
        activity.update({"text": text, "textFormat": "plain", "entities": entities})
        return activity

    def submit(
        self, who: str, action: str, value: str, *, card_id: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """`who` clicks an Action.Submit whose data is {"action", "value"} on the card
        `card_id`: Teams sends a message activity with that data as `value`."""
        activity = self.activity(who, "message", **options)
        activity["value"] = {"action": action, "value": value}
        if card_id:
            activity["replyToId"] = card_id
        return activity

    def card_submit(
        self, who: str, card: dict[str, Any], inputs: dict[str, Any], **options: Any
    ) -> dict[str, Any]:
        """`who` fills in the Adaptive Card `card` (as the bot sent it) with `inputs` by input
        id and presses its Action.Submit: Teams sends the action's data with every input of
        the card merged in by id, as text (a toggle "true"/"false", an input left empty "")."""
        activity = self.activity(who, "message", **options)
        value = dict(card["actions"][0]["data"])
        for element in card["body"]:
            if element["type"].startswith("Input."):
                given = inputs.get(element["id"], element.get("value", ""))
                value[element["id"]] = str(given).lower() if isinstance(given, bool) else given
        activity["value"] = value
        return activity

    def installation(self, who: str, action: str = "add", **options: Any) -> dict[str, Any]:
        activity = self.activity(who, "installationUpdate", **options)
        activity["action"] = action
        return activity

    def members_added(self, who: str, **options: Any) -> dict[str, Any]:
        activity = self.activity(who, "conversationUpdate", **options)
        person = self.people[who]
        activity["membersAdded"] = [
            {"id": person.id, "aadObjectId": person.aad_object_id},
            {"id": BOT_ID},
        ]
        return activity

    def _account_named(self, name: str) -> dict[str, str]:
        if name == BOT_NAME:
            return {"id": BOT_ID, "name": BOT_NAME}
        for person in self.people.values():
            if person.name == name or person.name.split()[0] == name:
                return {"id": person.id, "name": name}
        raise KeyError(f"nobody called {name!r} in the harness")

    # ------------------------------------------------------------------ a turn, and its replies

    async def send(self, activity: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
        """POST the activity (it must be accepted) and return the activities the bot sent
        back into that conversation during the turn."""
        self.connector.open_conversation(activity["conversation"]["id"], activity["from"]["id"])
        mark = len(self.connector.calls)
        reply = await self.post_activity(activity, **options)
        assert reply.status in (200, 201), reply
        conversation = activity["conversation"]["id"]
        return [
            c.body
            for c in self.connector.calls[mark:]
            if c.operation in ("send_to_conversation", "reply_to_activity")
            and c.conversation_id == conversation
        ]

    async def say(self, who: str, text: str, **options: Any) -> list[dict[str, Any]]:
        """`who` types `text`; returns what reached that conversation, refused attempts left
        out. In a 1:1 the answer comes through the outbox, so one dispatcher round runs after
        the turn, as the handler's wake-up makes one when serving: whatever else is due goes
        in it too (a concern's DMs to the managers, the greetings after `pair`)."""
        activity = self.message(who, text, **options)
        mark = len(self.connector.calls)
        await self.send(activity)
        await self.deliver()
        return self.arrived(activity["conversation"]["id"], mark)

    async def click(self, who: str, action: str, value: str, **options: Any) -> list[dict]:
        return await self.send(self.submit(who, action, value, **options))

    async def install(self, who: str) -> list[dict[str, Any]]:
        return await self.send(self.installation(who))

    # ------------------------------------------------------------------ the outbox

    async def deliver(self) -> int:
        return await self.runtime.dispatcher.run_once()

    def since(self, mark: int, *operations: str) -> list[ConnectorCall]:
        calls = self.connector.calls[mark:]
        return [c for c in calls if not operations or c.operation in operations]

    def arrived(self, conversation_id: str, mark: int) -> list[dict[str, Any]]:
        """The activities that reached `conversation_id` since `mark` (sends the connector
        accepted), whether replies in a turn or the dispatcher's proactive sends."""
        return [
            c.body
            for c in self.since(mark, *SENDS)
            if c.conversation_id == conversation_id and c.status == 200
        ]

    # ------------------------------------------------------------------ the database

    async def rows(self, model: type) -> list[Any]:
        """Every row of `model`'s table, in the order inserted (PostgreSQL has no other)."""
        query = select(model).order_by(*model.__table__.primary_key.columns)  # type: ignore[attr-defined]
        async with session_factory(self.runtime.engine)() as session:
            return list((await session.exec(query)).scalars())  # type: ignore[call-overload]

    async def counts(self) -> dict[str, int]:
        return await row_counts(self.runtime.engine)


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table: a request that changes nothing leaves this unchanged."""
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


def teams_settings(*, admins: str = ADMIN, tenant: str | None = TENANT, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TEAMS_ALLOW_UNAUTHENTICATED": True,
        "MENTORBOT_ADMINS": admins,
        **extra,
    }
    if tenant is not None:
        values["TEAMS_TENANT_ID"] = tenant
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def add_people(connector: FakeBotConnector, people: dict[str, TeamsPerson], tenant: str) -> None:
    """Everyone has the app installed (by the admin's setup policy), so each has a 1:1
    conversation with the bot, whose id Teams also answers to create_conversation."""
    for person in people.values():
        connector.add_person(
            person.id,
            person.name,
            aad_object_id=person.aad_object_id,
            email=person.email,
            tenant_id=tenant,
        )
        connector.open_conversation(person.conversation_id, person.id)


async def serve(web_app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


@asynccontextmanager
async def teams_app(
    engine: AsyncEngine,
    clock: Any,
    *,
    settings: Settings | None = None,
    people: dict[str, TeamsPerson] | None = None,
    tenant: str = TENANT,
    keys: BotFrameworkKeys | None = None,
) -> AsyncIterator[TeamsHarness]:
    """The Teams edge on 127.0.0.1:<free port>, the fake Bot Connector behind it. `keys`:
    where tokens' signing keys come from (see fakes.openid); by default Microsoft's, which
    no test may need (no network: a test with a Bot Framework token passes its fake's)."""
    people = PEOPLE if people is None else people
    async with FakeBotConnector() as connector:
        add_people(connector, people, tenant)
        settings = settings or teams_settings()
        edge = build_edge(settings, keys)
        runtime = build_runtime(
            settings,
            engine,
            {"teams": edge.messenger},
            clock=clock,
            open_platforms=frozenset(),
        )
        web_app = build_web_app(runtime)
        web_app.router.add_post("/api/messages", http_handler(edge, runtime.deps))
        runner, port = await serve(web_app)
        try:
            async with aiohttp.ClientSession() as http:
                yield TeamsHarness(
                    connector,
                    runtime,
                    edge,
                    f"http://127.0.0.1:{port}/api/messages",
                    http,
                    people,
                    tenant,
                )
        finally:
            await runner.cleanup()
            await edge.keys.close()


# ---------------------------------------------------------------------- expected activities


def plain(text: str, summary: str | None = None) -> dict[str, Any]:
    """A plain-text message activity as botbuilder sends it back through the connector,
    without the addressing fields (see `content`)."""
    return {"type": "message", "text": text, "textFormat": "plain", "summary": summary or text}


def refused(text: str) -> dict[str, Any]:
    """A refusal: its notification (summary) never repeats what was typed."""
    return plain(text, COULD_NOT)


def card_message(card: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": CARD, "content": card}],
    }


ADDRESSING = (
    "channelId",
    "serviceUrl",
    "conversation",
    "from",
    "recipient",
    "replyToId",
    "inputHint",
    "locale",
)


def content(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity the bot sent, without the fields that only address it."""
    return {k: v for k, v in activity.items() if k not in ADDRESSING}


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def rich(*runs: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "inlines": [run(r) if isinstance(r, str) else r for r in runs],
    }


def bold(text: str, **style: Any) -> dict[str, Any]:
    return run(text, weight="Bolder", **style)


def submit(title: str, action: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "Action.Submit",
        "title": title,
        "data": {"action": action, "value": value},
    }
    if style:
        button["style"] = style
    return button


# ---------------------------------------------------------------------- a program to work in

# Ada, Omar, Sam and Bea have written to the bot (installed it); Max never has.
INSTALLED = ("ada", "omar", "sam", "bea")
DEMO_SETUP = [
    ("ada", 'program create "Demo" purpose "Help new graduates settle in"'),
    ("ada", "managers add <at>Max</at>"),
    ("ada", "managers add <at>Bea</at> backup"),
    ("ada", "enrol <at>Omar</at> mentor"),
    ("ada", "enrol sam@example.com mentee"),
    # Paired before reading their briefings: confirmed.
    ("ada", "pair <at>Omar</at> <at>Sam</at> confirm"),
]


async def run_script(teams: TeamsHarness, script: list[tuple[str, str]]) -> None:
    """Each line typed to the bot; each must be answered with exactly one message."""
    for who, text in script:
        replies = await teams.say(who, text)
        assert len(replies) == 1, (text, replies)


async def set_up_demo(teams: TeamsHarness) -> None:
    for who in INSTALLED:
        await teams.install(who)
    await run_script(teams, DEMO_SETUP)


# ---------------------------------------------------------------------- expected cards

NOT_TOLD = "The other member of the pair has not been told."
ACKNOWLEDGE, RESOLVE = "concern.acknowledge", "concern.resolve"


def heading(text: str) -> dict[str, Any]:
    return rich(bold(text, size="Medium"))


def facts(*pairs: tuple[str, list[dict[str, Any] | str]]) -> dict[str, Any]:
    return {
        "type": "Container",
        "items": [rich(bold(f"{label}: "), *value) for label, value in pairs],
    }


def quote(words: str) -> dict[str, Any]:
    return {"type": "Container", "style": "emphasis", "items": [rich(run(words, italic=True))]}


def small(text: str) -> dict[str, Any]:
    return rich(run(text, isSubtle=True))


def concern_card(
    concern_id: int,
    *,
    kind: str = "missed meeting",
    words: str | None,
    raised: str,
    mentor: str = "Omar Khayyam",
    mentee: str = "Sam Cooke",
    reporter: str = "Omar Khayyam",
    program: str = "Demo",
    progress: list[dict[str, Any]] | None = None,
    buttons: tuple[str, ...] = (ACKNOWLEDGE, RESOLVE),
    urgent: bool = False,
) -> dict[str, Any]:
    """The managers' card about one concern, as handlers.concerns.concern_view words it."""
    title = f"{'Urgent concern' if urgent else 'Concern'}: {kind}"
    value = str(concern_id)
    actions = {
        ACKNOWLEDGE: submit("Acknowledge", ACKNOWLEDGE, value, "positive"),
        RESOLVE: submit("Resolve", RESOLVE, value),
    }
    body = [
        heading(title),
        facts(
            ("Program", [program]),
            ("Pair", [bold(mentor), " (mentor) and ", bold(mentee), " (mentee)"]),
            ("Raised by", [bold(reporter)]),
            ("Raised", [raised]),
        ),
        quote(words) if words else small("They added no words."),
        *(progress if progress is not None else [small(NOT_TOLD)]),
    ]
    return adaptive_card(body, [actions[b] for b in buttons])


def concern_message(
    card: dict[str, Any],
    *,
    kind: str = "missed meeting",
    program: str = "Demo",
    urgent: bool = False,
) -> dict[str, Any]:
    title = f"{'Urgent concern' if urgent else 'Concern'}: {kind}"
    return card_message(card, f"{title} in {program}. Open mentorbot to respond.")


# `help`'s first section on Teams, as whoever is in no pair sees it.
EVERYONE = (  # for whoever is in no pair: no concern, no checkin to offer them
    "For everyone\n"
    "• `help` what I can do for you\n"
    "• (nothing) your pairs and programs\n"
    "• `concern status` where the concerns you raised stand, and who acknowledged or "
    "resolved them\n"
    "• `pause 2w` pause your check-ins, reminders and other routine messages for up to 4 "
    "weeks (or `pause 10d`); concerns still go at once, and your program managers see the "
    "pause\n"
    "• `resume` end your pause early: what waited comes in your next working hours\n"
    "• I also write to you privately, in your working hours and a few times a week at most: "
    "a role briefing when you are enrolled (press I've read it), and a check-in on your "
    "program's schedule. Struggling with something in the way, confidentiality, or asking to "
    "be contacted reaches the program manager at once"
)
