"""Search benchmark: `/postmortem search` over 10,000 published postmortems and 1,000,000
timeline messages, and what indexing costs the capture path.

1. Seeds a team with --incidents published postmortems and --messages timeline messages
   (bench/search_seed.py: Zipf-distributed words, bulk inserts / COPY), plus a second team with
   --other-share of each (search must skip it).
2. Times the search service (`bot.search.service.search`: the ranked page, each result's
   snippet and its incident, as the command answers) for one-, two- and three-word queries,
   without and with filters: p50 and p95 over --queries distinct queries each. Query words are
   drawn uniformly from the 1,000 most frequent words (the 10th is in about one message in
   twelve, the 1,000th in one in six hundred); "common word" runs the 10 most frequent alone,
   "chat word" the words found only in messages (so the timeline index is read).
3. Capture: bench/ingest.py's load (signed message events over HTTP to `hindsight serve`, each
   acknowledged once committed) against a fresh database, in rounds that take turns with the
   search index and without it (migration 0007's downgrade run alone, the recorded version
   left at head so the server's start-up migration leaves it out); prints the p99 of each and
   their ratio.

    .venv/bin/python bench/search.py --messages 100000       # try smaller first
    .venv/bin/python bench/search.py                         # SQLite file in a temp directory
    .venv/bin/python bench/search.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/hs_b

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated, first
for the search data, then again for the capture rounds (--skip-capture keeps the seeded data;
--reuse then searches it again without seeding).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic.migration import MigrationContext  # noqa: E402
from alembic.operations import Operations  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bench.ingest import (  # noqa: E402
    SECRET,
    TEAM_ID,
    TOKEN,
    Result,
    events_url,
    free_port,
    prepare_database,
    send_all,
    signed_events,
    start_server,
    stop,
    stored_counts,
    wait_until_up,
)
from bench.search_seed import CHAT_WORDS, SERVICES, SEVERITIES, Words, seed  # noqa: E402
from bench.support import empty_and_migrate  # noqa: E402
from bot.db import alembic_config, create_engine, create_sessionmaker  # noqa: E402
from bot.search.query import parse_search  # noqa: E402
from bot.search.service import search  # noqa: E402
from models import Incident  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402

SEARCH_TEAM, OTHER_TEAM = "T0SEARCH", "T0OTHER"
SEARCH_REVISION = "0007"  # the migration that makes the search index


# ---- search ------------------------------------------------------------------------------------


def query_texts(
    words: Words,
    rng: random.Random,
    count: int,
    size: int,
    filtered: bool,
    pool: list[str] | None = None,
) -> list[str]:
    texts = []
    for _ in range(count):
        chosen = rng.sample(pool or words.vocabulary[:1000], size)
        if filtered:
            chosen += rng.sample(filters(rng), rng.randint(1, 2))
        texts.append(" ".join(chosen))
    return texts


def filters(rng: random.Random) -> list[str]:
    since = f"since:{2025 + rng.randint(0, 1)}-{rng.randint(1, 12):02d}-01"
    return [
        f"severity:{rng.choice(SEVERITIES)}",
        f"service:{rng.choice(SERVICES)}",
        since,
        "status:published",
    ]


async def time_queries(sessions: object, texts: list[str]) -> tuple[list[float], int]:
    """Milliseconds per search, and how many found anything."""
    timings, found = [], 0
    for text_ in texts:
        query = parse_search(text_)
        began = time.perf_counter()
        async with sessions() as session:  # type: ignore[operator]
            page = await search(session=session, team_id=SEARCH_TEAM, query=query)
        timings.append((time.perf_counter() - began) * 1000)
        found += bool(page.hits)
    return timings, found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure_search(url: str, words: Words, queries: int) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rng = random.Random(7)
    gc.collect()
    gc.freeze()  # as `hindsight serve` does at start
    await time_queries(sessions, query_texts(words, rng, 20, 1, False))  # warm the caches
    print(f"\nsearch latency over {queries} queries each (ms):")
    print(f"{'query':<28} {'p50':>7} {'p95':>7} {'max':>7}  found")
    for size in (1, 2, 3):
        for filtered in (False, True):
            texts = query_texts(words, rng, queries, size, filtered)
            await report(
                sessions, f"{size} word{'s' * (size > 1)}{' + filters' if filtered else ''}", texts
            )
    for name, pool in (("common word", words.vocabulary[:10]), ("chat word", CHAT_WORDS)):
        for filtered in (False, True):
            texts = query_texts(words, rng, queries, 1, filtered, pool=pool)
            await report(sessions, f"{name}{' + filters' if filtered else ''}", texts)
    await engine.dispose()


async def report(sessions: object, name: str, texts: list[str]) -> None:
    timings, found = await time_queries(sessions, texts)
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    print(f"{name:<28} {p50:7.1f} {p95:7.1f} {max(timings):7.1f}  {found}/{len(texts)}", flush=True)


# ---- capture -----------------------------------------------------------------------------------


async def set_index(url: str, present: bool) -> None:
    """Add or remove the search index by running migration 0007's own upgrade or downgrade
    alone (the recorded version stays: `serve` then migrates nothing at start)."""
    revision = ScriptDirectory.from_config(alembic_config(url)).get_revision(SEARCH_REVISION)
    assert revision is not None

    def run(connection: Connection) -> None:
        with Operations.context(MigrationContext.configure(connection)):
            (revision.module.upgrade if present else revision.module.downgrade)()

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run)
    await engine.dispose()


async def capture_round(
    url: str, env: dict[str, str], events: list, args: argparse.Namespace, warmup: list
) -> Result:
    port = free_port()
    command_ = [
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = start_server(command_, env)
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        await send_all("warmup", events_url(port), warmup, args.concurrency)
        return await send_all("capture", events_url(port), events, args.concurrency)
    finally:
        stop(process)


async def measure_capture(url: str, args: argparse.Namespace) -> None:
    await prepare_database(url)
    fake = FakeSlack(team_id=TEAM_ID, bot_token=TOKEN).start()
    env = {
        **os.environ,
        "SLACK_API_URL": fake.base_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SLACK_APP_TOKEN", None)
    results: dict[bool, list[Result]] = {True: [], False: []}
    sent, indexed = 0, True  # migrated to head: the index is there
    try:
        for round_ in range(args.rounds):
            for present in (True, False) if round_ % 2 == 0 else (False, True):
                if present != indexed:
                    await set_index(url, present)
                    indexed = present
                warmup = signed_events(args.warmup, sent)
                events = signed_events(args.events, sent + args.warmup)
                sent += args.warmup + args.events
                result = await capture_round(url, env, events, args, warmup)
                results[present].append(result)
                label = "with index" if present else "without"
                print(f"round {round_ + 1} {label:<11} {result.line()}", flush=True)
    finally:
        fake.stop()
    capture_summary(results, args)
    rows, distinct = await stored_counts(url)
    print(
        f"stored: {rows} rows, {distinct} distinct ts, {sent} sent: "
        + ("OK" if rows == distinct == sent else "FAIL")
    )


def capture_summary(results: dict[bool, list[Result]], args: argparse.Namespace) -> None:
    with_, without = results[True], results[False]
    p99 = {key: statistics.median(r.percentile(0.99) for r in rs) for key, rs in results.items()}
    p50 = {key: statistics.median(r.percentile(0.5) for r in rs) for key, rs in results.items()}
    ratio = statistics.median(
        w.percentile(0.99) / o.percentile(0.99) for w, o in zip(with_, without, strict=True)
    )
    print(
        f"\ncapture, {args.events} events at concurrency {args.concurrency}, median of "
        f"{args.rounds} rounds each:"
    )
    print(f"without the search index: p50 {p50[False]:6.1f} ms   p99 {p99[False]:6.1f} ms")
    print(f"with the search index:    p50 {p50[True]:6.1f} ms   p99 {p99[True]:6.1f} ms")
    print(f"p99 with/without: {ratio:.3f}× (median of the per-round ratios; aim < 1.10×)")


# ---- main --------------------------------------------------------------------------------------


async def seeded_words(url: str, args: argparse.Namespace) -> Words:
    if args.reuse:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session:
            count = await session.scalar(select(func.count()).select_from(Incident))
        await engine.dispose()
        print(f"reusing {count} incidents already there")
        return Words(random.Random(13))
    await empty_and_migrate(url)
    engine = create_engine(url)
    other = args.other_share
    teams = [
        (SEARCH_TEAM, args.incidents, args.messages),
        (OTHER_TEAM, int(args.incidents * other), int(args.messages * other)),
    ]
    words = await seed(engine, teams=teams)
    await engine.dispose()
    return words


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temp directory")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument(
        "--other-share",
        type=float,
        default=0.05,
        help="the second team's size, as a share of the first's",
    )
    parser.add_argument("--queries", type=int, default=100, help="per kind of query")
    parser.add_argument("--reuse", action="store_true", help="search the data already there")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-capture", action="store_true")
    parser.add_argument("--events", type=int, default=2000, help="capture: events per round")
    parser.add_argument("--rounds", type=int, default=3, help="capture: rounds of each kind")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    workdir = None if args.database_url else Path(tempfile.mkdtemp(prefix="hindsight-search-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'search.db'}"
    if not args.skip_search:
        words = await seeded_words(url, args)
        await measure_search(url, words, args.queries)
    if not args.skip_capture:
        capture_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'capture.db'}"
        if args.database_url and args.database_url.startswith("sqlite"):
            capture = Path(tempfile.mkdtemp(prefix="hindsight-search-")) / "capture.db"
            capture_url = f"sqlite+aiosqlite:///{capture}"
        await measure_capture(capture_url, args)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
