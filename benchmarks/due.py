"""The due-work benchmarks, printed as two small tables per database:

1. the due sweep finding and enqueuing the same number of due check-ins among 1,000 and
   among 100,000 pairs (benchmarks/due_sweep.py; goal: at most 2× apart);
2. a round for 10,000 pairs all due: the sweep's peak RSS in a process of its own (goal:
   under 300 MB), and the time the round takes to leave through the dispatcher to a fake
   Slack that never limits (benchmarks/due_send.py)."""

from __future__ import annotations

import statistics

import due_send
import due_sweep
from due_send import Round
from due_sweep import Sweeps
from stats import percentile

SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
QUICK_ROUND = 1_000
SWEEP_GOAL = 2.0  # the larger size's median sweep, as a multiple of the smaller's
RSS_GOAL_MB = 300.0


async def run(databases: list[tuple[str, str]], quick: bool) -> None:
    sizes = QUICK_SIZES if quick else SIZES
    round_pairs = QUICK_ROUND if quick else due_send.ROUND_PAIRS
    rounds = 2 if quick else due_sweep.ROUNDS
    for url, label in databases:
        print(
            f"\ndue check-ins ({label}): the due sweep (scheduler.runner.run_due) finding and "
            f"enqueuing {2 * due_sweep.DUE_PAIRS} due check-ins among idle pairs, "
            f"{rounds} sweeps per size after one to warm up"
        )
        results = await due_sweep.measure(url, sizes, rounds)
        print_sweeps(results)
        print(
            f"\n  a round for {round_pairs:,} pairs all due ({2 * round_pairs:,} check-ins), "
            "enqueued in a process of its own, then sent to a fake Slack that never limits"
        )
        print_round(await due_send.measure(url, round_pairs))


def print_sweeps(results: list[Sweeps]) -> None:
    print(
        f"    {'idle pairs':>11}{'seeded in':>11}{'sweep p50':>11}{'max':>10}"
        f"{'CPU p50':>10}{'waited for CPU':>16}{'per check-in':>14}{'statements':>12}"
    )
    for r in results:
        per_item = r.median / (2 * due_sweep.DUE_PAIRS)
        print(
            f"    {r.pairs:>11,}{r.seed_seconds:>9.1f} s{_ms(r.median):>11}"
            f"{_ms(percentile(r.seconds, 100)):>10}{_ms(statistics.median(r.cpu)):>10}"
            f"{_ms(statistics.median(r.cpu_wait)):>16}{per_item * 1000:>11.1f} ms"
            f"{r.statements[0]:>12,}"
        )
    small, large = results[0], results[-1]
    ratios = {
        "wall": large.median / small.median,
        "without the waits for a CPU": large.own_median / small.own_median,
        "CPU": statistics.median(large.cpu) / statistics.median(small.cpu),
    }
    print(
        f"    {large.pairs:,} ÷ {small.pairs:,} pairs, sweep p50: "
        + ", ".join(f"{name} {ratio:.2f}×" for name, ratio in ratios.items())
        + f" (goal ≤ {SWEEP_GOAL:.0f}×: "
        + ("goal met" if max(ratios.values()) <= SWEEP_GOAL else _which_met(ratios))
        + "); statements per sweep "
        + ("the same" if small.statements == large.statements else "DIFFER")
    )


def _which_met(ratios: dict[str, float]) -> str:
    met = [name for name, ratio in ratios.items() if ratio <= SWEEP_GOAL]
    return f"met by {', '.join(met)} only" if met else "not met"


def print_round(r: Round) -> None:
    enqueued = r.enqueued
    peak, before = enqueued["rss_peak_mb"], enqueued["rss_before_mb"]
    verdict = "goal met" if peak < RSS_GOAL_MB else "not met"
    done, seconds = int(enqueued["done"]), enqueued["seconds"]
    print(
        f"    enqueued: {done:,} check-ins in {seconds:.1f} s ({done / seconds:,.0f}/s), "
        f"{enqueued['cpu_seconds'] / done * 1000:.1f} ms CPU each; "
        + _time_split(seconds, enqueued["loop_ran_seconds"], enqueued["loop_waited_seconds"])
    )
    print(
        f"    peak RSS {peak:.0f} MB, {before:.0f} MB of it before the sweep began "
        f"(goal < {RSS_GOAL_MB:.0f} MB: {verdict})"
    )
    sent = max(r.sent, 1)
    print(
        f"    sent: {r.sent:,} prompts in {r.send_seconds:.1f} s = {r.per_second:,.0f} "
        f"messages/s ({r.arrived:,} reached the fake Slack), "
        f"{r.send_cpu / sent * 1000:.2f} ms CPU each (the fake Slack's: "
        f"{r.fake_cpu / sent * 1000:.2f} ms); "
        + _time_split(r.send_seconds, r.loop_ran, r.loop_waited)
    )
    print(f"    the round, enqueued then sent: {seconds + r.send_seconds:.0f} s")


def _time_split(seconds: float, ran: float, waited: float) -> str:
    """Where the event loop's wall time went: running, ready but waiting for a CPU (others'
    work on a shared machine), and idle: waiting for the database or Slack."""
    idle = max(seconds - ran - waited, 0.0)
    return (
        f"the event loop ran {ran / seconds:.0%} of the time, waited for a CPU "
        f"{waited / seconds:.0%}, waited for the database or Slack {idle / seconds:.0%}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:.1f} s"
