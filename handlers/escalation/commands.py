"""`program set ack-deadline high 30m`, `program set ack-deadline normal 2d`,
`program set escalation` (shows the policy) and `program set escalation repeat-high on|off`:
the values checked and written back in one form, so that a command that parses can be
stored as it is and rendered back to the same text. Pure: the parser imports it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.escalation.durations import CLOCK_DAY, WORKING_DAY, parse_minutes, short
from handlers.escalation.policy import HIGH, NORMAL
from handlers.grammar import quote

ACK_DEADLINE, ESCALATION = "ack-deadline", "escalation"
REPEAT_HIGH = "repeat-high"
# Whole minutes, per severity: (least, most, minutes in a typed day).
LIMITS = {HIGH: (5, 2 * CLOCK_DAY, CLOCK_DAY), NORMAL: (60, 10 * WORKING_DAY, WORKING_DAY)}
LIMITS_IN_WORDS = {
    HIGH: "A high-severity deadline is 5 minutes to 2 days of clock time (5m to 2d).",
    NORMAL: "A normal deadline is 1 working hour to 10 working days (1h to 10d).",
}
EXAMPLES = {
    ACK_DEADLINE: "program set ack-deadline high 30m",
    ESCALATION: f"program set escalation {REPEAT_HIGH} off",
}


@dataclass(frozen=True)
class ShowEscalation:
    """`program set escalation` alone: the program's escalation policy, and how to change it."""

    program: str | None = None

    def to_text(self) -> str:
        suffix = f" program {quote(self.program)}" if self.program else ""
        return f"program set {ESCALATION}{suffix}"


def checked_ack_deadline(words: str) -> str:
    """`high 30m` / `normal 2d` in its one written form (`high 1h` for `high 60m`);
    ValueError with what is wrong, in words, otherwise."""
    severity, _, typed = words.lower().partition(" ")
    if severity not in LIMITS:
        raise ValueError(f"Say which deadline, high or normal, as in `{EXAMPLES[ACK_DEADLINE]}`.")
    least, most, day = LIMITS[severity]
    if not typed.strip():
        example = "30m" if severity == HIGH else "2d"
        raise ValueError(
            f"Give the deadline, as in `program set {ACK_DEADLINE} {severity} {example}`."
        )
    minutes = parse_minutes(typed, day=day)
    if minutes is None:
        raise ValueError(
            f"“{typed.strip()[:20]}” is not a deadline: give minutes, hours or days, "
            "as in 30m, 4h or 2d."
        )
    if not least <= minutes <= most:
        raise ValueError(LIMITS_IN_WORDS[severity])
    return f"{severity} {short(minutes, day=day)}"


def ack_minutes(value: str) -> tuple[str, int]:
    """A checked `ack-deadline` value as (severity, minutes)."""
    severity, typed = value.split(" ")
    minutes = parse_minutes(typed, day=LIMITS[severity][2])
    assert minutes is not None
    return severity, minutes


def checked_escalation(words: str) -> str:
    """`repeat-high on|off`; ValueError with the forms otherwise."""
    found = words.lower().split()
    if len(found) == 2 and found[0] == REPEAT_HIGH and found[1] in ("on", "off"):
        return f"{REPEAT_HIGH} {found[1]}"
    raise ValueError(
        f"`program set {ESCALATION}` shows the policy; `program set {ESCALATION} {REPEAT_HIGH} "
        "on` or `off` says whether an urgent concern is reminded again every deadline at the "
        "last level until someone acknowledges it."
    )
