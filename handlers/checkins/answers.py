"""What a check-in asks, and what an answer means: the form, its choices in words, the
concern an answer raises. Pure: no session, no platform."""

from __future__ import annotations

from datetime import datetime

from handlers.forms import Choice, ChoiceField, Form, TextField, ToggleField
from handlers.timefmt import when
from handlers.views import Actions, Button, Fact, Mention, MessageView, fact, note, section
from storage.models import Checkin, Feeling, Obstacle

ANSWER = "checkin.answer"  # the prompt's button: opens the form (handlers/form_router.py)
FEELINGS = {
    Feeling.GOOD: "Good",
    Feeling.OKAY: "Okay",
    Feeling.STRUGGLING: "Struggling",
}
OBSTACLES = {
    Obstacle.NOTHING: "Nothing",
    Obstacle.NOT_MEETING: "We are not meeting",
    Obstacle.NO_PREPARATION: "My partner doesn't prepare",
    Obstacle.CONFIDENTIALITY: "Confidentiality",
    Obstacle.MISMATCH: "Not a good match",
    Obstacle.SOMETHING_ELSE: "Something else",
}
CONCERN_KIND = {
    Obstacle.NOT_MEETING: "missed-meeting",
    Obstacle.NO_PREPARATION: "missed-preparation",
    Obstacle.CONFIDENTIALITY: "confidentiality",
    Obstacle.MISMATCH: "mismatch",
}
MOST_WORDS = 2000
SHARE = "Share my words with the program manager"
CONTACT = "I would like the program manager to contact me"


def checkin_form(checkin: Checkin, partner: str) -> Form:
    return Form(
        action=ANSWER,
        value=str(checkin.id),
        title="Check-in",
        intro=[
            section(f"How is it going with {partner}? Your partner never sees your answers."),
            note(
                "Your partner is never told. Your words reach the program manager only if "
                "you choose to share them."
            ),
        ],
        fields=[
            ChoiceField(
                name="feeling",
                label="How is it going?",
                choices=[Choice(value=v, label=label) for v, label in FEELINGS.items()],
                required=True,
            ),
            ChoiceField(
                name="obstacle",
                label="What gets in the way?",
                choices=[Choice(value=v, label=label) for v, label in OBSTACLES.items()],
            ),
            TextField(
                name="words",
                label="Anything you would like to add?",
                multiline=True,
                max_length=MOST_WORDS,
                placeholder="Optional",
            ),
            ToggleField(name="share_words", label=SHARE),
            ToggleField(name="wants_contact", label=CONTACT),
        ],
        submit="Send",
    )


def concern_kind(checkin: Checkin) -> str | None:
    """The kind of concern an answer raises at once, or None: struggling with a reason,
    any answer of confidentiality, or asking to be contacted."""
    obstacle = checkin.obstacle
    struggling = checkin.feeling == Feeling.STRUGGLING
    reason = obstacle is not None and obstacle != Obstacle.NOTHING
    confidentiality = obstacle == Obstacle.CONFIDENTIALITY
    if not (struggling and reason) and not confidentiality and not checkin.wants_contact:
        return None
    return CONCERN_KIND.get(Obstacle(obstacle), "other") if obstacle else "other"


def answer_facts(checkin: Checkin) -> list[Fact]:
    """The choices made, in words (never the free text)."""
    feeling = FEELINGS.get(Feeling(checkin.feeling), "") if checkin.feeling else "—"
    obstacle = OBSTACLES.get(Obstacle(checkin.obstacle), "") if checkin.obstacle else "—"
    return [
        fact("How it is going", feeling),
        fact("What gets in the way", obstacle),
        fact("Contact asked for", "yes" if checkin.wants_contact else "no"),
    ]


def prompt_view(checkin: Checkin, partner: Mention, *, reminder: bool = False) -> MessageView:
    ask = "A reminder: how" if reminder else "How"
    return MessageView(
        notification=f"{ask} is it going with your mentoring partner?",
        title="Check-in",
        blocks=[
            section(f"{ask} is it going with ", partner, "?"),
            note("A few questions, answered privately: your partner is never told."),
            Actions(buttons=[Button(label="Answer", action=ANSWER, value=str(checkin.id))]),
        ],
    )


def answered_view(checkin: Checkin, partner: Mention, timezone: str | None) -> MessageView:
    """The prompt, updated in place once answered: what was chosen and when; no words."""
    return MessageView(
        notification="Check-in answered. Thank you.",
        title="Check-in",
        blocks=[
            section("How is it going with ", partner, "? Answered ", _at(checkin, timezone), "."),
            section(*_chosen(checkin)),
            note("Only you see this."),
        ],
    )


def _chosen(checkin: Checkin) -> list[str]:
    feeling = FEELINGS[Feeling(checkin.feeling)] if checkin.feeling else ""
    parts = [f"You said: {feeling}"]
    if checkin.obstacle:
        parts.append(f"; in the way: {OBSTACLES[Obstacle(checkin.obstacle)]}")
    if checkin.wants_contact:
        parts.append("; you asked to be contacted")
    return ["".join(parts) + "."]


def _at(checkin: Checkin, timezone: str | None) -> str:
    answered: datetime | None = checkin.answered_at
    return when(answered, timezone)
