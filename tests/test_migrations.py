"""The Alembic history builds the schema the models describe, and can be walked both ways."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.sql.expression import TableClause

from bot.config import load_settings
from bot.db import alembic_config, create_engine, create_sessionmaker
from bot.search.schema import include_name, is_search_object
from models import ActionItem, Base, Incident
from tests.conftest import PG_URL


@pytest.fixture
async def scratch_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database nobody else uses (migrations drop and create whole tables)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    assert PG_URL, "PostgreSQL cases are marked postgresql and skipped without a server"
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
    # The search index (FTS5 tables, tsvector columns) is not in the models, by design.
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, Base.metadata))


def table_names(connection: Connection) -> set[str]:
    names = set(inspect(connection).get_table_names()) - {"alembic_version"}
    return {name for name in names if not is_search_object(name, "table")}


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


# Issued before anyone says which workspace they install in (models/installation.py).
NOT_TEAM_SCOPED = {"slack_oauth_states"}


def test_every_table_carries_team_id() -> None:
    for table in Base.metadata.tables.values():
        if table.name in NOT_TEAM_SCOPED:
            assert "team_id" not in table.columns, table.name
            continue
        assert "team_id" in table.columns, table.name
        assert not table.columns["team_id"].nullable, table.name


async def test_items_made_before_reminders_get_a_due_date_and_a_reminder_due_now(
    scratch_url: str,
) -> None:
    await run_alembic(scratch_url, "upgrade", "0001")
    engine = create_engine(scratch_url)
    made = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(incidents_before_0006()).values(
                    id=1,
                    team_id="T1",
                    number=1,
                    title="Checkout errors",
                    summary="",
                    severity="SEV2",
                    status="resolved",
                    postmortem_state="draft",
                    declared_by="U1",
                    services=[],
                    started_at=made,
                    created_at=made,
                    updated_at=made,
                )
            )
            rows = [
                ("high", None, "U1", "open"),
                ("low", None, "U1", "open"),
                ("medium", date(2026, 12, 1), "U2", "open"),
                ("medium", None, None, "open"),
                ("medium", None, "U1", "done"),
            ]
            for number, (priority, due, owner, status) in enumerate(rows, start=1):
                await connection.execute(
                    insert(items_before_0002()).values(
                        id=number,
                        team_id="T1",
                        incident_id=1,
                        title=f"Item {number}",
                        owner_id=owner,
                        due_date=due,
                        priority=priority,
                        kind="prevent",
                        status=status,
                        created_by="U1",
                        reminder_count=0,
                        overdue_nudges=0,
                        created_at=made,
                        updated_at=made,
                    )
                )
        before = datetime.now(UTC) - timedelta(seconds=5)
        await run_alembic(scratch_url, "upgrade", "head")
        async with create_sessionmaker(engine)() as session:
            items = list(await session.scalars(select(ActionItem).order_by(ActionItem.id)))
        assert [item.due_date for item in items] == [
            date(2026, 11, 5),
            date(2026, 11, 16),
            date(2026, 12, 1),
            date(2026, 11, 9),
            date(2026, 11, 9),
        ]
        reminded = [item.next_reminder_at for item in items]
        assert all(at is not None and before <= at <= datetime.now(UTC) for at in reminded[:3])
        assert reminded[3:] == [None, None]  # no owner; closed
    finally:
        await engine.dispose()


def items_before_0002() -> TableClause:
    """action_items as revision 0001 made it (the model's newer columns left out)."""
    newer = {"reminder_claim", "claimed_until", "send_failures"}
    columns = [sa.column(c.name, c.type) for c in ActionItem.__table__.c if c.name not in newer]
    return sa.table("action_items", *columns)


def incidents_before_0006() -> TableClause:
    """incidents without the postmortem-debt columns of revision 0006 (defaults of their own)."""
    newer = {
        "debt_next_at",
        "debt_due_at",
        "debt_nudges",
        "debt_last_nudged_at",
        "debt_escalated_at",
        "debt_send_failures",
        "debt_claim",
        "debt_claimed_until",
        "no_postmortem_reason",
        "no_postmortem_by",
        "no_postmortem_at",
    }
    columns = [sa.column(c.name, c.type) for c in Incident.__table__.c if c.name not in newer]
    return sa.table("incidents", *columns)
