"""The console's scripted tour, and a first transcript."""

from __future__ import annotations

import subprocess
import sys

from bot.console.session import DEMO_SETUP


async def test_concern_reaches_the_manager_and_acknowledge_updates_it(console) -> None:
    await console.setup(DEMO_SETUP)
    receipt = await console.say("omar", 'concern missed-meeting @sam "Sam missed two meetings"')
    assert receipt == "\n".join(
        [
            "🔒 mentorbot (only you see this):",
            "   Thank you. The program manager of Demo Mentoring has been told. I will let you "
            "know when it is acknowledged and when it is resolved, and by whom. Your partner has "
            "not been told.",
            "   (To see where your concerns stand: `concern status`)",
            "📨 DM to @maya",
            "   *Concern: missed meeting*",
            "   Program: Demo Mentoring",
            "   Pair: @omar (mentor) and @sam (mentee)",
            "   Raised by: @omar",
            "   Raised: Mon 23 Nov 2026, 09:00 Europe/London",
            "   > Sam missed two meetings",
            "   [5: Acknowledge]  [6: Resolve]",
            "   (The other member of the pair has not been told.)",
        ]
    )
    acknowledged = await console.say("maya", "press 5")
    assert "✏️  DM to @maya updated (message 7)" in acknowledged
    assert "*Acknowledged by you* · Mon 23 Nov 2026, 09:00 Europe/London" in acknowledged
    assert "[7: Resolve]" in acknowledged


def test_tour_runs_without_a_terminal_and_exits_zero(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in (
        '@maya › program create "Demo Mentoring"',
        "@maya › pair @omar @sam",
        "📨 DM to @sam",
        "@omar › concern missed-meeting",
        "📨 DM to @maya",
        "@maya pressed [Acknowledge]",
        "*Acknowledged by you*",
        "@maya › status",
    ):
        assert step in out
