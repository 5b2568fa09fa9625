"""Asking before a step that cannot be undone: the warning says what will happen, and a
Confirm button (or the same command typed with `confirm` at the end) goes ahead.

The button carries the command itself, with the warnings it answered and when it was
asked, as plain text: nothing in it needs to be trusted. The click runs the command
again as the clicker, re-checking everything (their right to do it, the people, the
pairs), and asks again if a warning appeared that the click did not answer, or if the
question is older than CONFIRM_WITHIN. A forged value can do no more than the clicker
could by typing `confirm`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from handlers.commands import Enrol, PairUp, parse
from handlers.grammar import Handle, PersonRef
from handlers.views import Actions, Button, MessageView, Note, Section, note, section

CONFIRM = "confirm"  # the button's action id
CONFIRM_WITHIN = timedelta(minutes=30)
VALUE_LIMIT = 2000  # Slack's limit on a button's value
STAMP = "%Y%m%dT%H%M%SZ"
# `confirm` is a word added to the command, not a command itself: code, not a CommandHint
# (which Slack would show as `/mentoring confirm`).
TYPE_CONFIRM = "type the same command with `confirm` at the end."

Confirmable = PairUp | Enrol


@dataclass(frozen=True)
class Warning:
    code: str  # what the click answers: it goes ahead only if nothing new came up since
    says: Section


@dataclass(frozen=True)
class Confirmation:
    command: Confirmable  # with confirm=True
    answered: frozenset[str]
    asked_at: datetime


def ask(
    command: Confirmable,
    warnings: list[Warning],
    now: datetime,
    *,
    label: str,
    preface: str | None = None,
) -> MessageView:
    """The warning, and the button that goes ahead. `command` names its program."""
    blocks: list[Section | Actions | Note] = [section(preface)] if preface else []
    blocks += [w.says for w in warnings]
    blocks.append(section("This cannot be undone, so I have done nothing yet."))
    value = _value(command, warnings, now)
    if len(value) <= VALUE_LIMIT:
        blocks.append(Actions(buttons=[Button(label=label, action=CONFIRM, value=value)]))
        minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
        blocks.append(note(f"The button works for {minutes} minutes. Or {TYPE_CONFIRM}"))
    else:  # names too long for a button: typing is the way
        blocks.append(note(f"To go ahead, {TYPE_CONFIRM}"))
    return MessageView(
        notification="Please confirm: this cannot be undone.", title="Please confirm", blocks=blocks
    )


def read(value: str) -> Confirmation | None:
    """The confirmation a button carries; None for anything this version did not make."""
    stamp, _, rest = value.partition("|")
    codes, _, text = rest.partition("|")
    try:
        asked_at = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    command = parse(text)
    if not isinstance(command, Confirmable) or not command.confirm:
        return None
    return Confirmation(command, frozenset(filter(None, codes.split(","))), asked_at)


def _value(command: Confirmable, warnings: list[Warning], now: datetime) -> str:
    codes = ",".join(sorted({w.code for w in warnings}))
    return f"{now.astimezone(UTC):{STAMP}}|{codes}|{_bare(command).to_text()}"


def _bare(command: Confirmable) -> Confirmable:
    """The command with confirm set, and mentions without their display names (the id is
    what finds the person; names would only use up Slack's 2,000 characters)."""
    if isinstance(command, PairUp):
        return replace(
            command, mentor=_id_only(command.mentor), mentee=_id_only(command.mentee), confirm=True
        )
    return replace(command, person=_id_only(command.person), confirm=True)


def _id_only(ref: PersonRef) -> PersonRef:
    return Handle(ref.external_id) if isinstance(ref, Handle) else ref
