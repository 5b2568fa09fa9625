"""The Teams activity handler: messages and card submits run the same core as Slack;
installation and conversation updates store how to reach the person later."""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount, ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams import parse, render
from handlers.context import Deps
from handlers.ports import Profile
from handlers.router import handle_action, handle_text, knows, remember
from handlers.views import MessageView, simple

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

    def __init__(self, turn: TurnContext) -> None:
        self.turn = turn

    async def by_id(self, external_id: str) -> Profile | None:
        return await self._member(external_id)

    async def by_email(self, email: str) -> Profile | None:
        return await self._member(email)  # Teams accepts a UPN where it takes a member id

    async def _member(self, member_id: str) -> Profile | None:
        try:
            member = await TeamsInfo.get_member(self.turn, member_id)
        except (
            ErrorResponseException,  # not found, throttled, …: the lookup is only a help
            ClientRequestError,  # no answer from the connector
            ValueError,  # no connector client in this turn (e.g. botbuilder's TestAdapter)
            KeyError,
            TypeError,  # no channelData to tell a team from a personal chat
            AttributeError,
        ):
            return None
        email = member.email or member.user_principal_name
        return Profile(member.id, member.name or member.id, email.lower() if email else None)


class MentorbotTeamsBot(ActivityHandler):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not parse.is_personal(activity):
            await turn_context.send_activity(render.activity(simple(ONLY_ONE_TO_ONE)))
            return
        answer = await self._answer(turn_context)
        if answer is not None:  # None: Teams redelivered an activity already handled
            await turn_context.send_activity(render.activity(answer))

    async def _answer(self, turn_context: TurnContext) -> MessageView | None:
        activity = turn_context.activity
        deps = self._deps_for(turn_context)
        caller = await self._caller(turn_context)
        # Teams redelivers an activity it thinks went unanswered: handle each id once.
        event_key = f"teams:{activity.conversation.id}:{activity.id}" if activity.id else None
        if isinstance(activity.value, dict):  # an Action.Submit of a card
            # A card of another version may carry other data: it is still a click, never
            # a typed command (its text is empty), so it gets "no longer does anything".
            submitted = activity.value
            action, value = str(submitted.get("action", "")), str(submitted.get("value", ""))
            return await handle_action(deps, caller, action, value, event_key=event_key)
        text = parse.command_text(activity)
        return await handle_text(deps, caller, text, event_key=event_key)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        personal = parse.is_personal(turn_context.activity)  # else: a team or a group chat
        if personal:
            await remember(self.deps, await self._caller(turn_context))
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
            await remember(self.deps, await self._caller(turn_context))

    async def _caller(self, turn_context: TurnContext) -> Any:
        activity = turn_context.activity
        email = None
        if not await knows(self.deps, parse.PLATFORM, activity.from_property.id):
            profile = await TurnDirectory(turn_context).by_id(activity.from_property.id)
            email = profile.email if profile else None
        return parse.caller(activity, email=email)

    def _deps_for(self, turn_context: TurnContext) -> Deps:
        directories = {**self.deps.directories, parse.PLATFORM: TurnDirectory(turn_context)}
        return dataclasses.replace(self.deps, directories=directories)
