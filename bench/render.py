"""Render benchmark: how long `hindsight export` takes for a big incident.

Builds one incident with 10,000 timeline events (every 10th marked, a few hand-added, edited and
deleted ones, mentions and links in the texts), a retrospective with five contributing factors
and 50 action items; then times, over several runs, what `hindsight export` does after
connecting: find the incident, load everything (bot.publish.document) and render it, as the Markdown
document (the marked events) and as the JSON record (every event, serialized). Prints each
phase and the median, best and worst totals.

    .venv/bin/python bench/render.py                      # SQLite file in a temp directory
    .venv/bin/python bench/render.py --database-url postgresql+asyncpg://…/hindsight_bench

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from bot.publish.document import load_postmortem  # noqa: E402
from bot.publish.export import dump_record, find_for_export, postmortem_record  # noqa: E402
from bot.publish.render import render_markdown  # noqa: E402
from models import (  # noqa: E402
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    EventSource,
    FactorCategory,
    Incident,
    Priority,
    Retrospective,
    Severity,
    SlackUser,
    TimelineEvent,
    TimelineMark,
    utcnow,
)

TEAM_ID = "T0BENCH"
CHANNEL_ID = "C0BENCHINC"
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
USERS = [f"U0BENCH{n:02d}" for n in range(20)]
AIM_SECONDS = 0.5
KINDS = ("key_event", "action", "lesson", "detection", "mitigation", "resolution")


# ---- the incident -----------------------------------------------------------------------------


async def prepare(url: str, *, events: int, items: int) -> None:
    await empty_and_migrate(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed(session, events=events, items=items)
    finally:
        await engine.dispose()


async def seed(session: AsyncSession, *, events: int, items: int) -> None:
    await session.execute(
        insert(SlackUser),
        [{"team_id": TEAM_ID, "user_id": u, "display_name": f"person-{u[-2:]}"} for u in USERS],
    )
    incident = Incident(
        team_id=TEAM_ID,
        number=1,
        title="Benchmark incident | with a pipe",
        summary="Everything was slow",
        severity=Severity.SEV2,
        channel_id=CHANNEL_ID,
        declared_by=USERS[0],
        commander_id=USERS[1],
        facilitator_id=USERS[2],
        services=["checkout", "payments", "search"],
        started_at=START,
    )
    session.add(incident)
    await session.flush()
    rows = [_event(incident.id, n) for n in range(events)]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(TimelineEvent), rows[start : start + 1000])
    ids = list(
        await session.scalars(
            text("SELECT id FROM timeline_events WHERE incident_id = :i ORDER BY id"),
            {"i": incident.id},
        )
    )
    marks = [
        {
            "team_id": TEAM_ID,
            "event_id": event_id,
            "kind": KINDS[(n // 10) % len(KINDS)],
            "reaction": "pushpin",
            "marked_by": USERS[n % len(USERS)],
            "note": "worth a look" if n % 30 == 0 else None,
            "created_at": START,
        }
        for n, event_id in enumerate(ids)
        if n % 10 == 0
    ]
    await session.execute(insert(TimelineMark), marks)
    await _retro(session, incident, items=items)


def _event(incident_id: int, n: int) -> dict[str, object]:
    when = START + timedelta(seconds=17 * n)  # 10,000 events span two days
    manual = n % 500 == 0
    deleted = n % 97 == 0 and not manual
    author = USERS[n % len(USERS)]
    body = (
        f"update {n}: <@{USERS[(n + 3) % len(USERS)]}> checked <https://grafana.example/d/{n}"
        f"|dashboard {n}> &amp; *p99* is ~{n % 900} ms~ in <#C0OPS|ops>"
    )
    return {
        "team_id": TEAM_ID,
        "incident_id": incident_id,
        "source": EventSource.MANUAL if manual else EventSource.MESSAGE,
        "channel_id": None if manual else CHANNEL_ID,
        "ts": None if manual else f"{int(when.timestamp())}.{n:06d}",
        "author_id": author,
        "text": None if deleted else body,
        "files": [],
        "occurred_at": when,
        "edited_at": when + timedelta(minutes=1) if n % 13 == 0 else None,
        "deleted_at": when + timedelta(minutes=2) if deleted else None,
        "created_at": when,
    }


async def _retro(session: AsyncSession, incident: Incident, *, items: int) -> None:
    retro = Retrospective(
        team_id=TEAM_ID,
        incident_id=incident.id,
        summary="A long summary. " * 100,
        customer_impact="Checkout slow for everyone.",
        duration="two days",
        detection="An alert.",
        went_well="Rollback.\n" * 10,
        went_badly="Paging.\n" * 10,
        got_lucky="Low traffic.",
    )
    session.add(retro)
    await session.flush()
    categories = list(FactorCategory)
    for n in range(5):
        session.add(
            ContributingFactor(
                team_id=TEAM_ID,
                retrospective_id=retro.id,
                position=n,
                category=categories[n],
                description=f"Factor {n}",
                whys=[f"why {n}.{w}" for w in range(5)],
            )
        )
    for n in range(items):
        session.add(
            ActionItem(
                team_id=TEAM_ID,
                incident_id=incident.id,
                title=f"Action {n} | with a pipe",
                owner_id=USERS[n % len(USERS)],
                due_date=date(2026, 12, 1) + timedelta(days=n),
                priority=list(Priority)[n % 3],
                kind=list(ActionKind)[n % 4],
                status=list(ActionStatus)[n % 3],
                created_by=USERS[0],
            )
        )


# ---- timing -----------------------------------------------------------------------------------


async def export_markdown(sessions: async_sessionmaker[AsyncSession]) -> tuple[float, ...]:
    async with sessions() as session:
        began = time.perf_counter()
        incident = await find_for_export(session=session, ref="INC-1", team_id=TEAM_ID)
        pm = await load_postmortem(session=session, incident=incident)
        loaded = time.perf_counter()
        document = render_markdown(pm)
        done = time.perf_counter()
    assert document.startswith("# INC-1:")
    return loaded - began, done - loaded, done - began


async def export_json(sessions: async_sessionmaker[AsyncSession]) -> tuple[float, ...]:
    async with sessions() as session:
        began = time.perf_counter()
        incident = await find_for_export(session=session, ref="INC-1", team_id=TEAM_ID)
        pm = await load_postmortem(session=session, incident=incident, everything=True)
        loaded = time.perf_counter()
        dumped = dump_record(postmortem_record(pm, now=utcnow()))
        done = time.perf_counter()
    assert len(json.loads(dumped)["timeline"]) == len(pm.events)
    return loaded - began, done - loaded, done - began


Run = Callable[[async_sessionmaker[AsyncSession]], Awaitable[tuple[float, ...]]]


async def measure(url: str, *, runs: int, profile: bool) -> None:
    gc.collect()
    gc.freeze()  # as `hindsight export` does before its work
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        for name, run in (("markdown", export_markdown), ("json", export_json)):
            await run(sessions)  # warm-up: connections, statement caches
            results = [await run(sessions) for _ in range(runs)]
            report(name, results)
            if profile:
                await profiled(name, run, sessions)
    finally:
        await engine.dispose()


def report(name: str, results: list[tuple[float, ...]]) -> None:
    load, render, total = (sorted(column) for column in zip(*results, strict=True))
    median = statistics.median(total)
    verdict = "within" if median < AIM_SECONDS else "OVER"
    print(
        f"{name:<9} load {statistics.median(load) * 1000:6.1f} ms   render"
        f" {statistics.median(render) * 1000:6.1f} ms   total median {median * 1000:6.1f} ms"
        f"   best {total[0] * 1000:6.1f} ms   worst {total[-1] * 1000:6.1f} ms"
        f"   ({verdict} the {AIM_SECONDS} s aim)"
    )


async def profiled(name: str, run: Run, sessions: async_sessionmaker[AsyncSession]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await run(sessions)
    profiler.disable()
    print(f"--- profile: {name} ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL to use (WIPED); default: temp SQLite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile one run of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
        began = time.perf_counter()
        await prepare(url, events=args.events, items=args.items)
        backend = url.partition(":")[0]
        print(
            f"{backend}: {args.events} events ({args.events // 10} marked), {args.items} action"
            f" items; built in {time.perf_counter() - began:.1f} s; {args.runs} runs after a"
            " warm-up"
        )
        await measure(url, runs=args.runs, profile=args.profile)


if __name__ == "__main__":
    asyncio.run(main())
