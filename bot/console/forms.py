"""A form in the console: its questions asked one at a time, each answered on one line. A
choice by its number (or its words), a text as typed, a toggle y or n, a date yyyy-mm-dd;
an empty line skips a question that may be skipped. An answer that cannot be taken is said
why, and its question asked again; `cancel` abandons the form, and nothing is sent."""

from __future__ import annotations

from bot.console.render import printable, render
from handlers.forms import (
    Answer,
    Answers,
    ChoiceField,
    DateField,
    Form,
    FormErrors,
    FormField,
    Problem,
    TextField,
    ToggleField,
    check,
)
from handlers.views import MessageView

CANCEL = "cancel"
YES, NO = frozenset({"y", "yes"}), frozenset({"n", "no"})


class FormFill:
    """One person's way through one form."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.answers: Answers = {}
        self.pending: list[FormField] = list(form.fields)
        self.refused: dict[str, str] = {}  # the core's word on answers it would not take

    @property
    def done(self) -> bool:
        return not self.pending

    def opening(self) -> list[str]:
        """The form's heading and introduction (to print before its first question)."""
        heading = f"📝 {printable(self.form.title)} (only you see this; `{CANCEL}` stops)"
        intro = render(MessageView(notification=self.form.title, blocks=self.form.intro))
        return [heading, *(f"   {line}" for line in intro)]

    def question(self) -> list[str]:
        """The question now asked, as lines to print."""
        f = self.pending[0]
        said = [f"   ({self.refused[f.name]})"] if f.name in self.refused else []
        if isinstance(f, ToggleField):
            return [*said, f"   {printable(f.label)}? (y/n)"]
        hints = [] if _required(f) else ["Enter skips"]
        if isinstance(f, DateField):
            hints.insert(0, "yyyy-mm-dd")
        if isinstance(f, TextField):
            hints.append(f"at most {f.max_length:,} characters")
        hint = f" ({'; '.join(hints)})" if hints else ""
        lines = [*said, f"   {printable(f.label)}{hint}"]
        if isinstance(f, ChoiceField):
            numbered = (f"{n}. {printable(c.label)}" for n, c in enumerate(f.choices, 1))
            lines.append("   " + "  ".join(numbered))
        return lines

    def take(self, line: str) -> str | None:
        """Answer the question now asked with what was typed; the problem in words if it
        cannot be taken (the question stays), else None (on to the next)."""
        f = self.pending[0]
        raw = _raw(f, line.strip())
        answer = raw if isinstance(raw, Problem) else check(f, raw)
        if isinstance(answer, Problem):
            return answer.words
        self.answers[f.name] = raw  # as typed: the core checks the whole form again
        self.refused.pop(f.name, None)
        self.pending.pop(0)
        return None

    def ask_again(self, refused: FormErrors) -> None:
        """The core refused some answers: those questions are asked again, each with its
        problem, from the form as the core has it now (it may have changed meanwhile)."""
        self.form, self.refused = refused.form, refused.errors
        self.pending = [f for f in self.form.fields if f.name in refused.errors]


def _required(f: FormField) -> bool:
    return not isinstance(f, ToggleField) and f.required


def _raw(f: FormField, typed: str) -> Answer | Problem:
    """What was typed as the answer a platform would send (a choice's value, a bool)."""
    if isinstance(f, ToggleField):
        if not typed:
            return f.initial
        if typed.lower() in YES | NO:
            return typed.lower() in YES
        return Problem("Please answer y or n.")
    if not typed or not isinstance(f, ChoiceField):
        return typed or None
    if typed.isascii() and typed.isdigit():
        if 1 <= int(typed) <= len(f.choices):
            return f.choices[int(typed) - 1].value
    else:
        for choice in f.choices:
            if typed.casefold() == choice.label.casefold():
                return choice.value
    return Problem(f"Please type a number from 1 to {len(f.choices)}.")
