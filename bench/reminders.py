"""Reminder benchmark: one sweep over 100,000 open action items, 10,000 of them due.

Seeds 5,000 owners (all in the user cache, in a mix of time zones where the sweep's "now" is
inside working hours) with 20 open items each, two of them due now; then times, over several
runs, what a sweep does before it sends anything: claim the due items and load and group them
per owner (bot.followup.sweep.claim_batch and plan, batch after batch), resetting the claims between
runs. Then runs one full sweep against a FakeSlack server and counts its Slack calls per method
(aim: one chat.postMessage per owner with due items, no users.info).

    .venv/bin/python bench/reminders.py                      # SQLite file in a temp directory
    .venv/bin/python bench/reminders.py --database-url postgresql+asyncpg://…/hindsight_bench

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from bot.followup.sweep import BATCH_SIZE, SweepMemo, claim_batch, plan, sweep  # noqa: E402
from bot.slack import create_web_client  # noqa: E402
from models import ActionItem, Incident, Severity, SlackUser  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402

TEAM_ID = "T0BENCH"
TOKEN = "xoxb-bench"
# Wednesday 25 Nov 2026, 14:00 UTC: inside 09:00–17:00 in every zone below.
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
ZONES = (
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Lagos",
    "UTC",
)
INCIDENTS = 500
AIM_SECONDS = 0.5

Sessions = async_sessionmaker[AsyncSession]


# ---- the data ---------------------------------------------------------------------------------


async def prepare(url: str, *, owners: int, per_owner: int, due_per_owner: int) -> None:
    await empty_and_migrate(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed(session, owners=owners, per_owner=per_owner, due_per_owner=due_per_owner)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def owner_id(n: int) -> str:
    return f"U0B{n:06d}"


async def seed(session: AsyncSession, *, owners: int, per_owner: int, due_per_owner: int) -> None:
    await session.execute(
        insert(Incident),
        [
            {
                "team_id": TEAM_ID,
                "number": n + 1,
                "title": f"Incident {n + 1}",
                "severity": Severity.SEV2,
                "channel_id": f"C0INC{n:05d}",
                "declared_by": owner_id(0),
                "commander_id": owner_id(1),
            }
            for n in range(INCIDENTS)
        ],
    )
    await session.execute(
        insert(SlackUser),
        [
            {
                "team_id": TEAM_ID,
                "user_id": owner_id(n),
                "name": f"person{n}",
                "tz": ZONES[n % len(ZONES)],
                "fetched_at": NOW,
            }
            for n in range(owners)
        ],
    )
    rows = []
    for n in range(owners):
        today = NOW.astimezone(ZoneInfo(ZONES[n % len(ZONES)])).date()
        for k in range(per_owner):
            due = k < due_per_owner
            rows.append(
                {
                    "team_id": TEAM_ID,
                    "incident_id": 1 + (n * per_owner + k) % INCIDENTS,
                    "title": f"Action {k} of person {n}: add an alert on the p99 latency",
                    "owner_id": owner_id(n),
                    "due_date": today if due else today + timedelta(days=10 + k),
                    "created_by": owner_id(1),
                    "last_reminded_at": NOW - timedelta(days=7),
                    "next_reminder_at": due_at() if due else NOW + timedelta(days=3 + k % 5),
                    "reminder_count": 1,
                    "overdue_nudges": 0,
                    "send_failures": 0,
                }
            )
            if len(rows) == 10_000:
                await session.execute(insert(ActionItem), rows)
                rows = []
    if rows:
        await session.execute(insert(ActionItem), rows)


def due_at() -> datetime:
    return NOW - timedelta(minutes=5)


# ---- timing -----------------------------------------------------------------------------------


async def select_and_group(
    sessions: Sessions, settings: Settings, batch: int
) -> tuple[float, float, int, int]:
    """Claim + plan every batch, as a sweep does, without sending: (claim seconds, plan
    seconds, items to nudge, owners to DM)."""
    client = create_web_client(base_url="http://127.0.0.1:9/api/", token=TOKEN)  # never called
    claim = str(uuid.uuid4())
    claiming = planning = 0.0
    items = owners = 0
    memo = SweepMemo()
    while True:  # as bot.followup.sweep.sweep goes through the batches
        began = time.perf_counter()
        claimed_items = await claim_batch(sessions, now=NOW, claim=claim, limit=batch)
        claimed = time.perf_counter()
        claiming += claimed - began
        if not claimed_items:
            break
        work = await plan(
            sessions,
            client,
            items=claimed_items,
            now=NOW,
            working_hours=settings.working_hours,
            cadence=settings.cadence,
            memo=memo,
        )
        planning += time.perf_counter() - claimed
        items += sum(len(owner.nudges) for owner in work.owners)
        owners += len(work.owners)
        if len(claimed_items) < batch:
            break
    await reset_claims(sessions)
    return claiming, planning, items, owners


async def reset_claims(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(ActionItem)
            .where(ActionItem.reminder_claim.is_not(None))
            .values(reminder_claim=None, claimed_until=None)
        )


async def measure(url: str, *, runs: int, batch: int, owners: int) -> None:
    gc.collect()
    gc.freeze()  # as `hindsight serve` does at start
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    fake = FakeSlack(team_id=TEAM_ID, bot_token=TOKEN).start()
    try:
        settings = load_settings(
            {"DATABASE_URL": url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.base_url}
        )
        await select_and_group(sessions, settings, batch)  # warm-up: connections, caches
        results = [await select_and_group(sessions, settings, batch) for _ in range(runs)]
        claims, plans, items, grouped = zip(*results, strict=True)
        totals = sorted(c + p for c, p in zip(claims, plans, strict=True))
        median = statistics.median(totals)
        verdict = "within" if median < AIM_SECONDS else "OVER"
        print(
            f"select+group: claim {statistics.median(claims) * 1000:6.1f} ms   load+group"
            f" {statistics.median(plans) * 1000:6.1f} ms   total median {median * 1000:6.1f} ms"
            f"   best {totals[0] * 1000:6.1f} ms   worst {totals[-1] * 1000:6.1f} ms"
            f"   ({verdict} the {AIM_SECONDS} s aim); {items[0]} items for {grouped[0]} owners"
        )

        for n in range(owners):
            fake.add_user(owner_id(n), name=f"person{n}", tz=ZONES[n % len(ZONES)])
        fake.clear_calls()
        client = create_web_client(base_url=fake.base_url, token=TOKEN)
        began = time.perf_counter()
        report = await sweep(
            sessions=sessions, client=client, settings=settings, now=NOW, batch_size=batch
        )
        took = time.perf_counter() - began
        calls = Counter(call.method for call in fake.calls)
        print(
            f"full sweep with sends: {took:.1f} s; selection {report.select_seconds * 1000:.1f}"
            f" ms of it; {report.claimed} items claimed, {report.dms_sent} DMs,"
            f" {report.nudged} items nudged, {report.failed} failed"
        )
        print(
            "Slack calls: "
            + ", ".join(f"{method} {count}" for method, count in sorted(calls.items()))
            + f"   (aim: chat.postMessage {grouped[0]}, users.info 0)"
        )
    finally:
        fake.stop()
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL to use (WIPED); default: temp SQLite")
    parser.add_argument("--owners", type=int, default=5_000)
    parser.add_argument("--per-owner", type=int, default=20, help="open items per owner")
    parser.add_argument("--due-per-owner", type=int, default=2, help="of them, due now")
    parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="claim batch size")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
        began = time.perf_counter()
        await prepare(
            url, owners=args.owners, per_owner=args.per_owner, due_per_owner=args.due_per_owner
        )
        backend = url.partition(":")[0]
        print(
            f"{backend}: {args.owners * args.per_owner} open items across {args.owners} owners,"
            f" {args.owners * args.due_per_owner} due; built in {time.perf_counter() - began:.1f}"
            f" s; batches of {args.batch}; {args.runs} runs after a warm-up"
        )
        await measure(url, runs=args.runs, batch=args.batch, owners=args.owners)


if __name__ == "__main__":
    asyncio.run(main())
