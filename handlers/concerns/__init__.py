"""Concerns: raised by a pair member, sent to the program's managers at once, acted on."""

from handlers.concerns.actions import acknowledge, resolve_concern
from handlers.concerns.copies import hand_over, withdraw
from handlers.concerns.raising import raise_concern
from handlers.concerns.recipients import seen_by
from handlers.concerns.view import ACKNOWLEDGE, RESOLVE

__all__ = [
    "ACKNOWLEDGE",
    "RESOLVE",
    "acknowledge",
    "hand_over",
    "raise_concern",
    "resolve_concern",
    "seen_by",
    "withdraw",
]
