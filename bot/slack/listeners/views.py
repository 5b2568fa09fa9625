"""Forms as Slack modals. A click on a button that opens a form (bot.slack.listeners.actions
sends it here) opens the modal straight after its acknowledgement, with the click's trigger
id, which Slack honours for 3 seconds. A submission is checked by the core BEFORE it is
acknowledged, because Slack shows problems next to each question only when they come in the
acknowledgement (`response_action: errors`); a good one is answered in the modal itself."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import modals, parse
from bot.slack.workspace import HOME
from handlers.context import Caller, Deps
from handlers.deadline import Deadline
from handlers.form_router import handle_open_form, handle_submission
from handlers.forms import FormErrors, Submission
from handlers.once import remember_event
from handlers.views import MessageView, simple

log = structlog.get_logger("mentorbot.slack")
# Every submission, whatever its callback id: the core decides what a form's action means.
ANY_SUBMISSION = {"type": "view_submission", "callback_id": re.compile(r"")}
NOT_OPENED = "Slack did not let mentorbot open that form in time. Please press the button again."
CHANGED = "This form has changed since it was opened. Nothing was saved: please open it again."


async def open_form(
    deps: Deps,
    client: AsyncWebClient,
    caller: Caller,
    click: tuple[str, str, object],
    answer_to: tuple[str, dict[str, Any] | None],
) -> None:
    """After a click (action, value, trigger id) is acknowledged: the form its button
    opens, in a modal, or a private word saying why not, queued in the outbox for the
    click's (key, response_url) `answer_to`, so that Slack being down delays it."""
    action, value, trigger_id = click
    opened = await handle_open_form(deps, caller, action, value)
    if isinstance(opened, MessageView):
        await _say(deps, caller, answer_to, opened)
        return
    try:
        if not isinstance(trigger_id, str):
            raise ValueError("no trigger id")
        await client.views_open(trigger_id=trigger_id, view=modals.modal(opened))
    except (SlackApiError, ValueError) as error:
        # expired_trigger_id: more than 3 s since the click. Ids and Slack's code only.
        reason = error.response.get("error") if isinstance(error, SlackApiError) else "no_trigger"
        log.warning("slack_form_not_opened", action=action, error=str(reason))
        await _say(deps, caller, answer_to, simple(NOT_OPENED))


async def _say(
    deps: Deps,
    caller: Caller,
    answer_to: tuple[str, dict[str, Any] | None],
    answer: MessageView,
) -> None:
    key, reply_to = answer_to
    if reply_to is None:  # a click always has a response_url: nothing to answer it through
        return
    await remember_event(deps, caller, key, answer, deadline=Deadline(reply_to, late=True))


async def refuse_malformed(
    body: dict[str, Any], next_: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """Over HTTP, bot.slack.app refuses a malformed submission before Bolt sees it; over
    Socket Mode this is the check: a 400, never a KeyError in the listener."""
    problem = modals.malformed_submission(body)
    if problem:
        log.warning("slack_view_submission_malformed", field=problem)  # a path, never a value
        return BoltResponse(status=400, body={"error": "malformed view_submission"})
    await next_()
    return None


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ANY_SUBMISSION, middleware=[refuse_malformed])
    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        user = body["user"]
        team = body.get("team") if isinstance(body.get("team"), dict) else {}
        caller = parse.caller(
            user["id"], user.get("team_id") or team.get("id"), home=context.get(HOME, False)
        )
        values = view["state"]["values"]
        submission = Submission(
            action=view["callback_id"],
            value=view.get("private_metadata", ""),
            answers=modals.answers(values),
        )
        result = await handle_submission(deps, caller, submission)
        if isinstance(result, FormErrors):
            if result.errors.keys() <= values.keys():
                await ack(response_action="errors", errors=result.errors)
                return
            # A question this modal does not show (it was opened before the form changed):
            # Slack would refuse errors for it, so the person is told in words.
            result = simple(CHANGED)
        await ack(response_action="update", view=modals.answered(result, modals.title_of(view)))
