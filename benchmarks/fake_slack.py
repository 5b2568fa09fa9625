"""The fake Slack Web API (tests/fakes/slack_api.py) in a process of its own, so that the
bot's calls to Slack cost the load generator nothing. Knows the benchmark's people
(users.info), prints `{"port": …}` as its first line, and answers GET /bench/log with what
arrived: each response_url post (its id, when it arrived on the machine's monotonic clock,
whether it had content), and for each channel how many chat.postMessage calls it received
and when the last arrived.

    python benchmarks/fake_slack.py        # serves on 127.0.0.1 until killed"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from aiohttp import web
from fakes.slack_api import FakeSlackApi
from people import EVERYONE


class LoggingSlackApi(FakeSlackApi):
    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, float, bool]] = []
        self.posts: dict[str, int] = {}
        self.last_post: dict[str, float] = {}

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response = await super()._handle_response_url(request)
        payload = self.responses[-1]
        content = bool(payload.get("text") or payload.get("blocks"))
        self.arrivals.append((request.match_info["response_id"], time.monotonic(), content))
        return response

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            self.posts[channel] = self.posts.get(channel, 0) + 1
            self.last_post[channel] = time.monotonic()
        return super()._answer(method, args)

    async def log(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"responses": self.arrivals, "posts": self.posts, "last_post": self.last_post}
        )


async def serve() -> None:
    fake = LoggingSlackApi()
    for user in EVERYONE:
        fake.add_user(user, f"Person {user}", f"{user.lower()}@example.com")
    await fake.start()
    assert fake._runner is not None
    # A second site for the log: the fake's own app is frozen once it has started.
    log_app = web.Application()
    log_app.router.add_get("/bench/log", fake.log)
    log_runner = web.AppRunner(log_app, access_log=None)
    await log_runner.setup()
    log_site = web.TCPSite(log_runner, "127.0.0.1", 0)
    await log_site.start()
    print(json.dumps({"port": fake._port, "log_port": log_runner.addresses[0][1]}), flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve())
