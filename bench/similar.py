"""Similar-incidents benchmark: how long finding an incident's similar past incidents takes in a
team with 10,000 earlier incidents (what the contributing-factors step does when it opens, and
the post after a declare does in the background).

Seeds one team with `--incidents` incidents (titles and what-happened text drawn from a small
incident vocabulary, one to three of 40 services each, a retrospective with two contributing
factors and two action items on every fifth), then times `similar_incidents` for a new
incident, split into loading the candidates, scoring them, and loading the matches' details.

    .venv/bin/python bench/similar.py                      # SQLite file in a temp directory
    .venv/bin/python bench/similar.py --database-url postgresql+asyncpg://…/hindsight_bench

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from bot.insights import similar_load  # noqa: E402
from bot.insights.similar import rank  # noqa: E402
from models import (  # noqa: E402
    ActionItem,
    ContributingFactor,
    FactorCategory,
    Incident,
    Retrospective,
    Severity,
)

TEAM_ID = "T0BENCH"
START = datetime(2024, 1, 1, tzinfo=UTC)
SERVICES = [f"svc-{n:02d}" for n in range(40)]
SUBJECTS = "checkout login search payments database cache queue api gateway dns cdn billing"
SYMPTOMS = "latency errors timeouts outage degraded slow failing crashes 5xx spikes saturation"
CAUSES = (
    "a config deploy lowered the pool size",
    "the certificate expired overnight",
    "a dependency returned errors under load",
    "disk filled up on the primary",
    "a bad feature flag rollout",
    "the retry storm overwhelmed the upstream",
    "memory leak after the release",
    "network partition between zones",
)


def incident_text(rng: random.Random) -> tuple[str, str]:
    subject = rng.choice(SUBJECTS.split())
    symptom = rng.choice(SYMPTOMS.split())
    title = f"{subject.capitalize()} {symptom} in {rng.choice(['EU', 'US', 'APAC'])}"
    cause, hour = rng.choice(CAUSES), rng.randint(0, 23)
    summary = f"{subject} {symptom} for customers; {cause}. Paged at {hour}:00."
    return title, summary


async def prepare(url: str, *, incidents: int) -> None:
    await empty_and_migrate(url)
    engine = create_engine(url)
    rng = random.Random(13)
    rows = []
    for number in range(1, incidents + 2):
        title, summary = incident_text(rng)
        rows.append(
            {
                "team_id": TEAM_ID,
                "number": number,
                "title": title,
                "summary": summary,
                "severity": Severity.SEV2,
                "channel_id": f"C0B{number:07d}",
                "declared_by": "U0BENCH",
                "services": rng.sample(SERVICES, rng.randint(1, 3)),
                "started_at": START + timedelta(hours=number),
            }
        )
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(insert(Incident), rows)
            ids = list(await session.scalars(select(Incident.id).order_by(Incident.id)))
            await seed_retros(session, ids[::5])
    finally:
        await engine.dispose()


async def seed_retros(session, incident_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        insert(Retrospective),
        [{"team_id": TEAM_ID, "incident_id": i, "summary": "what happened"} for i in incident_ids],
    )
    retros = list(await session.execute(select(Retrospective.id, Retrospective.incident_id)))
    await session.execute(
        insert(ContributingFactor),
        [
            {
                "team_id": TEAM_ID,
                "retrospective_id": retro_id,
                "position": position,
                "category": FactorCategory.CONFIGURATION,
                "description": f"Factor {position} of retro {retro_id}",
                "whys": [],
            }
            for retro_id, _ in retros
            for position in range(2)
        ],
    )
    await session.execute(
        insert(ActionItem),
        [
            {
                "team_id": TEAM_ID,
                "incident_id": incident_id,
                "title": f"Item {n}",
                "created_by": "U0",
            }
            for _, incident_id in retros
            for n in range(2)
        ],
    )


async def measure(url: str, *, runs: int) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            newest = await session.scalar(
                select(Incident).where(Incident.team_id == TEAM_ID).order_by(Incident.number.desc())
            )
            assert newest is not None
        totals, loads, scores = [], [], []
        for _ in range(runs):
            async with sessions() as session:
                began = time.perf_counter()
                candidates = await similar_load._candidates(session, newest)
                loaded = time.perf_counter()
                rank(similar_load.doc_of(newest), candidates)
                scored = time.perf_counter()
            async with sessions() as session:
                began_total = time.perf_counter()
                found = await similar_load.similar_incidents(session=session, incident=newest)
                totals.append(time.perf_counter() - began_total)
            loads.append(loaded - began)
            scores.append(scored - loaded)
        print(f"candidates: {len(candidates)}; shown: {[past.ref for past in found]}")
        for name, values in (("load", loads), ("score", scores), ("total", totals)):
            ms = sorted(v * 1000 for v in values)
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            print(f"{name:6} median {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory}/similar.db"
        asyncio.run(prepare(url, incidents=args.incidents))
        asyncio.run(measure(url, runs=args.runs))


if __name__ == "__main__":
    main()
