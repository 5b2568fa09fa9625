"""Concerns: raised by a pair member, sent to the program's managers at once, acted on;
the reporter kept in the loop."""

from handlers.concerns.actions import acknowledge, act_by_command, resolve_concern
from handlers.concerns.copies import hand_over, withdraw
from handlers.concerns.raising import raise_concern
from handlers.concerns.recipients import recipients_for, seen_by
from handlers.concerns.reporter import my_concerns
from handlers.concerns.view import ACKNOWLEDGE, RESOLVE

__all__ = [
    "ACKNOWLEDGE",
    "RESOLVE",
    "acknowledge",
    "act_by_command",
    "hand_over",
    "my_concerns",
    "raise_concern",
    "recipients_for",
    "resolve_concern",
    "seen_by",
    "withdraw",
]
