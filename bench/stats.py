"""Stats benchmark: `/postmortem stats` over 10,000 incidents and 50,000 action items.

Seeds one team with 10,000 incidents started over the last 365 days (every severity, status
and postmortem state, one to three services each), 100,000 timeline messages of which 20,000
are marked (a detection and a resolution mark per incident, a retrospective's pick on every
fourth), a retrospective with two contributing factors for each incident past the
investigation, and 50,000 action items in every outcome; plus a second team of 1,000
incidents (with their messages, factors and 5,000 items) the queries must skip. Then times,
over several runs, `bot.insights.stats_load.load_stats` (the six queries and the maths) for
each window, the message's Block Kit (`bot.ui.stats.stats_message`) and the chart
(`bot.insights.chart.draw_chart`). Aim: load_stats under 500 ms for every window. "CPU here"
is this process's CPU time (SQLite's work included; PostgreSQL's server not), and the load
average is printed: on a shared machine, wall times stretch with it.

    .venv/bin/python bench/stats.py                      # SQLite file in a temp directory
    .venv/bin/python bench/stats.py --sqlite-file /tmp/stats.db [--reuse]   # kept, or timed again
    .venv/bin/python bench/stats.py --database-url postgresql+asyncpg://…/hindsight_bench

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from bot.insights.chart import draw_chart  # noqa: E402
from bot.insights.stats import WINDOWS  # noqa: E402
from bot.insights.stats_load import load_stats  # noqa: E402
from bot.ui.stats import stats_message  # noqa: E402
from models import (  # noqa: E402
    ActionItem,
    ActionStatus,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Priority,
    Retrospective,
    Severity,
    TimelineEvent,
    TimelineMark,
)

TEAM_ID, OTHER_TEAM = "T0BENCH", "T0OTHER"
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
INCIDENTS, OTHER_INCIDENTS, ITEMS = 10_000, 1_000, 50_000
SERVICES = ("checkout", "payments", "search", "auth", "catalog", "images", "email", "ledger")
STATUSES = (
    (IncidentStatus.RESOLVED,) * 6 + (IncidentStatus.CLOSED,) * 3 + (IncidentStatus.MONITORING,)
)
STATES = (PostmortemState.PUBLISHED,) * 5 + (
    PostmortemState.DRAFT,
    PostmortemState.IN_REVIEW,
    PostmortemState.NONE,
)
MESSAGES_PER_INCIDENT = 10  # two of them marked
CHUNK = 5_000
AIM_SECONDS = 0.5


# ---- the data ---------------------------------------------------------------------------------


def incident_row(team_id: str, n: int, count: int) -> dict[str, Any]:
    started = NOW - timedelta(days=365 * (n + 0.5) / count, minutes=n % 97)
    status = STATUSES[n % len(STATUSES)]
    resolved = status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    return {
        "team_id": team_id,
        "number": n + 1,
        "title": f"Incident {n + 1}: {SERVICES[n % 8]} errors",
        "severity": list(Severity)[n % 4],
        "status": status,
        "postmortem_state": STATES[n % len(STATES)] if resolved else PostmortemState.NONE,
        "channel_id": f"C0{team_id[-3:]}{n:06d}",
        "declared_by": "U0BENCH",
        "services": [SERVICES[(n + k * 3) % 8] for k in range(1 + n % 3)],
        "started_at": started,
        "detected_at": started + timedelta(minutes=3 + n % 40) if n % 4 == 0 else None,
        "mitigated_at": started + timedelta(minutes=20 + n % 200),
        "resolved_at": started + timedelta(minutes=60 + n % 900) if resolved else None,
    }


async def insert_chunked(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[start : start + CHUNK])


async def seed_team(session: AsyncSession, team_id: str, count: int, items: int) -> None:
    incidents = [incident_row(team_id, n, count) for n in range(count)]
    await insert_chunked(session, Incident, incidents)
    ids = {
        number: (incident_id, started)
        for incident_id, number, started in await session.execute(
            select(Incident.id, Incident.number, Incident.started_at).where(
                Incident.team_id == team_id
            )
        )
    }
    await seed_timeline(session, team_id, ids)
    await seed_retros(session, team_id, incidents, ids)
    await seed_items(session, team_id, ids, items)


async def seed_timeline(
    session: AsyncSession, team_id: str, ids: dict[int, tuple[int, datetime]]
) -> None:
    events = [
        {
            "team_id": team_id,
            "incident_id": incident_id,
            "source": EventSource.MESSAGE,
            "channel_id": f"C0{team_id[-3:]}{number:06d}",
            "ts": f"{1_700_000_000 + number * 10 + k}.000100",
            "author_id": "U0BENCH",
            "text": "marked moment",
            "occurred_at": started + timedelta(minutes=(5 + number % 30) * (k + 1)),
        }
        for number, (incident_id, started) in ids.items()
        for k in range(MESSAGES_PER_INCIDENT)
    ]
    await insert_chunked(session, TimelineEvent, events)
    rows = await session.execute(
        select(TimelineEvent.id, TimelineEvent.ts).where(TimelineEvent.team_id == team_id)
    )
    marks = []
    for event_id, ts in rows:
        k = int(ts.split(".")[0]) % 10
        if k > 1:
            continue  # a message nobody marked
        kind = "detection" if k == 0 else "resolution"
        picked = (int(ts.split(".")[0]) // 10) % 4 == 0
        reaction = f"retro:{kind}" if picked else "white_check_mark"
        marks.append(
            {
                "team_id": team_id,
                "event_id": event_id,
                "kind": kind,
                "reaction": reaction,
                "marked_by": "U0BENCH",
            }
        )
    await insert_chunked(session, TimelineMark, marks)


async def seed_retros(
    session: AsyncSession,
    team_id: str,
    incidents: list[dict[str, Any]],
    ids: dict[int, tuple[int, datetime]],
) -> None:
    retros = [
        {
            "team_id": team_id,
            "incident_id": ids[row["number"]][0],
            "summary": "what happened",
            "published_at": row["resolved_at"] + timedelta(days=1 + row["number"] % 9)
            if row["postmortem_state"] == PostmortemState.PUBLISHED and row["resolved_at"]
            else None,
        }
        for row in incidents
        if row["status"] != IncidentStatus.INVESTIGATING
    ]
    await insert_chunked(session, Retrospective, retros)
    retro_ids = await session.execute(
        select(Retrospective.id, Retrospective.incident_id).where(Retrospective.team_id == team_id)
    )
    categories = list(FactorCategory)
    factors = [
        {
            "team_id": team_id,
            "retrospective_id": retro_id,
            "position": k,
            "category": categories[(incident_id * (k + 1)) % len(categories)],
            "description": "a condition",
            "whys": [],
        }
        for retro_id, incident_id in retro_ids
        for k in range(2)
    ]
    await insert_chunked(session, ContributingFactor, factors)


async def seed_items(
    session: AsyncSession, team_id: str, ids: dict[int, tuple[int, datetime]], count: int
) -> None:
    incidents = list(ids.values())
    rows = []
    for n in range(count):
        incident_id, started = incidents[n % len(incidents)]
        created = started + timedelta(days=1)
        status = (ActionStatus.DONE, ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.WONT_DO)[
            n % 4
        ]
        rows.append(
            {
                "team_id": team_id,
                "incident_id": incident_id,
                "title": f"Action {n}",
                "priority": list(Priority)[n % 3],
                "status": status,
                "due_date": (created + timedelta(days=5 + n % 20)).date() if n % 5 else None,
                "created_by": "U0BENCH",
                "created_at": created,
                "closed_at": created + timedelta(days=n % 30, hours=n % 24)
                if status != ActionStatus.OPEN
                else None,
                "reminder_count": 0,
                "overdue_nudges": 0,
                "send_failures": 0,
                "notice_failures": 0,
            }
        )
    await insert_chunked(session, ActionItem, rows)


async def prepare(url: str) -> None:
    await empty_and_migrate(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_team(session, TEAM_ID, INCIDENTS, ITEMS)
            await seed_team(session, OTHER_TEAM, OTHER_INCIDENTS, ITEMS // 10)
        async with engine.connect() as connection:
            await connection.execute(
                text("COMMIT" if engine.dialect.name == "postgresql" else "SELECT 1")
            )
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


# ---- timing -----------------------------------------------------------------------------------


async def measure(url: str, runs: int) -> bool:
    gc.collect()
    gc.freeze()  # as `hindsight serve` does at start
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    within = True
    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{engine.dialect.name}: {runs} runs per window (after one warm-up); load {load}")
        for name, days in WINDOWS.items():
            timings, cpu = [], []
            for run in range(runs + 1):
                began, began_cpu = time.perf_counter(), time.process_time()
                async with sessions() as session:
                    stats = await load_stats(session, team_id=TEAM_ID, now=NOW, days=days)
                if run:
                    timings.append(time.perf_counter() - began)
                    cpu.append(time.process_time() - began_cpu)
            began = time.perf_counter()
            stats_message(stats)
            blocks = time.perf_counter() - began
            began = time.perf_counter()
            png = draw_chart(stats)
            chart = time.perf_counter() - began
            best, median, worst = min(timings), statistics.median(timings), max(timings)
            within &= median < AIM_SECONDS
            print(
                f"  {name:>4}: {stats.incidents:5d} incidents, {stats.all_items.created:5d} items"
                f" | load_stats min {best * 1000:5.1f}, median {median * 1000:5.1f},"
                f" max {worst * 1000:5.1f} ms"
                f" (CPU here {statistics.median(cpu) * 1000:5.1f} ms)"
                f" | blocks {blocks * 1000:4.1f} ms | chart {chart * 1000:5.1f} ms"
                f" ({len(png) // 1024} KiB)"
            )
    finally:
        await engine.dispose()
    print(
        f"aim: load_stats median under {AIM_SECONDS * 1000:.0f} ms: {'met' if within else 'MISSED'}"
    )
    return within


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL (wiped!); default: SQLite file")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database there")
    parser.add_argument("--reuse", action="store_true", help="time a database seeded before")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.sqlite_file or Path(folder) / "stats.db"
        url = args.database_url or f"sqlite+aiosqlite:///{path}"
        if not args.reuse:
            if not args.database_url:
                path.unlink(missing_ok=True)  # a new file: seeding twice would collide
            began = time.perf_counter()
            await prepare(url)
            print(f"seeded in {time.perf_counter() - began:.1f} s")
        return 0 if await measure(url, args.runs) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
