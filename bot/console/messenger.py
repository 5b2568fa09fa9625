"""Delivers DMs by printing them, and keeps their buttons pressable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.console.render import render
from handlers.ports import Address, PermanentFailure, RecipientUnreachable, SentRef
from handlers.views import Actions, MessageView

# A person typed into `unreachable` is as good as gone (the console speaks Slack's codes).
GONE = "their account was not found (user_not_found)"
MESSAGE_GONE = "the message to update no longer exists (message_not_found)"


@dataclass
class PressableButton:
    owner: str  # the console handle the message went to
    action: str
    value: str
    label: str
    message_id: int  # negative: a private answer's


class ConsoleMessenger:
    platform = "console"

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.buttons: dict[int, PressableButton] = {}
        self.unreachable: set[str] = set()
        self._messages = 0
        self._buttons_made = 0
        self._answers = 0  # private answers, numbered -1, -2, … apart from DMs

    async def post(
        self, to: Address, view: MessageView, *, outbox_id: int | None = None
    ) -> SentRef:
        # Nothing here awaits: the dispatcher starts sends in the order they were queued,
        # so printing at once keeps the transcript, and so `press N`, in that order.
        if to.external_id in self.unreachable:
            raise RecipientUnreachable(GONE)
        self._messages += 1
        self._show(f"📨 DM to @{to.external_id}", to.external_id, self._messages, view)
        return {"message": self._messages, "to": to.external_id}

    async def reply(self, reply_to: dict[str, Any], view: MessageView) -> SentRef:
        # Never written for this platform: its edge answers in the turn, or by DM.
        raise PermanentFailure("no way to reply to a request here")

    async def update(self, ref: SentRef, view: MessageView) -> SentRef:
        if ref["to"] in self.unreachable:  # gone since the message arrived
            raise PermanentFailure(MESSAGE_GONE)
        self._show(
            f"✏️  DM to @{ref['to']} updated (message {ref['message']})",
            ref["to"],
            ref["message"],
            view,
        )
        return ref

    async def find_sent(self, to: Address, outbox_id: int, since: datetime) -> SentRef | None:
        return None  # what the console printed is gone with the process that printed it

    def private_answer(self, owner: str, view: MessageView) -> list[str]:
        """The lines of an answer only `owner` sees; its buttons (a confirmation's) are
        pressable like a DM's, numbered on from them."""
        self._answers += 1
        return render(view, self._number_buttons(owner, -self._answers, view))

    def _show(self, heading: str, owner: str, message_id: int, view: MessageView) -> None:
        labels = self._number_buttons(owner, message_id, view)
        self.write(heading)
        for line in render(view, labels):
            self.write(f"   {line}")

    def _number_buttons(self, owner: str, message_id: int, view: MessageView) -> list[str]:
        for number in [n for n, b in self.buttons.items() if b.message_id == message_id]:
            del self.buttons[number]  # an updated message replaces its old buttons
        labels = []
        for block in view.blocks:
            if isinstance(block, Actions):
                for button in block.buttons:
                    self._buttons_made += 1
                    number = self._buttons_made
                    self.buttons[number] = PressableButton(
                        owner, button.action, button.value, button.label, message_id
                    )
                    labels.append(f"[{number}: {button.label}]")
        return labels
