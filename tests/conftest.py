"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when configured), the fake
Slack Web API, and the real app served over HTTP on loopback."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Clock, Runtime, build_runtime
from bot.config import Settings, load_settings
from bot.db import create_engine, create_sessionmaker, migrate
from bot.server import HindsightASGI
from models import Base, utcnow
from tests.fakeslack import FakeSlack, SlackRequests

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0TEAM1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PG_SKIP_REASON = (
    "PostgreSQL case: set TEST_DATABASE_URL="
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test to run it"
)

# The task in which Bolt runs a listener on after its ack (slack_bolt.listener.asyncio_runner).
BOLT_LISTENER_TASK = "run_ack_function_asynchronously"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real SLACK_*, tracker or DATABASE_URL values on the machine must never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GITHUB_", "JIRA_", "TRACKER_")) or name in (
            "DATABASE_URL",
            "POSTMORTEM_CHANNEL",
        ):
            monkeypatch.delenv(name)


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """The PostgreSQL test database, emptied and migrated once per run. Requested only for the
    `backend` fixture's PostgreSQL cases, which are skipped (with the reason) without a URL."""
    assert PG_URL, (
        "a test that uses PostgreSQL must be marked postgresql (see pytest_runtest_setup)"
    )
    url = load_settings({"DATABASE_URL": PG_URL}).database_url

    async def reset() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await migrate(url)

    asyncio.run(reset())
    return url


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The one place a PostgreSQL case is skipped: every test marked `postgresql` (the
    `backend` fixture's PostgreSQL param carries the mark, and so must any other test that
    asks for the server), with the reason, when no server is configured."""
    if not PG_URL and item.get_closest_marker("postgresql") is not None:
        pytest.skip(PG_SKIP_REASON)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def migrated_source(backend: str, request: pytest.FixtureRequest) -> str:
    """The migrated SQLite template file, or the migrated PostgreSQL URL (set up outside the
    test's event loop: Alembic runs its own)."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_template"))
    return str(request.getfixturevalue("postgres_migrated"))


@pytest.fixture
async def database_url(backend: str, migrated_source: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database for this test alone."""
    if backend == "sqlite":
        path = tmp_path / "hindsight.db"
        shutil.copyfile(migrated_source, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    await truncate_all(migrated_source)
    yield migrated_source


async def truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


def database_name(url: str) -> str:
    return make_url(url).database or ""


# --- Slack -------------------------------------------------------------------------------


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(team_id=TEAM_ID, bot_token=BOT_TOKEN)
    fake.start()
    try:
        yield fake
        fake.assert_no_violations()  # every call we made had Slack's required arguments
    finally:
        fake.stop()


def make_settings(fake_slack: FakeSlack, database_url: str, **overrides: str) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "DEBUG",
    }
    return load_settings(env | overrides)


@dataclass
class ServedBot:
    """The real app, served by uvicorn on a loopback port for one test."""

    url: str
    runtime: Runtime

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    async def idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until every listener still running after its ack has returned (Bolt finishes a
        listener in a task of its own once it acked): all it was going to send has been sent."""
        assert BOLT_LISTENER_TASK in inspect.getsource(AsyncioListenerRunner.run)
        running = [
            task
            for task in asyncio.all_tasks()
            if BOLT_LISTENER_TASK in getattr(task.get_coro(), "__qualname__", "")
        ]
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            assert not pending, f"{len(pending)} listener(s) still running after {timeout}s"


@pytest.fixture
def clock() -> Clock:
    """The served bot's "now": real time, unless a test module holds it (tests/clock.py)."""
    return utcnow


@pytest.fixture
async def served_bot(
    fake_slack: FakeSlack, database_url: str, clock: Clock
) -> AsyncIterator[ServedBot]:
    runtime = build_runtime(make_settings(fake_slack, database_url), clock=clock)
    async with serve_app(runtime) as bot:
        yield bot


class serve_app:
    """Run uvicorn in this event loop on an ephemeral port until the block ends."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(HindsightASGI(runtime), lifespan="on", log_config=None)
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ServedBot:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # surface the start-up error
            await asyncio.sleep(0.005)
        port = self.sock.getsockname()[1]
        return ServedBot(url=f"http://127.0.0.1:{port}", runtime=self.runtime)

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


@pytest.fixture
def slack(served_bot: ServedBot, fake_slack: FakeSlack) -> SlackRequests:
    """Sends Slack's signed requests to the served bot."""
    return SlackRequests(
        served_bot.events_url, signing_secret=SIGNING_SECRET, fake=fake_slack, team_id=TEAM_ID
    )
