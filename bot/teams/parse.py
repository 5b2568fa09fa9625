"""Teams activity → neutral command text and caller. Teams sends HTML-ish text in which
each mention is `<at>Name</at>`, described by a `mention` entity; the bot's own mention is
dropped, others become neutral mention tokens; the rest is plain text."""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from handlers.context import Caller
from handlers.grammar import MENTION_CLOSE, MENTION_OPEN

PLATFORM = "teams"
TAG = re.compile(r"<[^>]+>")
BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)


def command_text(activity: Activity) -> str:
    text = (activity.text or "").replace(MENTION_OPEN, "").replace(MENTION_CLOSE, "")
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if entity.type != "mention":
            continue
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        marker = props.get("text") or f"<at>{mentioned.get('name', '')}</at>"
        replacement = "" if mentioned.get("id") == bot_id else _token(mentioned)
        text = text.replace(marker, replacement, 1)
    text = BREAK.sub(" ", text)
    return html.unescape(TAG.sub("", text)).replace("\xa0", " ").strip()


def _token(mentioned: dict[str, Any]) -> str:
    name = str(mentioned.get("name", "")).replace("|", " ")
    return f"{MENTION_OPEN}{mentioned.get('id', '')}|{name}{MENTION_CLOSE}"


def tenant_of(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    tenant = (activity.channel_data or {}).get("tenant") or {}
    return tenant.get("id")


def tenant_of_body(body: dict[str, Any]) -> str | None:
    """The tenant an incoming body names, read before botbuilder sees it: anything but a
    string (junk in channelData, which is free-form) names no tenant."""
    tenant = _field(body, "conversation", "tenantId") or _field(body, "channelData", "tenant", "id")
    return tenant if isinstance(tenant, str) else None


def _field(body: Any, *path: str) -> Any:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def caller(activity: Activity) -> Caller:
    """Who sent the activity. No e-mail address: Teams does not send one, and the core asks
    the turn's directory for it on first contact."""
    sender = activity.from_property
    tenant = tenant_of(activity)
    return Caller(
        platform=PLATFORM,
        external_id=sender.id,
        workspace_id=tenant,
        name=sender.name or None,
        address=_personal_address(activity),
        aliases=(sender.aad_object_id,) if sender.aad_object_id else (),
        peer_address={
            "service_url": activity.service_url,
            "tenant_id": tenant,
            "bot_id": activity.recipient.id if activity.recipient else None,
        },
        timezone=time_zone(activity),
    )


def time_zone(activity: Activity) -> str | None:
    """The sender's IANA zone, as their Teams client reports it; anything else (an offset,
    a Windows zone name, junk) is ignored rather than stored and shown."""
    name = activity.local_timezone
    return name if isinstance(name, str) and name in _iana_zones() else None


@cache
def _iana_zones() -> frozenset[str]:
    # Read once: tzdata's list of zones does not change while the process runs. "localtime"
    # is the server's own zone file, not an IANA name.
    return frozenset(available_timezones() - {"localtime"})


def is_personal(activity: Activity) -> bool:
    """Is this the sender's 1:1 chat with the bot (the Emulator names no type)? A group
    chat or a channel is never where a person's DMs go, nor where their answers are read."""
    kind = activity.conversation.conversation_type if activity.conversation else None
    return kind in (None, "personal")


def _personal_address(activity: Activity) -> dict[str, Any] | None:
    """How to write to the sender privately: this conversation, if it is their 1:1."""
    if not is_personal(activity):
        return None
    return {"reference": TurnContext.get_conversation_reference(activity).serialize()}
