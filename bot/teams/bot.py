"""The Teams activity handler: messages and card submits run the same core as Slack (a
typed message's answer goes through the outbox, a click's is sent in the turn);
installation and conversation updates store how to reach the person later."""

from __future__ import annotations

import dataclasses
import uuid

import structlog
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams import forms, parse, render
from handlers.context import Deps
from handlers.ports import DirectoryUnavailable, Profile
from handlers.router import handle_action, handle_direct_message, remember
from handlers.views import simple

log = structlog.get_logger("mentorbot.teams")
WELCOME = (
    "Hi, I'm mentorbot. I help your mentoring pair keep going, and I tell your program "
    "manager at once if something is wrong. Type help to see what I can do."
)
ONLY_ONE_TO_ONE_WELCOME = (
    "Hi, I'm mentorbot. I only work in a private 1:1 chat, so that what people tell me "
    "stays private: open a chat with mentorbot and type help there."
)
# Said in a group chat or a channel, where everyone would read the answers (a status, a
# concern's receipt): nothing is done there, and nothing the sender wrote is repeated.
ONLY_ONE_TO_ONE = (
    "I only work in a private 1:1 chat with you, so that what you tell me stays private. "
    "I did nothing with this message: open a chat with mentorbot and send it there."
)


class TurnDirectory:
    """Looks people up through the conversation at hand (the Bot Connector's members API)."""

    platform = parse.PLATFORM

    def __init__(self, turn: TurnContext, *, emails_trusted: bool) -> None:
        self.turn = turn
        self.emails_trusted = emails_trusted

    async def by_id(self, external_id: str) -> Profile | None:
        # The members API knows only this conversation's members: in a 1:1 chat a person
        # mentioned is not one, so "not found" here says nothing about them: take the
        # mention as Teams sent it.
        try:
            return await self._member(external_id)
        except _NotAMember:
            raise DirectoryUnavailable("not a member of this conversation") from None

    async def by_email(self, email: str) -> Profile | None:
        try:
            return await self._member(email)  # Teams accepts a UPN where it takes a member id
        except _NotAMember:
            return None

    async def _member(self, member_id: str) -> Profile:
        try:
            member = await TeamsInfo.get_member(self.turn, member_id)
        except ErrorResponseException as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            if status in (400, 403, 404):
                raise _NotAMember from None
            raise DirectoryUnavailable(f"teams answered {status}") from None  # throttled, 5xx
        except (
            ClientRequestError,  # no answer from the connector
            ValueError,  # no connector client in this turn (e.g. botbuilder's TestAdapter)
            KeyError,
            TypeError,  # no channelData to tell a team from a personal chat
            AttributeError,
        ) as error:
            raise DirectoryUnavailable(type(error).__name__) from None
        # An e-mail address joins this identity to a person known on Slack (or by address)
        # and can make them an admin. A multi-tenant bot hears any tenant, whose directory
        # may hold any address: only a single-tenant bot's addresses are believed.
        email = (member.email or member.user_principal_name) if self.emails_trusted else None
        return Profile(member.id, member.name or member.id, email.lower() if email else None)


class _NotAMember(Exception):
    """The connector does not know that id or address in this conversation."""


class MentorbotTeamsBot(ActivityHandler):
    def __init__(self, deps: Deps, *, emails_trusted: bool = False) -> None:
        """`emails_trusted`: the bot hears one tenant only (TEAMS_TENANT_ID), so the e-mail
        addresses its directory gives are that organisation's own."""
        self.deps = deps
        self.emails_trusted = emails_trusted

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not parse.is_personal(activity):
            # Answered in the turn: the outbox reaches a person only in their 1:1, and there
            # is no 1:1 here to reach (nor anything done to need a durable answer).
            await turn_context.send_activity(render.activity(simple(ONLY_ONE_TO_ONE)))
            return
        # The core looks up the caller's e-mail address on first contact, through the
        # turn's directory: nothing is asked here, on every message.
        deps, caller = self._deps_for(turn_context), parse.caller(activity)
        event_key = _event_key(activity)
        if isinstance(activity.value, dict):  # an Action.Submit of a card
            # A card of another version may carry other data: it is still a click, never
            # a typed command (its text is empty), so it gets "no longer does anything".
            submitted = activity.value
            if await forms.handled(turn_context, deps, caller, submitted, event_key):
                return  # a form's answers, or a button that opens a form
            action, value = str(submitted.get("action", "")), str(submitted.get("value", ""))
            answer = await handle_action(deps, caller, action, value, event_key=event_key)
            if answer is not None:  # None: Teams redelivered an activity already handled
                await turn_context.send_activity(render.activity(answer))
            return
        # The answer is queued in the outbox with the event record, and the dispatcher sends
        # it into the reference stored just now: once the event is recorded Teams' retries are
        # ignored, so an answer sent here and refused (Teams down) would be lost for good.
        await handle_direct_message(deps, caller, parse.command_text(activity), event_key=event_key)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        personal = parse.is_personal(turn_context.activity)  # else: a team or a group chat
        if personal:
            await remember(self._deps_for(turn_context), parse.caller(turn_context.activity))
        if turn_context.activity.action == "add":  # not on "add-upgrade": they know us
            welcome = WELCOME if personal else ONLY_ONE_TO_ONE_WELCOME
            await turn_context.send_activity(render.activity(simple(welcome)))

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        # In a personal chat Teams announces the bot joining (the app installed) or the
        # person: either way the sender is the person to reach in this conversation.
        activity = turn_context.activity
        joined = {m.id for m in members_added}
        bot_id = activity.recipient.id if activity.recipient else None
        if not parse.is_personal(activity):
            return  # a group or channel roster change: nobody to reach there
        if activity.from_property and ({activity.from_property.id, bot_id} & joined):
            await remember(self._deps_for(turn_context), parse.caller(turn_context.activity))

    def _directory(self, turn_context: TurnContext) -> TurnDirectory:
        return TurnDirectory(turn_context, emails_trusted=self.emails_trusted)

    def _deps_for(self, turn_context: TurnContext) -> Deps:
        directories = {**self.deps.directories, parse.PLATFORM: self._directory(turn_context)}
        return dataclasses.replace(self.deps, directories=directories)


def _event_key(activity: Activity) -> str:
    """Teams redelivers an activity it thinks went unanswered: each id is handled once. An
    activity without an id (never from Teams) cannot be recognised again, but its answer
    still needs a key of its own in the outbox."""
    return f"teams:{activity.conversation.id}:{activity.id or uuid.uuid4()}"
