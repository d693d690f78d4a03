"""Ingest benchmark: how fast `hindsight serve` acks message events it must store first.

Starts a bare slack-bolt AsyncApp that only acknowledges message events (the floor) and
`hindsight serve` with everything on (metrics, JSON logs at the default level, to a file), each
a uvicorn subprocess pointed at a FakeSlack in this process; the two take turns receiving the
same signed message events (pre-signed) at the same concurrency over keep-alive connections,
round after round; prints throughput, p50 and p99 ack latency for each round and the medians
with ours/floor ratios. Hindsight gets no untimed warm-up: its first events after /healthz says
ok are timed in the first round and compared with the rest. Then checks that every event
hindsight acknowledged was stored exactly once (rows and distinct ts), counted on its /metrics,
and that every line it logged was a JSON object.

    .venv/bin/python bench/ingest.py                      # SQLite in a temp directory
    .venv/bin/python bench/ingest.py --database-url postgresql+asyncpg://…/hindsight_bench

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_checks import (  # noqa: E402
    FIRST,
    first_events_report,
    logs_report,
    metrics_report,
    percentile,
    scrape,
)
from bench.support import empty_and_migrate  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from models import Incident, Severity, TimelineEvent  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
TEAM_ID = "T0BENCH"
CHANNEL_ID = "C0BENCHINC"
USER_ID = "U0BENCH"
AIM_THROUGHPUT = 0.80  # ours/floor, at least
AIM_P99 = 1.50  # ours/floor, at most


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    by_order: list[float]  # each request's latency, in the order they were sent

    @classmethod
    def of(
        cls, name: str, seconds: float, by_order: list[float], statuses: dict[int, int]
    ) -> Result:
        return cls(name, seconds, by_order, statuses, by_order)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def line(self) -> str:
        codes = ", ".join(f"{code}×{n}" for code, n in sorted(self.statuses.items()))
        mean = statistics.mean(self.latencies) * 1000
        return (
            f"{self.name:<10} {self.throughput:8.0f} ev/s   p50 {self.percentile(0.5):6.1f} ms"
            f"   p99 {self.percentile(0.99):6.1f} ms   mean {mean:6.1f} ms   [{codes}]"
        )


# ---- the floor: a bare Bolt app that only acks -----------------------------------------------


def floor_app() -> object:
    """The ASGI app for the floor (`uvicorn --factory bench.ingest:floor_app`)."""
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=TOKEN, base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(signing_secret=SECRET, client=client)

    @app.event("message")
    async def ack_only() -> None:
        return None

    return AsyncSlackRequestHandler(app)


# ---- processes and databases -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"server exited early with {process.returncode}")
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def prepare_database(url: str) -> None:
    """Empty and migrate; then one incident whose channel the events are sent to."""
    await empty_and_migrate(url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        session.add(
            Incident(
                team_id=TEAM_ID,
                number=1,
                title="Benchmark incident",
                severity=Severity.SEV3,
                channel_id=CHANNEL_ID,
                declared_by=USER_ID,
            )
        )
    await engine.dispose()


async def stored_counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalar(
            select(func.count()).where(TimelineEvent.channel_id == CHANNEL_ID)
        )
        distinct = await session.scalar(
            select(func.count(func.distinct(TimelineEvent.ts))).where(
                TimelineEvent.channel_id == CHANNEL_ID
            )
        )
    await engine.dispose()
    return int(rows or 0), int(distinct or 0)


# ---- load --------------------------------------------------------------------------------------


def signed_events(count: int, start: int) -> list[tuple[bytes, dict[str, str]]]:
    """`count` distinct message events, signed ahead of time (signatures last five minutes)."""
    verifier = SignatureVerifier(SECRET)
    now = str(int(time.time()))
    prepared = []
    for n in range(start, start + count):
        ts = f"{1_700_000_000 + n}.{n % 1_000_000:06d}"
        envelope = {
            "token": "bench",
            "team_id": TEAM_ID,
            "api_app_id": "A0BENCH",
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "client_msg_id": str(uuid.uuid4()),
                "text": f"benchmark message {n}: db-1 latency {n % 97} ms over budget",
                "user": USER_ID,
                "ts": ts,
                "team": TEAM_ID,
                "channel": CHANNEL_ID,
                "event_ts": ts,
                "channel_type": "channel",
            },
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
            ],
        }
        body = json.dumps(envelope)
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": verifier.generate_signature(timestamp=now, body=body),
        }
        prepared.append((body.encode(), headers))
    return prepared


async def send_all(
    name: str,
    url: str,
    requests: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
    client: str = "aiohttp",
) -> Result:
    """POST every request over `concurrency` keep-alive connections, timing each one."""
    latencies = [0.0] * len(requests)
    statuses: dict[int, int] = {}
    queue = enumerate(requests)

    def record(index: int, started: float, status: int) -> None:
        latencies[index] = time.perf_counter() - started
        statuses[status] = statuses.get(status, 0) + 1

    async def aiohttp_worker(session: aiohttp.ClientSession) -> None:
        for index, (body, headers) in queue:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            record(index, started, response.status)

    async def httpx_worker() -> None:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=30) as http:
            for index, (body, headers) in queue:
                started = time.perf_counter()
                response = await http.post(url, content=body, headers=headers)
                record(index, started, response.status_code)

    began = time.perf_counter()
    if client == "httpx":
        await asyncio.gather(*(httpx_worker() for _ in range(concurrency)))
    else:
        connector = aiohttp.TCPConnector(limit=concurrency)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await asyncio.gather(*(aiohttp_worker(session) for _ in range(concurrency)))
    return Result.of(name, time.perf_counter() - began, latencies, statuses)


def start_server(
    command: list[str], env: dict[str, str], log: Path | None = None
) -> subprocess.Popen[bytes]:
    if log is None:
        return subprocess.Popen(command, env=env, cwd=ROOT)
    with log.open("wb") as stderr:
        return subprocess.Popen(command, env=env, cwd=ROOT, stderr=stderr)


def median_line(name: str, results: list[Result]) -> str:
    throughput = statistics.median(r.throughput for r in results)
    p50 = statistics.median(r.percentile(0.5) for r in results)
    p99 = statistics.median(r.percentile(0.99) for r in results)
    return f"{name:<10} {throughput:8.0f} ev/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per server per round")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="untimed events sent to hindsight first (default none: it warms up before "
        "/healthz says ok, and its first events are timed)",
    )
    parser.add_argument(
        "--floor-warmup",
        type=int,
        default=100,
        help="untimed events sent to the floor first (its first request asks auth.test)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="floor and hindsight take turns this many times; medians are compared",
    )
    parser.add_argument("--database-url", help="default: a SQLite file in a temp directory")
    parser.add_argument(
        "--client",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="load generator; httpx spends 2-7 ms of CPU per request here and becomes the "
        "bottleneck on two cores (default: aiohttp)",
    )
    return parser.parse_args()


@dataclass
class Servers:
    """The floor and hindsight, started; hindsight's log file."""

    processes: dict[str, tuple[subprocess.Popen[bytes], int]]
    log: Path

    def url(self, name: str, path: str = "/slack/events") -> str:
        return f"http://127.0.0.1:{self.processes[name][1]}{path}"

    def stop(self) -> None:
        for process, _ in self.processes.values():
            stop(process)


def start_servers(url: str, fake: FakeSlack, workdir: Path) -> Servers:
    """Both servers, against the FakeSlack; hindsight with metrics (served beside /healthz)
    and JSON logs at the default level, written to a file."""
    python = sys.executable
    env = {
        **os.environ,
        "SLACK_API_URL": fake.base_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "DATABASE_URL": url,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SLACK_APP_TOKEN", None)
    floor_env = {k: v for k, v in env.items() if k != "SLACK_BOT_TOKEN"}  # it has its client
    floor_env["LOG_LEVEL"] = "WARNING"
    floor_port, our_port = free_port(), free_port()
    floor_cmd = [python, "-m", "uvicorn", "--factory", "bench.ingest:floor_app"]
    floor_cmd += ["--port", str(floor_port), "--log-level", "warning", "--no-access-log"]
    ours_cmd = [python, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(our_port)]
    log = workdir / "hindsight.log"
    return Servers(
        {
            "floor": (start_server(floor_cmd, floor_env), floor_port),
            "hindsight": (start_server(ours_cmd, env, log), our_port),
        },
        log,
    )


async def run_rounds(servers: Servers, args: argparse.Namespace) -> dict[str, list[Result]]:
    await wait_until_up(servers.url("floor", "/"), servers.processes["floor"][0])
    await wait_until_up(servers.url("hindsight", "/healthz"), servers.processes["hindsight"][0])
    warmups = {"floor": args.floor_warmup, "hindsight": args.warmup}
    for name, count in warmups.items():
        if count:
            await send_all(name, servers.url(name), signed_events(count, 0), 32, args.client)
    results: dict[str, list[Result]] = {name: [] for name in servers.processes}
    first = max(warmups.values())
    for round_ in range(args.rounds):
        events = signed_events(args.events, first + round_ * args.events)
        for name in ("hindsight", "floor") if round_ == 0 else servers.processes:
            result = await send_all(name, servers.url(name), events, args.concurrency, args.client)
            results[name].append(result)
            print(f"round {round_ + 1}: {result.line()}", flush=True)
    return results


def compare(floor: list[Result], ours: list[Result]) -> tuple[dict[str, float], list[str]]:
    """The medians of the per-round ratios, and the lines that print them with the aims."""
    pairs = list(zip(ours, floor, strict=True))
    ratio = {
        "throughput": statistics.median(o.throughput / f.throughput for o, f in pairs),
        "p50": statistics.median(o.percentile(0.5) / f.percentile(0.5) for o, f in pairs),
        "p99": statistics.median(o.percentile(0.99) / f.percentile(0.99) for o, f in pairs),
    }
    met_throughput = ratio["throughput"] >= AIM_THROUGHPUT
    met_p99 = ratio["p99"] <= AIM_P99
    return ratio, [
        median_line("floor", floor),
        median_line("hindsight", ours),
        f"ours/floor: throughput {ratio['throughput']:.2f}×   p50 {ratio['p50']:.2f}×   "
        f"p99 {ratio['p99']:.2f}×   (median of the per-round ratios)",
        f"aim:        throughput ≥ {AIM_THROUGHPUT:.2f}× "
        + ("(met)" if met_throughput else "(NOT MET)")
        + f"         p99 ≤ {AIM_P99:.2f}× "
        + ("(met)" if met_p99 else "(NOT MET)"),
    ]


async def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hindsight-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await prepare_database(url)
    fake = FakeSlack(team_id=TEAM_ID, bot_token=TOKEN).start()
    servers = start_servers(url, fake, workdir)
    try:
        results = await run_rounds(servers, args)
        samples = await scrape(servers.url("hindsight", "/metrics"))
    finally:
        servers.stop()
        fake.stop()

    floor, ours = results["floor"], results["hindsight"]
    backend = url.split("+")[0].split(":")[0]
    print(
        f"\n{args.events} message events at concurrency {args.concurrency} ({backend}, "
        f"{args.client}), median of {args.rounds} rounds; hindsight with metrics and JSON logs:"
    )
    _, lines = compare(floor, ours)
    later = [seconds for r in ours for seconds in r.by_order][FIRST:]
    first_line, _ = first_events_report(ours[0].by_order, percentile(later, 0.99) * 1000)
    print("\n".join([*lines, first_line]))
    total = args.warmup + args.rounds * args.events
    rows, distinct = await stored_counts(url)
    answered = sum(r.statuses.get(200, 0) for r in ours)
    stored_ok = rows == distinct == total and answered == args.rounds * args.events
    print(
        f"stored: {rows} rows, {distinct} distinct ts, {total} sent: "
        + ("OK" if stored_ok else "FAIL")
    )
    metric_lines, metrics_ok = metrics_report(samples, stored=rows, acked=answered)
    log_lines, logs_ok = logs_report(servers.log)
    print("\n".join([*metric_lines, *log_lines]))
    return 0 if stored_ok and metrics_ok and logs_ok else 1


def events_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/slack/events"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
