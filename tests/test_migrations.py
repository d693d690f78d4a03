"""The Alembic history builds the schema the models describe, and can be walked both ways."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from bot.config import load_settings
from bot.db import alembic_config, create_engine
from models import Base
from tests.conftest import PG_SKIP_REASON, PG_URL


@pytest.fixture
async def scratch_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database nobody else uses (migrations drop and create whole tables)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    server = make_url(load_settings({"DATABASE_URL": PG_URL}).database_url)
    name = f"hindsight_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        server.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def run_alembic(url: str, action: str, revision: str) -> None:
    import asyncio

    await asyncio.to_thread(getattr(command, action), alembic_config(url), revision)


async def test_upgrade_downgrade_upgrade_matches_the_models(scratch_url: str) -> None:
    await run_alembic(scratch_url, "upgrade", "head")
    await run_alembic(scratch_url, "downgrade", "base")
    engine = create_engine(scratch_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()
        await run_alembic(scratch_url, "upgrade", "head")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set(Base.metadata.tables)
            assert await connection.run_sync(schema_differences) == []
            head = ScriptDirectory.from_config(alembic_config(scratch_url)).get_current_head()
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            assert version == head
    finally:
        await engine.dispose()


def test_history_is_one_straight_line() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].down_revision is None


def test_every_table_carries_team_id() -> None:
    for table in Base.metadata.tables.values():
        assert "team_id" in table.columns, table.name
        assert not table.columns["team_id"].nullable, table.name
