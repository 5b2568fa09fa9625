"""What one burst measured, and how it is printed: a small table per scenario."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from slash import ACK_DEADLINE, Command, Outcome
from stats import percentile

ANSWER_WINDOW = 10.0  # an empty ack's answer must reach the response_url within this
GOAL = 1.2  # help's p99, as a multiple of the bare Bolt app's
STATUS_MEANING = {
    404: "HTTP 404 (Bolt stopped waiting for the listener's ack after 3 s)",
    None: f"no HTTP answer within {ANSWER_WINDOW:.0f} s",
}
LEGEND = f"""\
  acked: HTTP 200 within {ACK_DEADLINE:.0f} s, empty or not. ack p50/p99: until the HTTP
  answer, whatever it was. answered: content (not an apology) in an ack within {ACK_DEADLINE:.0f} s
  ("in ack"), or at the response_url within {ANSWER_WINDOW:.0f} s of sending ("late").
  cmd/s: answered ÷ (first sent → last answered). CPU/cmd: the process's user+system time
  (/proc, 10 ms ticks) from the burst's start until it and the work it caused (late
  commits, DMs) were done, ÷ commands."""
HEADER = (
    f"    {'':<10}{'acked':>9}{'ack p50':>10}{'ack p99':>10}{'answered':>10}"
    f"{'in ack':>8}{'late':>6}{'cmd/s':>7}{'CPU/cmd':>10}"
)


@dataclass
class Burst:
    name: str
    outcomes: list[Outcome]
    # response_id → when its answer reached the response_url (not answered in the ack)
    late: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    raised: Counter[str] = field(default_factory=Counter)  # concern rows per words
    dms: int = 0
    dms_expected: int = 0
    dms_seconds: float = 0.0

    @property
    def start(self) -> float:
        return min(o.started for o in self.outcomes)

    @property
    def ack_seconds(self) -> list[float]:
        return [o.seconds for o in self.outcomes if o.seconds is not None]

    def p99(self) -> float:
        return percentile(self.ack_seconds, 99) if self.ack_seconds else float("inf")

    def in_ack(self) -> int:
        return sum(1 for o in self.outcomes if o.answered)

    def too_late(self) -> list[float]:
        """Seconds from sending to an answer at the response_url, past ANSWER_WINDOW."""
        sent = {o.command.response_id: o.started for o in self.outcomes}
        waits = [at - sent[rid] for rid, at in self.late.items()]
        return [wait for wait in waits if wait > ANSWER_WINDOW]

    def answer_times(self) -> list[float]:
        """When each answered command was answered: in the ack, or at the response_url."""
        times = []
        for outcome in self.outcomes:
            at = self.late.get(outcome.command.response_id)
            if outcome.answered:
                assert outcome.seconds is not None
                times.append(outcome.started + outcome.seconds)
            elif at is not None and at - outcome.started <= ANSWER_WINDOW:
                times.append(at)
        return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def print_scenario(scenario: str, commands: list[Command], ours: Burst, bare: Burst) -> None:
    kinds = Counter(c.text.split()[0] for c in commands)
    print(f"\n  {scenario}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
    print(HEADER)
    for result in (ours, bare):
        print_row(result)
    print(f"    p99 mentorbot ÷ bare Bolt: {ours.p99() / bare.p99():.1f}×")
    if kinds.get("concern"):
        print_concerns(ours, [c for c in commands if c.text.startswith("concern")])


def print_goal(ratios: list[float]) -> None:
    """help's p99 ratio, over rounds: one burst's p99 hangs on a few scheduling delays."""
    median = statistics.median(ratios)
    print(
        f"    help, {len(ratios)} rounds (bare Bolt, then mentorbot): p99 ratio "
        + ", ".join(f"{r:.1f}×" for r in ratios)
        + f"; median {median:.1f}× (goal ≤ {GOAL}×: {'goal met' if median <= GOAL else 'not met'})"
    )


def print_concerns(ours: Burst, sent: list[Command]) -> None:
    """Every concern raised exactly once: rows counted against requests sent, and the
    ones raised although their person saw a failure (who would then try again)."""
    raised = ours.raised
    outcomes = {o.command.response_id: o for o in ours.outcomes}
    words = {c.response_id: c.text.split(" ", 2)[2] for c in sent}
    twice = sum(n - 1 for n in raised.values() if n > 1)
    missing = sum(1 for w in words.values() if w not in raised)
    failed_yet_raised = sum(
        1
        for rid, w in words.items()
        if w in raised and (not outcomes[rid].in_time or outcomes[rid].sorry)
    )
    verdict = (
        "each raised exactly once"
        if not twice and not missing and raised.total() == len(sent)
        else f"MISMATCH: {twice} raised twice, {missing} not raised"
    )
    print(f"    concerns: {len(sent)} sent, {raised.total()} rows: {verdict}")
    if failed_yet_raised:
        print(
            f"      {failed_yet_raised} raised although Slack would have shown the person a "
            "failure (no ack within 3 s, or 'Something went wrong'): a retry raises it twice"
        )
    print(
        f"    manager DMs: {ours.dms}/{ours.dms_expected}, the last "
        f"{ours.dms_seconds:.1f} s after the burst began"
    )


def print_row(result: Burst) -> None:
    outcomes = result.outcomes
    n = len(outcomes)
    in_time = sum(1 for o in outcomes if o.in_time)
    times = result.answer_times()
    per_second = len(times) / (max(times) - result.start) if times else 0.0
    latencies = result.ack_seconds
    p50, p99 = (_ms(statistics.median(latencies)), _ms(result.p99())) if latencies else ("-", "-")
    print(
        f"    {result.name:<10}{f'{in_time}/{n}':>9}{p50:>10}{p99:>10}"
        f"{f'{len(times)}/{n}':>10}{result.in_ack():>8}{len(times) - result.in_ack():>6}"
        f"{per_second:>7,.0f}{result.cpu_seconds / n * 1000:>7.2f} ms"
    )
    problems = []
    if failed := Counter(o.status for o in outcomes if o.status != 200):
        problems.append(
            "not acked: "
            + ", ".join(
                f"{count} × {STATUS_MEANING.get(status, f'HTTP {status}')}"
                for status, count in failed.items()
            )
        )
    if slow := sum(1 for o in outcomes if o.status == 200 and not o.in_time):
        problems.append(f"{slow} × HTTP 200 after {ACK_DEADLINE:.0f} s (Slack shows a failure)")
    if too_late := result.too_late():
        problems.append(
            f"{len(too_late)} answered at the response_url after {ANSWER_WINDOW:.0f} s "
            f"(the last after {max(too_late):.1f} s)"
        )
    if sorry := sum(1 for o in outcomes if o.sorry):
        problems.append(f"{sorry} answered 'Something went wrong'")
    if problems:
        print(f"      {'; '.join(problems)}")
