"""The load benchmark's processes: the fake Slack, the bare Bolt app and the bot, each
started on loopback, each killed when the benchmark ends, however it ends (the exit stack
kills it; should the benchmark itself be killed, the kernel kills them: PDEATHSIG)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from people import ADMIN, BOT_TOKEN, SIGNING_SECRET

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START_SECONDS = 30.0
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """As a Slack Web API (the fake Slack): slack_sdk's `base_url`."""
        return f"{self.url}/api/"

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
        return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):  # Linux only; elsewhere the exit stack still kills
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def _spawn(
    stack: AsyncExitStack,
    name: str,
    argv: list[str],
    folder: Path,
    env: dict[str, str],
    *,
    announces: bool = True,
) -> tuple[asyncio.subprocess.Process, Path]:
    """`announces`: its first line on standard output says where it listens (and nothing
    else is written there: a pipe nobody reads would block it); else all output goes to
    the log."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=folder,  # no stray .env is read
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if announces else out,
            stderr=out,
            preexec_fn=_die_with_parent,
        )
    stack.push_async_callback(_kill, process)
    return process, log


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


def _env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "MENTORBOT_", "DATABASE_URL", "PORT"))
    }
    paths = [str(ROOT), str(HERE), env.get("PYTHONPATH", "")]
    env.update(PYTHONPATH=os.pathsep.join(filter(None, paths)), PYTHONUNBUFFERED="1", **extra)
    return env


async def _announced(name: str, process: asyncio.subprocess.Process, log: Path) -> dict:
    """The JSON line a helper prints once it listens."""
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
        return json.loads(line)
    except (TimeoutError, ValueError):
        raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')}") from None


async def start_fake_slack(stack: AsyncExitStack, folder: Path) -> tuple[Child, str]:
    """The fake Slack, and the URL of its log (GET: what arrived)."""
    argv = [sys.executable, str(HERE / "fake_slack.py")]
    process, log = await _spawn(stack, "fake-slack", argv, folder, _env())
    ports = await _announced("the fake Slack", process, log)
    return Child("fake Slack", process, ports["port"], log), (
        f"http://127.0.0.1:{ports['log_port']}/bench/log"
    )


async def start_bare_bolt(
    stack: AsyncExitStack, folder: Path, api_url: str, answers_file: Path
) -> Child:
    """It reads `answers_file` at its first command (see bare_bolt.py)."""
    argv = [sys.executable, str(HERE / "bare_bolt.py"), api_url, str(answers_file)]
    process, log = await _spawn(stack, "bare-bolt", argv, folder, _env())
    port = (await _announced("the bare Bolt app", process, log))["port"]
    return Child("bare Bolt", process, port, log)


async def start_bot(stack: AsyncExitStack, folder: Path, database_url: str, api_url: str) -> Child:
    """`mentorbot` as production runs it: Slack over HTTP, the given database."""
    port = _free_port()
    env = _env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        MENTORBOT_ADMINS=ADMIN,
        MENTORBOT_LOG_FORMAT="json",
        MENTORBOT_LOG_LEVEL="INFO",
    )
    argv = [str(Path(sys.executable).parent / "mentorbot")]
    process, log = await _spawn(stack, "mentorbot", argv, folder, env, announces=False)
    bot = Child("mentorbot", process, port, log)
    await _until_ready(bot)
    return bot


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _until_ready(bot: Child) -> None:
    deadline = time.monotonic() + START_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() < deadline:
            if bot.process.returncode is not None:
                raise RuntimeError(f"mentorbot exited with {bot.process.returncode}:\n{bot.tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{bot.url}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)  # another process: nothing to await but its port
    raise RuntimeError(f"mentorbot was not ready within {START_SECONDS:.0f} s:\n{bot.tail()}")
