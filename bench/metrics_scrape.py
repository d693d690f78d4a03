"""Metrics benchmark: how long GET /metrics takes with 10,000 open action items, and what the
metric calls on the capture path cost per event.

Seeds 200 incidents (10 open) and 10,000 open action items (a quarter past due), serves the
runtime's ASGI app with uvicorn on a port it binds itself, and scrapes it with aiohttp: prints
p50, p95 and worst over the scrapes, and the in-process parts (the database counts, the text
encoding). Then times the calls one captured event makes (its ack histogram, its captured
counter, its share of a batch-size observation), in nanoseconds.

    .venv/bin/python bench/metrics_scrape.py                      # SQLite in a temp directory
    .venv/bin/python bench/metrics_scrape.py --database-url postgresql+asyncpg://…/hindsight_m

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import uvicorn
from prometheus_client import generate_latest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.app import Runtime, build_runtime  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.server import HindsightASGI, SidecarServer  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402
from tests.test_metrics import seed_open_items  # noqa: E402

TEAM_ID = "T0BENCH"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def line(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<28} p50 {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms"
        f"   worst {ordered[-1]:6.2f} ms"
    )


async def run(url: str, items: int, scrapes: int) -> None:
    await empty_and_migrate(url)
    fake = FakeSlack(team_id=TEAM_ID, bot_token="xoxb-bench-token")
    fake.start()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "REMINDER_INTERVAL_SECONDS": "3600",
    }
    runtime = build_runtime(load_settings(env), clock=lambda: NOW)
    try:
        await seed_open_items(runtime.sessions, NOW.date(), items)
        await scrape_over_http(runtime, scrapes)
        assert runtime.metrics.database is not None
        counts, encodes = [], []
        for _ in range(scrapes):
            started = time.perf_counter()
            await runtime.metrics.database.refresh()
            counts.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            generate_latest(runtime.metrics.registry)
            encodes.append((time.perf_counter() - started) * 1000)
        print(line("  the database counts", counts))
        print(line("  the text encoding", encodes))
    finally:
        await runtime.close()
        fake.stop()


async def scrape_over_http(runtime: Runtime, scrapes: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        HindsightASGI(runtime), host="127.0.0.1", port=port, lifespan="off", log_config=None
    )
    server = SidecarServer(config)
    task = asyncio.create_task(server.serve())
    await server.listening.wait()
    timings = []
    async with aiohttp.ClientSession() as http:
        for attempt in range(scrapes + 1):
            started = time.perf_counter()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                body = await response.text()
            if attempt:  # the first one connects and compiles
                timings.append((time.perf_counter() - started) * 1000)
    server.should_exit = True
    await task
    open_items = next(r for r in body.splitlines() if r.startswith("hindsight_action_items_open"))
    print(f"/metrics over HTTP ({runtime.engine.dialect.name}, {open_items}):")
    print(line("  the scrape", timings))


def hot_path_cost(events: int = 200_000) -> None:
    """One captured event's metric calls, at a batch of 32 (concurrency 32's usual batch)."""
    metrics = Metrics()
    ack, captured = metrics.acks["event"], metrics.captured["message"]
    started = time.perf_counter()
    for n in range(events):
        ack.observe(0.004)
        captured.inc()
        if n % 32 == 0:
            metrics.batch_size.observe(32)
    per_event = (time.perf_counter() - started) / events * 1e9
    print(f"metric calls per captured event: {per_event:.0f} ns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL (wiped); SQLite temp if unset")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/metrics.db"
        asyncio.run(run(url, args.items, args.scrapes))
    hot_path_cost()


if __name__ == "__main__":
    main()
