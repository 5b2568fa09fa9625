"""The benchmarks that run inside this process, on SQLite, against the Bolt app of the
tests' harness (tests/fakes/slack_harness.py), with nothing else running:

1. a slash command answered with its content, one at a time: mentorbot vs a bare Bolt app
   answering the same content (goal: p99 within 1.2× of bare Bolt);
2. a concern reaching the manager's DM (the fake Slack receiving chat.postMessage) after the
   reporter's slash command (goal: under 50 ms);
3. the outbox sending 10,000 DMs with Slack answering at once: our own throughput, which
   Slack's rate limits (about one message per second per conversation) keep far above."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from aiohttp import web
from fakes.slack_harness import (
    ADMIN,
    SIGNING_SECRET,
    SlackHarness,
    slack_app,
)
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from stats import percentile, summary, timed

from handlers.ports import SystemClock
from storage import db, outbox
from storage.models import Identity, Person

MANAGER, MENTOR, MENTEE = ADMIN, "UOMAR", "USAM"


async def seed(slack: SlackHarness) -> None:
    for text in (
        'program create "Bench"',
        f"enrol <@{MENTOR}> mentor",
        f"enrol <@{MENTEE}> mentee",
        f"pair <@{MENTOR}> <@{MENTEE}>",
    ):
        reply = await slack.command(MANAGER, text)
        assert reply.status == 200, reply.text
    await slack.deliver()


async def bare_bolt_server(content: dict, api_url: str) -> tuple[web.AppRunner, str]:
    """A Bolt app that answers /mentoring with fixed content and does nothing else."""
    client = AsyncWebClient(token="xoxb-bare", base_url=api_url)
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client, process_before_response=True)

    @app.command("/mentoring")
    async def answer(ack) -> None:  # noqa: ANN001
        await ack(response_type="ephemeral", **content)

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"


async def slash_command_vs_bare_bolt(slack: SlackHarness, rounds: int) -> None:
    for command in ("help", "status"):
        reply = await slack.command(MANAGER, command)
        content = {k: reply.json[k] for k in ("text", "blocks")}
        runner, bare_url = await bare_bolt_server(content, slack.fake.url)
        ours, bare = [], []
        try:
            for i in range(rounds + 20):  # interleaved, so drift hits both alike
                ours_t = await timed(lambda: slack.command(MANAGER, command))  # noqa: B023
                bare_t = await timed(lambda: _post_to(slack, bare_url, command))  # noqa: B023
                if i >= 20:  # warm-up
                    ours.append(ours_t)
                    bare.append(bare_t)
        finally:
            await runner.cleanup()
        ratio = percentile(ours, 99) / percentile(bare, 99)
        print(f"/mentoring {command:<7} mentorbot  {summary(ours)}")
        print(f"/mentoring {command:<7} bare Bolt  {summary(bare)}")
        print(f"/mentoring {command:<7} p99 ratio {ratio:.2f}× (goal ≤ 1.2×)")


async def _post_to(slack: SlackHarness, url: str, text: str) -> None:
    saved, slack.url = slack.url, url
    try:
        reply = await slack.command(MANAGER, text)
        assert reply.status == 200
    finally:
        slack.url = saved


async def concern_to_manager_dm(slack: SlackHarness, rounds: int) -> None:
    arrived = asyncio.Event()
    original = slack.fake._answer

    def answer(method: str, args: dict) -> dict:  # the fake's hook: note the manager's DM
        if method == "chat.postMessage" and args.get("channel") == MANAGER:
            arrived.set()
        return original(method, args)

    slack.fake._answer = answer  # type: ignore[method-assign]
    dispatching = asyncio.create_task(slack.runtime.dispatcher.run_forever())
    samples = []
    try:
        for i in range(rounds):
            arrived.clear()
            start = time.perf_counter()
            reply = await slack.command(MENTOR, f"concern missed-meeting bench {i}")
            assert reply.status == 200
            await asyncio.wait_for(arrived.wait(), timeout=5)
            samples.append(time.perf_counter() - start)
    finally:
        await slack.runtime.dispatcher.stop()
        await dispatching
        slack.fake._answer = original  # type: ignore[method-assign]
    print(f"concern → manager DM     {summary(samples)} (goal < 50 ms)")


async def outbox_throughput(slack: SlackHarness, count: int) -> None:
    sessions = db.session_factory(slack.runtime.engine)
    now = SystemClock().now()
    async with db.transaction(sessions) as session:
        people = [Person(display_name=f"P{i}", created_at=now) for i in range(count)]
        session.add_all(people)
        await session.flush()
        session.add_all(
            Identity(person_id=p.id, platform="slack", external_id=f"UB{p.id}", last_seen_at=now)
            for p in people
        )
        for p in people:
            await outbox.enqueue(
                session, key=f"bench:{p.id}", recipient_id=p.id, now=now, view=render_free_view()
            )
    dispatcher = slack.runtime.dispatcher
    dispatcher.batch = 500
    start, cpu_start = time.perf_counter(), time.process_time()
    sent = 0
    while tried := await dispatcher.run_once():
        sent += tried
    elapsed = time.perf_counter() - start
    # CPU per DM (ours, the Slack client's and the fake Slack's, all in this process) does
    # not depend on what else the machine is running, unlike DMs/s.
    cpu_ms = (time.process_time() - cpu_start) / sent * 1000
    print(
        f"outbox: {sent:,} DMs sent in {elapsed:.1f} s = {sent / elapsed:,.0f} DMs/s, "
        f"{cpu_ms:.2f} ms CPU per DM. Slack "
        "allows chat.postMessage about 1 message/s per conversation, under a workspace-wide "
        "limit it does not publish."
    )


def render_free_view() -> dict:
    from handlers.views import simple

    return simple("It is time for your check-in.").to_json()


async def run(quick: bool) -> None:
    rounds, dms = (40, 300) if quick else (400, 10_000)
    with tempfile.TemporaryDirectory() as folder:
        engine = db.create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await db.create_all(engine)
        async with slack_app(engine, SystemClock()) as slack:
            await seed(slack)
            print("in one process, one command at a time (SQLite, loopback)\n")
            await slash_command_vs_bare_bolt(slack, rounds)
            await concern_to_manager_dm(slack, max(rounds // 4, 30))
            await outbox_throughput(slack, dms)
        await engine.dispose()
