"""The console on a real terminal (a pseudo-terminal): a line with a NUL in it is one line,
shown with the NUL's picture. Read by input(), a C string on a terminal, it lost what
followed the NUL and was joined to the next line typed (`as @omar␀` then `as @lena`
became `as @omaras @lena`)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

MENTORBOT = Path(sys.executable).parent / "mentorbot"
WAIT = 60.0  # bound on the console starting, answering and leaving; never reached
PROMPT = re.compile(r"^@[a-z]+ › ")


def _console_on_a_terminal(tmp_path: Path, typed: bytes) -> str:
    """What `mentorbot` (no platform configured: the console) printed on a terminal on
    which `typed` was typed."""
    controller, terminal = os.openpty()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_URL", "MENTORBOT_"))
    }
    process = subprocess.Popen(
        [str(MENTORBOT)],
        cwd=tmp_path,  # no .env from the repo
        env=environment,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    printed = b""
    try:
        os.write(controller, typed)  # the terminal holds it until the console reads
        deadline = time.monotonic() + WAIT
        while process.poll() is None or select.select([controller], [], [], 0)[0]:
            assert time.monotonic() < deadline, printed.decode(errors="replace")
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    printed += os.read(controller, 65536)
                except OSError:  # the console has gone: the terminal is closed
                    break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(controller)
    return printed.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.skipif(not MENTORBOT.exists(), reason="the mentorbot command is not installed")
def test_a_nul_typed_on_a_terminal_stays_in_its_line(tmp_path) -> None:
    printed = _console_on_a_terminal(tmp_path, b"as @omar\x00\nas @lena\nquit\n")
    # What was typed came before the console asked (the terminal echoes it at once), so
    # each answer follows the prompt that asked for the line.
    lines = [PROMPT.sub("", line) for line in printed.splitlines()]
    answers = [line for line in lines if line.startswith(("   (", "── "))]
    assert answers == [
        "   (say who you are, as in `as @omar`)",  # `as @omar␀`: a name with a NUL in it
        "── you are now @lena ──",
    ]
