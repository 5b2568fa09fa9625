"""Which message was not delivered, and why, as a manager reads it."""

from __future__ import annotations

import pytest

from handlers.undelivered import Failed, what, why
from handlers.views import Mention
from storage.models import Subject


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        # The messengers store their reasons in words already (tests/unit/test_slack_errors.py,
        # tests/teams_app/test_delivery_errors.py): shown as they are.
        (
            "their Slack account is deactivated (user_disabled)",
            "their Slack account is deactivated (user_disabled)",
        ),
        (
            "not reachable on a connected platform (known on: slack)",
            "not reachable on a connected platform (known on: slack)",
        ),
        (None, "unknown error"),
        ("", "unknown error"),
    ],
)
def test_why_is_the_reason_the_messenger_recorded(reason: str | None, shown: str) -> None:
    assert why(reason) == shown


def test_which_message_as_inline_parts() -> None:
    ada, max_, sam = Mention(name="Ada"), Mention(name="Max"), Mention(name="Sam")
    greeting = Failed(Subject.GREETING, 3, "user_not_found", pair_id=7)
    assert what(greeting, sam, (max_, sam)) == [
        "greeting to ",
        sam,
        " for the pair ",
        max_,
        " & ",
        sam,
    ]
    dm = Failed(Subject.CONCERN, 1, None, pair_id=7, concern_id=3)
    assert what(dm, ada, None) == ["concern #3 DM to manager ", ada]
    reminder = Failed(Subject.ESCALATION, 1, None, pair_id=7, concern_id=3)
    assert what(reminder, ada, None) == ["concern #3 reminder to manager ", ada]
    update = Failed(Subject.CONCERN_UPDATE, 1, None, concern_id=3)
    assert what(update, ada, None) == ["concern #3 update to manager ", ada]
    receipt = Failed(Subject.REPORTER_UPDATE, 2, None, concern_id=3)
    assert what(receipt, sam, None) == ["concern #3 update to its reporter ", sam]
    assert what(greeting, sam, None) == ["message to ", sam]  # pair is gone
    assert what(Failed(Subject.OTHER, 2, None), sam, None) == ["message to ", sam]
