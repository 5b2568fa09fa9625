"""A bare Bolt app in its own process, in Bolt's fastest configuration (AsyncApp with
process_before_response=True, request verification on, served by aiohttp): it answers
`/mentoring <word> …` with the content mentorbot gave for that first word, and does
nothing else. The yardstick the load benchmark divides mentorbot's latency by.

    python benchmarks/bare_bolt.py <Slack API URL> <answers.json>   # prints {"port": …}

answers.json: {"help": {"text": …, "blocks": …}, "status": …, "concern": …}"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from people import BOT_TOKEN, SIGNING_SECRET
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(api_url: str, answers_file: Path) -> web.Application:
    """`answers_file` is read at the first command: it is written once mentorbot has
    answered (while this process was starting)."""
    answers: dict[str, dict[str, Any]] = {}

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        request_verification_enabled=True,
        process_before_response=True,
    )

    @app.command("/mentoring")
    async def answer(ack: AsyncAck, command: dict[str, Any]) -> None:
        if not answers:
            answers.update(json.loads(answers_file.read_text()))
        word = (command.get("text") or "").split(" ", 1)[0]
        await ack(response_type="ephemeral", **answers.get(word, answers["help"]))

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    return web_app


async def serve(api_url: str, answers_file: str) -> None:
    runner = web.AppRunner(build(api_url, Path(answers_file)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
