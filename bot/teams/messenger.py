"""Proactive messages to Teams users: continue the stored 1:1 conversation, or create it
(tenant, service URL and the user's id) for someone who never wrote to the bot."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
)
from msrest.exceptions import ClientRequestError

from bot.teams import render
from bot.teams.errors import NOT_INSTALLED, classify
from handlers.ports import (
    Address,
    PermanentFailure,
    RecipientUnreachable,
    SentRef,
    TemporaryFailure,
)
from handlers.views import MessageView


class TeamsMessenger:
    platform = "teams"

    def __init__(self, adapter: BotAdapter, app_id: str | None) -> None:
        self.adapter, self.app_id = adapter, app_id or ""

    async def post(
        self, to: Address, view: MessageView, *, outbox_id: int | None = None
    ) -> SentRef:
        outgoing = render.activity(view)
        reference = to.extra.get("reference")
        if reference:
            return await self._continue(reference, outgoing)
        return await self._create(to, outgoing)

    async def reply(self, reply_to: dict[str, Any], view: MessageView) -> SentRef:
        # Never written for this platform: its edge answers in the turn, or by DM.
        raise PermanentFailure("no way to reply to a request here")

    async def update(self, ref: SentRef, view: MessageView) -> SentRef:
        outgoing = render.activity(view, as_card=True)
        outgoing.id = ref["activity_id"]

        async def replace(turn: TurnContext) -> None:
            await turn.update_activity(outgoing)

        conversation = ConversationReference().deserialize(ref["reference"])
        await _call(self.adapter.continue_conversation(conversation, replace, self.app_id))
        return ref

    async def find_sent(self, to: Address, outbox_id: int, since: datetime) -> SentRef | None:
        """Teams has no history a bot can read: a message whose send had no known outcome
        is sent again (README: the Teams window)."""
        return None

    async def _continue(self, reference: dict[str, Any], outgoing: Activity) -> SentRef:
        sent: dict[str, str] = {}

        async def send(turn: TurnContext) -> None:
            sent["id"] = (await turn.send_activity(outgoing)).id

        conversation = ConversationReference().deserialize(reference)
        await _call(self.adapter.continue_conversation(conversation, send, self.app_id))
        return {"reference": reference, "activity_id": _confirmed(sent)}

    async def _create(self, to: Address, outgoing: Activity) -> SentRef:
        service_url, tenant = to.extra.get("service_url"), to.workspace_id
        if not service_url or not tenant:
            raise RecipientUnreachable(NOT_INSTALLED)
        bot_id = to.extra.get("bot_id") or f"28:{self.app_id}"
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=to.external_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        sent: dict[str, Any] = {}

        async def send(turn: TurnContext) -> None:
            turn.activity.from_property = ChannelAccount(id=to.external_id)  # the 1:1's person
            sent["reference"] = TurnContext.get_conversation_reference(turn.activity).serialize()
            sent["id"] = (await turn.send_activity(outgoing)).id

        await _call(
            self.adapter.create_conversation(  # type: ignore[call-arg]
                self.app_id, send, parameters, "msteams", service_url
            )
        )
        reference = sent["reference"]
        return {
            "reference": reference,
            "activity_id": _confirmed(sent),
            "address": {"reference": reference},
        }


def _confirmed(sent: dict[str, Any]) -> str:
    """The sent activity's id: without one the message cannot be updated, or may not exist."""
    if not sent.get("id"):
        raise TemporaryFailure("teams did not confirm the message (no activity id)")
    return str(sent["id"])


async def _call(request: Awaitable[Any]) -> Any:
    try:
        return await request
    except ErrorResponseException as error:
        raise classify(error) from None
    except (aiohttp.ClientError, ClientRequestError, TimeoutError) as error:
        # msrest (over requests) raises ClientRequestError when no answer came back.
        raise TemporaryFailure(f"connection failed: {type(error).__name__}") from None
