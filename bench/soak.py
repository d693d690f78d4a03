"""Soak: `hindsight serve` for a fixed time under a realistic mix and scheduled faults.

The bot runs as a real subprocess against a simulated Slack (bot/simslack, with the tests'
failure hooks) served from this process. People declare incidents through the modal, talk in
the incident channels (threads), edit, delete, react and run commands; Slack's delivery is
played as Slack does it (3-second deadline, retries of an unacknowledged event with the same
event_id, now and then a redelivery of an acknowledged one); action items fall due for the
bot's own reminder sweep. Faults on a schedule: bursts of 429 (Retry-After) and 5xx from every
Web API method, `kill -9` of the server then a restart (Slack's retries redeliver what was not
acknowledged), and a database fault: a restart of PostgreSQL (a throwaway cluster of the
soak's own, never the machine's main server) or a SQLite write lock held by another process.

At the end it checks: every acknowledged event stored exactly once (edits, deletions and
marking reactions as acknowledged), every acknowledged declare one incident with its channel,
every reminder due before the end sent exactly once, no modal submit answered after 3 s, RSS
growth under 20% from minute 2 of a server's life to its end; prints the figures; exits 1 when
a check fails.

    .venv/bin/python bench/soak.py                        # 10 minutes on SQLite
    .venv/bin/python bench/soak.py --database postgresql  # 10 minutes on a throwaway cluster
    .venv/bin/python bench/soak.py --minutes 2            # a short run while developing
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import free_port  # noqa: E402
from bench.soak_check import (  # noqa: E402
    Verdict,
    check_declares,
    check_messages,
    check_reactions,
    check_reminders,
)
from bench.soak_procs import (  # noqa: E402
    BotProcess,
    PostgresCluster,
    SoakClock,
    hold_sqlite_lock,
)
from bench.soak_report import report  # noqa: E402
from bench.soak_slack import SoakRequests, SoakSlack  # noqa: E402
from bench.soak_work import ItemFeeder, Workload  # noqa: E402
from bench.support import empty_and_migrate  # noqa: E402
from bot.db import create_engine, create_sessionmaker  # noqa: E402
from models import Incident  # noqa: E402

SECRET = "soak-signing-secret"
TOKEN = "xoxb-soak-token"
TEAM_ID = "T0SOAK"


@dataclass
class Faults:
    """What was done to the bot, and when (soak seconds)."""

    kills: list[tuple[float, float | None]] = field(default_factory=list)  # (at, down for)
    database: list[tuple[float, str]] = field(default_factory=list)
    bursts: list[tuple[float, int]] = field(default_factory=list)
    exits: list[tuple[float, int]] = field(default_factory=list)  # the bot exited by itself
    aimed: int = 0  # kills made while a reminder DM's answer was held


@dataclass
class Soak:
    args: argparse.Namespace
    workdir: Path
    url: str
    clock: SoakClock
    slack: SoakSlack
    bot: BotProcess
    requests: SoakRequests
    work: Workload
    feeder: ItemFeeder
    cluster: PostgresCluster | None
    faults: Faults = field(default_factory=Faults)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    restarting: asyncio.Lock = field(default_factory=asyncio.Lock)
    incidents: list[int] = field(default_factory=list)

    def spawn(self, coroutine: object) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ---- the bot's life --------------------------------------------------------------------
    async def restart(self, *, kill: bool, aimed: bool = False) -> None:
        async with self.restarting:
            if aimed:  # killed while a reminder DM it sent is landed but not yet answered
                self.slack.release.clear()
                self.slack.aim.set()
                landed = await asyncio.to_thread(self.slack.dm_landed.wait, 60)
                self.faults.aimed += int(landed)
            at = self.clock()
            if kill:
                self.bot.kill9()
            self.slack.aim.clear()
            self.slack.dm_landed.clear()
            self.slack.release.set()
            self.bot.start()
            up = await self.bot.wait_healthy()
            if kill:
                self.faults.kills.append((at, self.clock() - at if up else None))

    async def watch(self, until: float) -> None:
        """Sample RSS every 5 s; restart the bot if it exits by itself (and say so)."""
        while self.clock() < until:
            self.bot.sample()
            code = self.bot.exited()
            if code is not None and not self.restarting.locked():
                self.faults.exits.append((self.clock(), code))
                self.bot.note_exit(code)
                await self.restart(kill=False)
            await asyncio.sleep(5)

    # ---- load ------------------------------------------------------------------------------
    async def talk(self, until: float) -> None:
        rng = random.Random(5)
        while self.clock() < until:
            self.spawn(self.work.act())
            await asyncio.sleep(rng.expovariate(self.args.rate))

    async def every(self, seconds: float, until: float, action: object) -> None:
        while self.clock() < until:
            await asyncio.sleep(seconds)
            if self.clock() < until:
                self.spawn(action())  # type: ignore[operator]

    async def feed(self) -> None:
        try:
            async with self.feeder.sessions() as session:
                self.incidents = list((await session.scalars(select(Incident.id))).all())
        except Exception:  # the database is restarting or locked: the ones known will do
            pass
        if self.incidents:
            await self.feeder.feed(self.incidents)

    # ---- faults ----------------------------------------------------------------------------
    def schedule(self, length: float) -> list[tuple[float, str]]:
        """(soak second, fault): kills every --kill-every minutes, database faults every
        --db-fault-every minutes (half a period in), Slack bursts every --burst-every s,
        alternating 429 and 5xx. Nothing in the last 30 s but what is already under way."""
        a, plan = self.args, []
        plan += [(a.kill_every * 60 * k, "kill") for k in range(1, 100)]
        plan += [(a.db_fault_every * 60 * (k + 0.5), "database") for k in range(100)]
        plan += [(a.burst_every * (k + 0.5), "429" if k % 2 == 0 else "503") for k in range(1000)]
        return sorted((at, what) for at, what in plan if at < length - 30)

    async def inject(self, plan: list[tuple[float, str]], start: float) -> None:
        for at, what in plan:
            await asyncio.sleep(max(0.0, start + at - self.clock()))
            if what == "kill":
                self.spawn(self.restart(kill=True, aimed=self.args.aim_kill_at_sweep))
            elif what == "database":
                self.spawn(self.database_fault())
            else:
                self.slack.burst(int(what), self.args.burst_seconds)
                self.faults.bursts.append((self.clock(), int(what)))

    async def database_fault(self) -> None:
        at = self.clock()
        if self.cluster is not None:
            await asyncio.to_thread(self.cluster.restart)
            self.faults.database.append((at, "PostgreSQL restarted"))
        else:
            path = Path(self.url.split("///", 1)[1])
            await asyncio.to_thread(hold_sqlite_lock, path, self.args.lock_seconds)
            self.faults.database.append((at, f"SQLite locked {self.args.lock_seconds:g} s"))

    # ---- the run ---------------------------------------------------------------------------
    async def run(self) -> Verdict:
        await self.requests.open()
        for _ in range(2):  # two incidents to talk in before the faults start
            await self.work.declare()
        start, length = self.clock(), self.args.minutes * 60
        until = start + length
        await asyncio.gather(
            self.watch(until),
            self.talk(until),
            self.every(self.args.declare_every, until, self.work.declare),
            self.every(self.args.feed_every, until, self.feed),
            self.inject(self.schedule(length), start),
        )
        traffic_end = datetime.now(UTC)
        while self.tasks:  # what is under way finishes: retries, restarts, declares
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        await asyncio.sleep(self.args.reminder_interval * 3 + 5)  # the last items' sweep
        self.bot.sample()
        self.bot.stop()
        await self.requests.close()
        return await self.verdict(traffic_end)

    async def verdict(self, traffic_end: datetime) -> Verdict:
        verdict = Verdict()
        sessions = self.feeder.sessions
        await check_messages(sessions, TEAM_ID, self.work.said, verdict)
        await check_reactions(sessions, TEAM_ID, self.work.said, verdict)
        await check_declares(sessions, TEAM_ID, self.work.declared, verdict)
        due_by = traffic_end - timedelta(seconds=5)
        await check_reminders(sessions, self.slack, self.feeder.fed, due_by, verdict)
        return verdict


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--minutes", type=float, default=10.0)
    add("--database", choices=("sqlite", "postgresql"), default="sqlite")
    add("--pg-port", type=int, default=5499, help="the throwaway cluster's port")
    add("--rate", type=float, default=8.0, help="people's actions per second")
    add("--kill-every", type=float, default=3.5, help="minutes between kill -9s")
    add("--db-fault-every", type=float, default=2.5, help="minutes between database faults")
    add("--lock-seconds", type=float, default=6.0, help="how long SQLite stays locked")
    add("--burst-every", type=float, default=45.0, help="seconds between Slack bursts")
    add("--burst-seconds", type=float, default=4.0)
    add("--declare-every", type=float, default=40.0, help="seconds between declares")
    add("--feed-every", type=float, default=3.0, help="seconds between items falling due")
    add(
        "--aim-kill-at-sweep",
        action="store_true",
        help="each kill -9 waits for a reminder DM to land and kills before its answer",
    )
    add("--reminder-interval", type=int, default=5, help="REMINDER_INTERVAL_SECONDS")
    return parser.parse_args()


def bot_env(args: argparse.Namespace, url: str, slack: SoakSlack) -> dict[str, str]:
    env = {
        **os.environ,
        "SLACK_API_URL": slack.base_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "DATABASE_URL": url,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "REMINDER_INTERVAL_SECONDS": str(args.reminder_interval),
        "WORKING_HOURS": "00:00-23:59",  # people are nudged whenever the soak runs
        "WORKING_DAYS": "mon-sun",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        env.pop(name, None)
    return env


async def main() -> int:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="hindsight-soak-"))
    cluster = None
    if args.database == "postgresql":
        # Its own temp directory: the postgres user cannot enter the soak's (root's, 0700).
        cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="hindsight-soak-pg-")), args.pg_port)
        await asyncio.to_thread(cluster.create)
        url = cluster.url
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'soak.db'}"
    try:
        await empty_and_migrate(url)
        with SoakSlack(team_id=TEAM_ID, bot_token=TOKEN) as slack:
            soak = await prepare(args, workdir, url, slack, cluster)
            if not await soak.bot.wait_healthy():
                raise SystemExit(f"hindsight serve did not come up; see {workdir}/bot.log")
            verdict = await soak.run()
            await soak.feeder.sessions.kw["bind"].dispose()
            return report(soak, verdict)
    finally:
        if cluster is not None:
            await asyncio.to_thread(cluster.destroy)


async def prepare(
    args: argparse.Namespace,
    workdir: Path,
    url: str,
    slack: SoakSlack,
    cluster: PostgresCluster | None,
) -> Soak:
    clock = SoakClock()
    port = free_port()
    bot = BotProcess(bot_env(args, url, slack), port, workdir / "bot.log", clock)
    requests = SoakRequests(
        f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET, workspace=slack
    )
    requests.team_id = TEAM_ID
    work = Workload(slack, requests)
    work.seed()
    feeder = ItemFeeder(create_sessionmaker(create_engine(url)), TEAM_ID)
    bot.start()
    return Soak(args, workdir, url, clock, slack, bot, requests, work, feeder, cluster)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
