"""Backfill benchmark: how close a channel's backfill gets to what Slack's strict limits allow.

Under the strict regime (commercially distributed apps outside the Marketplace) Slack serves
conversations.history and conversations.replies once a window per method and token, 15 messages
a call, and answers 429 + Retry-After to a call too soon. The least time a backfill can take is
then the larger of the two methods' page counts times the window (the reader reads replies while
history waits). This script seeds a simulated workspace (bot/simslack, strict mode, the window
shortened) with a channel of messages and threads, backfills it on a fresh database, and prints
the time against that floor, the calls made and the calls Slack refused.

    .venv/bin/python bench/backfill.py                     # 1,000 messages, 0.2 s window
    .venv/bin/python bench/backfill.py --messages 3000 --threads 40 --replies 25 --window 0.1
    .venv/bin/python bench/backfill.py --database-url postgresql+asyncpg://…/hindsight_bench

A database given with --database-url must be a fresh, empty one (it is migrated, not wiped).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import create_engine, create_sessionmaker, migrate  # noqa: E402
from bot.simslack import SimSlack  # noqa: E402
from bot.slack import create_web_client  # noqa: E402
from bot.timeline.backfill import backfill_channel  # noqa: E402
from models import Incident, Severity, TimelineEvent  # noqa: E402

BASE = 1_700_000_000


def seed(slack: SimSlack, *, messages: int, threads: int, replies: int) -> tuple[str, int, int]:
    """A channel of `messages` messages, `threads` of the top-level ones with `replies` replies
    each, a minute apart; returns the channel and the pages each method needs at 15 a page."""
    slack.add_user("U0ALICE", name="alice")
    channel = slack.add_channel("bench-backfill", members=["U0ALICE"], bot_is_member=True)
    slack.channels[channel].created = BASE - 60
    top = messages - threads * replies
    every = max(top // max(threads, 1), 1)
    minute = 0
    for n in range(top):
        minute += 1
        parent = slack.add_message(
            channel, text=f"m{n}", user="U0ALICE", ts=f"{BASE + minute * 60}.0"
        )
        if threads and n % every == 0 and n // every < threads:
            for r in range(replies):
                minute += 1
                ts = f"{BASE + minute * 60}.0"
                slack.add_message(channel, text=f"r{r}", user="U0ALICE", thread_ts=parent, ts=ts)
    history_pages = math.ceil((top + 1) / 15)  # and the progress message
    reply_pages = threads * math.ceil((replies + 1) / 15)
    return channel, history_pages, reply_pages


async def run(args: argparse.Namespace, database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    with SimSlack() as slack:
        channel, history_pages, reply_pages = seed(
            slack, messages=args.messages, threads=args.threads, replies=args.replies
        )
        strict = slack.strict_limits(window=args.window)
        async with sessions() as session, session.begin():
            incident = Incident(
                team_id=slack.team_id,
                number=1,
                title="bench",
                severity=Severity.SEV3,
                channel_id=channel,
                declared_by="U0ALICE",
            )
            session.add(incident)
            await session.flush()
            incident_id = incident.id
        started = time.perf_counter()
        new = await backfill_channel(
            client=create_web_client(base_url=slack.base_url, token=slack.bot_token),
            sessions=sessions,
            team_id=slack.team_id,
            incident_id=incident_id,
            channel_id=channel,
            bot_user_id=slack.bot_user_id,
            bot_id=slack.bot_id,
        )
        elapsed = time.perf_counter() - started
        calls = [c for c in slack.calls if c.method.startswith("conversations.")]
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count()).where(TimelineEvent.incident_id == incident_id)
        )
    await engine.dispose()
    floor = max(history_pages, reply_pages) * args.window
    print(
        f"{args.messages:,} messages ({args.threads} threads of {args.replies}), "
        f"{args.window}s window, 15 a page"
    )
    print(f"  stored: {new:,} new events, {rows:,} rows (expected {args.messages:,})")
    print(f"  pages: {history_pages} history, {reply_pages} replies (the least the limit allows)")
    print(
        f"  calls: {len([c for c in calls if not c.failed])} answered, {strict.refused} refused "
        f"with 429, {len(calls)} in all"
    )
    print(
        f"  time: {elapsed:.2f}s; floor {floor:.2f}s (both methods side by side), "
        f"{elapsed / floor:.2f}x the floor; one method after the other would need "
        f"{(history_pages + reply_pages) * args.window:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--replies", type=int, default=30)
    parser.add_argument("--window", type=float, default=0.2, help="seconds (Slack's: 60)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
