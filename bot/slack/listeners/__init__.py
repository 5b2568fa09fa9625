"""Bolt listeners, grouped by surface; each module has `register(app, deps)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.answering import Answering
from bot.slack.listeners import actions, commands, events, views
from handlers.context import Deps


def register(app: AsyncApp, deps: Deps, answering: Answering) -> None:
    commands.register(app, deps, answering)
    actions.register(app, deps, answering)
    events.register(app, deps, answering)
    views.register(app, deps)
