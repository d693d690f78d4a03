"""Tracker outbox benchmark: 1,000 queued CREATE intents drained against the fake GitHub and
the fake Jira on loopback (tests/faketrackers: real HTTP, the real httpx client and adapters).

For each tracker: seeds --items action items (50 owners, each in the user cache with an
e-mail; GitHub maps them through GITHUB_USER_MAP, Jira finds them by user search), enqueues a
CREATE for each through bot.trackers.outbox.enqueue, then times bot.trackers.runs.drain_outbox
(batch after batch, as `hindsight sync --once` does) and prints the time to drain, the intents
done, the tracker calls the outbox counted, and the HTTP requests the fake saw, per method.
With --faults, the fake answers 500 to the first 50 creates (a tracker down for a moment:
three failures in a row pause the drain, the rest are retried after the backoff, the drain run
again with the clock moved on) and then one 429 with Retry-After 1.

    .venv/bin/python bench/trackers.py                       # SQLite file in a temp directory
    .venv/bin/python bench/trackers.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/hs_f

A PostgreSQL database given with --database-url is wiped (schema dropped) and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import empty_and_migrate  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from bot.slack import create_web_client  # noqa: E402
from bot.trackers.adapters import build_trackers  # noqa: E402
from bot.trackers.http import tracker_client  # noqa: E402
from bot.trackers.outbox import enqueue  # noqa: E402
from bot.trackers.runs import BatchHost, drain_outbox  # noqa: E402
from bot.trackers.shapes import IntentKind  # noqa: E402
from models import ActionItem, Incident, Severity, SlackUser, TrackerIntent  # noqa: E402
from tests.faketrackers.github import FakeGitHub  # noqa: E402
from tests.faketrackers.jira import FakeJira  # noqa: E402
from tests.faketrackers.loopback import FakeTracker, Fault, json_response  # noqa: E402

TEAM_ID = "T0BENCH"
OWNERS = 50
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    """The drain's "now": moved on by hand between rounds, past every backoff."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def owner_email(number: int) -> str:
    return f"owner{number}@example.com"


async def seed(sessions: Sessions, *, items: int) -> None:
    """One incident, OWNERS owners with e-mails, `items` open items, a CREATE for each."""
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=TEAM_ID,
            number=1,
            title="Checkout errors",
            severity=Severity.SEV2,
            channel_id="C0BENCH",
            declared_by="U0OWNER0",
        )
        session.add(incident)
        for number in range(OWNERS):
            user = SlackUser(team_id=TEAM_ID, user_id=f"U0OWNER{number}", email=owner_email(number))
            session.add(user)
        await session.flush()
        rows = [
            ActionItem(
                team_id=TEAM_ID,
                incident_id=incident.id,
                title=f"Follow-up {number}: alert on checkout error rate",
                owner_id=f"U0OWNER{number % OWNERS}",
                due_date=date(2026, 12, 18),
                created_by="U0OWNER0",
            )
            for number in range(items)
        ]
        session.add_all(rows)
        await session.flush()
        for row in rows:
            await enqueue(session, item=row, kind=IntentKind.CREATE, now=NOW)


def tracker_env(name: str, fake: FakeTracker) -> dict[str, str]:
    if isinstance(fake, FakeGitHub):
        users = ",".join(f"{owner_email(n)}=owner{n}-gh" for n in range(OWNERS))
        return {
            "GITHUB_TOKEN": fake.token,
            "GITHUB_REPOSITORY": fake.repository,
            "GITHUB_API_URL": fake.api_url,
            "GITHUB_USER_MAP": users,
        }
    assert isinstance(fake, FakeJira)
    for number in range(OWNERS):
        fake.add_user(owner_email(number))
    return {
        "JIRA_URL": fake.url,
        "JIRA_EMAIL": fake.email,
        "JIRA_API_TOKEN": fake.token,
        "JIRA_PROJECT": fake.project,
    }


def inject_faults(fake: FakeTracker, *, items: int) -> None:
    """The first items // 20 creates refused with a 500, then one 429 asking for a second."""
    fake.recorder.inject(
        Fault(json_response({"message": "Server Error"}, 500), remaining=items // 20, verb="POST")
    )
    limited = json_response({"message": "slow down"}, 429, **{"Retry-After": "1"})
    fake.recorder.inject(Fault(limited, remaining=1))


async def run_one(name: str, fake: FakeTracker, url: str, *, items: int, faults: bool) -> None:
    await empty_and_migrate(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    settings: Settings = load_settings({"DATABASE_URL": url} | tracker_env(name, fake))
    await seed(sessions, items=items)
    if faults:
        inject_faults(fake, items=items)
    clock = Clock()
    started = time.perf_counter()
    done = calls = rounds = 0
    async with tracker_client() as http:
        trackers = build_trackers(settings.trackers, http)
        host = BatchHost(
            settings, sessions, clock, trackers, create_web_client(base_url=settings.slack_api_url)
        )
        while await pending(sessions):
            report = await drain_outbox(host, redraw_items=False, rounds=10_000)
            done, calls, rounds = done + report.done, calls + report.calls, rounds + 1
            clock.now += timedelta(minutes=5)  # past any backoff or Retry-After
    elapsed = time.perf_counter() - started
    await engine.dispose()
    seen = Counter(call.verb for call in fake.recorder.calls)
    print(
        f"{name:6} {items} intents: drained in {elapsed:.2f} s ({items / elapsed:.0f}/s) "
        f"over {rounds} run(s); {done} done, {len(fake.issues)} issues filed; "
        f"{calls} tracker calls; HTTP requests "
        + ", ".join(f"{verb} {count}" for verb, count in sorted(seen.items()))
    )


async def pending(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(TrackerIntent.state == "pending")) or 0
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL to wipe and use (default: SQLite)")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--faults", action="store_true", help="500s and a 429 along the way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, fake in (("GitHub", FakeGitHub()), ("Jira", FakeJira())):
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
            with fake.start():
                await run_one(name, fake, url, items=args.items, faults=args.faults)


if __name__ == "__main__":
    asyncio.run(main())
