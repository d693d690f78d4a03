"""A workspace leaving (SQLite and PostgreSQL): tokens gone at uninstall, data kept for the
retention window, then every row of that team purged and no other team's."""

from __future__ import annotations

import enum
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_runtime
from bot.config import Settings, load_settings
from bot.installations.lifecycle import purge_due, purge_team, team_tables, uninstall
from bot.jobs import PURGE_JOB_ID, run_purge, schedule_jobs
from models import Base
from models.base import UTCDateTime
from models.installation import SlackInstallation, SlackTeam
from tests.clock import FrozenClock
from tests.conftest import SIGNING_SECRET, make_settings
from tests.fakeslack import FakeSlack
from tests.installations.test_store import CLIENT_ID, KEY, installation, make_store

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def _value(table: Table, column: Any, team_id: str) -> Any:
    if isinstance(column.type, UTCDateTime):
        return NOW
    if isinstance(column.type, JSON):
        return {}
    python_type = column.type.python_type
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return next(iter(python_type))
    if python_type is str:
        text_value = f"{team_id}-{table.name}-{column.name}-{next(_numbers)}"
        length = getattr(column.type, "length", None)
        return text_value[-length:] if length else text_value
    if python_type is bool:
        return False
    if python_type is int:
        return next(_numbers)
    if python_type is float:
        return 1.0
    raise AssertionError(f"no sample value for {table.name}.{column.name} ({column.type})")


def _row(table: Table, team_id: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Every required column of `table` filled; foreign keys to this team's parent rows."""
    row: dict[str, Any] = {}
    for column in table.c:
        if column.name == "team_id":
            row["team_id"] = team_id
        elif column.foreign_keys:
            parent = next(iter(column.foreign_keys)).column.table.name
            row[column.name] = ids[parent]
        elif column.primary_key and column.autoincrement is not False and _is_int(column):
            continue
        elif not column.nullable and column.default is None and column.server_default is None:
            row[column.name] = _value(table, column, team_id)
    return row


def _is_int(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


async def seed_every_team_table(session: AsyncSession, team_id: str) -> None:
    """One row of `team_id` in every table that has a team_id column (parents first)."""
    ids: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:
        if "team_id" not in table.c:
            continue
        primary = next(iter(table.primary_key.columns))
        ids[table.name] = await session.scalar(
            table.insert().values(_row(table, team_id, ids)).returning(primary)
        )


async def rows_per_table(session: AsyncSession, team_id: str) -> dict[str, int]:
    return {
        table.name: int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.c.team_id == team_id)
            )
            or 0
        )
        for table in team_tables()
    }


async def test_purge_removes_every_row_of_the_team_and_none_of_another(
    sessions: async_sessionmaker,
) -> None:
    async with sessions.begin() as session:
        await seed_every_team_table(session, "T0GONE")
        await seed_every_team_table(session, "T0STAYS")
    tables = [table.name for table in team_tables()]
    assert len(tables) == len(Base.metadata.tables) - 1  # all but slack_oauth_states
    async with sessions() as session:
        assert set((await rows_per_table(session, "T0GONE")).values()) == {1}

    counts = await purge_team(sessions, "T0GONE")

    assert counts == dict.fromkeys(tables, 1)
    async with sessions() as session:
        assert set((await rows_per_table(session, "T0GONE")).values()) == {0}
        assert set((await rows_per_table(session, "T0STAYS")).values()) == {1}


async def test_uninstall_deletes_the_tokens_at_once_and_keeps_the_data(
    sessions: async_sessionmaker,
) -> None:
    store = make_store(sessions)
    async with sessions.begin() as session:
        await seed_every_team_table(session, "T0A")
    await store.async_save(installation("T0A"))
    await store.async_save(installation("T0A", installed_at=NOW.timestamp() - 60))
    await store.async_save(installation("T0B"))

    deleted = await uninstall(sessions, store, team_id="T0A", enterprise_id=None, now=NOW)

    assert deleted == 3  # the seeded install row and the two saved
    assert await store.async_find_installation(enterprise_id=None, team_id="T0A") is None
    async with sessions() as session:
        left = (await session.scalars(select(SlackInstallation.team_id))).all()
        team = await session.get(SlackTeam, "T0A")
        other = await session.get(SlackTeam, "T0B")
        incidents = await session.scalar(
            text("SELECT count(*) FROM incidents WHERE team_id = 'T0A'")
        )
    assert left == ["T0B"]
    assert team is not None and team.uninstalled_at == NOW
    assert other is not None and other.uninstalled_at is None
    assert incidents == 1


async def test_purge_due_waits_for_the_retention_window(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    for team_id in ("T0OLD", "T0RECENT", "T0LIVE"):
        async with sessions.begin() as session:
            await seed_every_team_table(session, team_id)
        await store.async_save(installation(team_id))
    await uninstall(
        sessions, store, team_id="T0OLD", enterprise_id=None, now=NOW - timedelta(days=30)
    )
    await uninstall(
        sessions, store, team_id="T0RECENT", enterprise_id=None, now=NOW - timedelta(days=29)
    )

    assert await purge_due(sessions, now=NOW - timedelta(seconds=1), retention_days=30) == []
    assert await purge_due(sessions, now=NOW, retention_days=30) == ["T0OLD"]
    assert await purge_due(sessions, now=NOW, retention_days=30) == []
    async with sessions() as session:
        assert set((await rows_per_table(session, "T0OLD")).values()) == {0}
        assert (await rows_per_table(session, "T0RECENT"))["incidents"] == 1
        assert (await rows_per_table(session, "T0LIVE"))["incidents"] == 1
        assert await session.get(SlackTeam, "T0OLD") is None


async def test_a_reinstall_within_the_window_keeps_the_data(sessions: async_sessionmaker) -> None:
    store = make_store(sessions)
    async with sessions.begin() as session:
        await seed_every_team_table(session, "T0A")
    await store.async_save(installation("T0A", installed_at=NOW.timestamp() - 86400 * 40))
    await uninstall(
        sessions, store, team_id="T0A", enterprise_id=None, now=NOW - timedelta(days=20)
    )
    await store.async_save(installation("T0A", installed_at=NOW.timestamp() - 86400 * 10))

    assert await purge_due(sessions, now=NOW + timedelta(days=30), retention_days=30) == []
    async with sessions() as session:
        team = await session.get(SlackTeam, "T0A")
        assert team is not None and team.uninstalled_at is None
        assert (await rows_per_table(session, "T0A"))["incidents"] == 1
    assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is not None


async def test_an_org_wide_uninstall_covers_the_organisations_workspaces(
    sessions: async_sessionmaker,
) -> None:
    store = make_store(sessions)
    await store.async_save(installation(None, enterprise_id="E0ORG", is_enterprise_install=True))
    await store.note_workspace(enterprise_id="E0ORG", team_id="T0W1")
    await store.async_save(installation("T0ALONE", enterprise_id="E0OTHER"))

    await uninstall(sessions, store, team_id=None, enterprise_id="E0ORG", now=NOW)

    async with sessions() as session:
        teams = {
            team.team_id: team.uninstalled_at
            for team in (await session.scalars(select(SlackTeam))).all()
        }
        left = (await session.scalars(select(SlackInstallation.team_id))).all()
    assert teams == {"E0ORG": NOW, "T0W1": NOW, "T0ALONE": None}
    assert left == ["T0ALONE"]
    purged = await purge_due(sessions, now=NOW + timedelta(days=31), retention_days=30)
    assert purged == ["E0ORG", "T0W1"]


def multi_settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return load_settings(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": "test-client-secret",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TOKEN_ENCRYPTION_KEY": KEY,
            "SLACK_API_URL": fake_slack.base_url,
            "DATABASE_URL": database_url,
            "DATA_RETENTION_DAYS_AFTER_UNINSTALL": "7",
        }
    )


async def test_the_daily_purge_job_runs_with_many_workspaces_only(
    fake_slack: FakeSlack, database_url: str, sessions: async_sessionmaker
) -> None:
    single = build_runtime(make_settings(fake_slack, database_url), clock=FrozenClock(NOW))
    schedule_jobs(single)
    assert single.scheduler.get_job(PURGE_JOB_ID) is None
    await single.close()

    store = make_store(sessions)
    for team_id in ("T0OLD", "T0RECENT"):
        async with sessions.begin() as session:
            await seed_every_team_table(session, team_id)
        await store.async_save(installation(team_id))
    await uninstall(
        sessions, store, team_id="T0OLD", enterprise_id=None, now=NOW - timedelta(days=8)
    )
    await uninstall(sessions, store, team_id="T0RECENT", enterprise_id=None, now=NOW)
    runtime = build_runtime(multi_settings(fake_slack, database_url), clock=FrozenClock(NOW))
    try:
        schedule_jobs(runtime)
        job = runtime.scheduler.get_job(PURGE_JOB_ID)
        assert job is not None and job.trigger.interval == timedelta(hours=24)
        await run_purge(runtime)
    finally:
        await runtime.close()
    async with sessions() as session:
        assert set((await rows_per_table(session, "T0OLD")).values()) == {0}
        assert (await rows_per_table(session, "T0RECENT"))["incidents"] == 1
