"""The search index (migration 0007): rows stored before it are indexed by the upgrade; it
follows every later write (triggers), through cascades too; the downgrade removes it whole."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Insert, delete, insert, inspect, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import create_engine, create_sessionmaker
from bot.search.fields import DOCUMENT_FIELDS
from bot.search.query import parse_search
from bot.search.schema import (
    POSTGRES_TRIGGERS,
    SEARCH_TABLES,
    SQLITE_TRIGGERS,
    VECTOR_COLUMN,
    VIEW,
)
from bot.search.service import search
from models import (
    ActionItem,
    Base,
    ContributingFactor,
    Incident,
    Retrospective,
    TimelineEvent,
)
from tests.search.seed import TEAM_A, Story, seed
from tests.test_migrations import run_alembic, scratch_url  # noqa: F401 (a fixture)

BEFORE_SEARCH = "0006"
TOKENIZE = "porter unicode61 remove_diacritics 2"  # as migration 0007 has it
WHEN = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)


async def found(sessions: async_sessionmaker[AsyncSession], words: str) -> list[int]:
    async with sessions() as session:
        page = await search(session=session, team_id=TEAM_A, query=parse_search(words))
    return [int(hit.ref.removeprefix("INC-")) for hit in page.hits]


async def index_is_whole(engine: AsyncEngine) -> None:
    """SQLite: FTS5's own check of each index against its content; PostgreSQL: every stored
    document equals the one its incident makes now, and every incident has one."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            await _sqlite_index_is_whole(connection)
            return
        stale = await connection.scalar(
            text(
                "SELECT count(*) FROM incidents AS i LEFT JOIN search_documents AS d"
                " ON d.incident_id = i.id"
                " WHERE d.document IS DISTINCT FROM search_document(i.id)"
                " OR d.team_id IS DISTINCT FROM i.team_id"
            )
        )
        assert stale == 0


async def _sqlite_index_is_whole(connection: AsyncConnection) -> None:
    """The timeline by FTS5's check against its table; the documents (read through a view,
    which that check cannot) by comparing every token the index holds, with its place, to an
    index built afresh from the view."""
    run = connection.exec_driver_sql
    await run("INSERT INTO search_timeline(search_timeline, rank) VALUES ('integrity-check', 1)")
    await run("INSERT INTO search_documents(search_documents) VALUES ('integrity-check')")
    columns = ", ".join(field.column for field in DOCUMENT_FIELDS)
    await run(f"CREATE VIRTUAL TABLE temp.fresh USING fts5({columns}, tokenize='{TOKENIZE}')")
    await run(f"INSERT INTO temp.fresh(rowid, {columns}) SELECT id, {columns} FROM {VIEW}")
    await run("CREATE VIRTUAL TABLE temp.fresh_tokens USING fts5vocab(temp, fresh, instance)")
    await run(
        "CREATE VIRTUAL TABLE temp.kept_tokens USING fts5vocab(main, search_documents, instance)"
    )
    for one, other in (("fresh_tokens", "kept_tokens"), ("kept_tokens", "fresh_tokens")):
        extra = await run(f"SELECT * FROM temp.{one} EXCEPT SELECT * FROM temp.{other}")
        assert extra.all() == [], one
    for table in ("kept_tokens", "fresh_tokens", "fresh"):
        await run(f"DROP TABLE temp.{table}")


async def test_rows_stored_before_the_upgrade_are_indexed_by_it(scratch_url: str) -> None:  # noqa: F811
    await run_alembic(scratch_url, "upgrade", BEFORE_SEARCH)
    engine = create_engine(scratch_url)
    try:
        async with engine.begin() as connection:
            await _rows_before_search(connection)
        await run_alembic(scratch_url, "upgrade", "head")
        sessions = create_sessionmaker(engine)
        for word in ("ocelot", "pangolin", "quokka", "wombat", "axolotl", "capybara"):
            assert await found(sessions, word) == [3], word
        assert await found(sessions, "tapir") == []  # the deleted message's
        await index_is_whole(engine)
    finally:
        await engine.dispose()


async def _rows_before_search(connection: object) -> None:
    """INC-3 with a retrospective, a factor, an action item and two messages (one deleted),
    written with plain inserts as an older version would have."""
    run = connection.execute  # type: ignore[attr-defined]
    stamps = {"created_at": WHEN, "updated_at": WHEN}
    await run(
        _row(
            Incident,
            id=1,
            team_id=TEAM_A,
            number=3,
            title="Ocelot outage",
            summary="the pangolin job",
            severity="SEV2",
            status="resolved",
            postmortem_state="published",
            declared_by="U1",
            services=["quokka"],
            started_at=WHEN,
            **stamps,
        )
    )
    await run(
        _row(
            Retrospective,
            id=1,
            team_id=TEAM_A,
            incident_id=1,
            summary="",
            customer_impact="",
            duration="",
            detection="",
            went_well="",
            went_badly="wombat",
            got_lucky="",
            completed_steps=[],
            version=1,
            **stamps,
        )
    )
    await run(
        _row(
            ContributingFactor,
            id=1,
            team_id=TEAM_A,
            retrospective_id=1,
            position=0,
            category="process",
            description="The axolotl check was off",
            whys=["why"],
        )
    )
    await run(
        _row(
            ActionItem,
            id=1,
            team_id=TEAM_A,
            incident_id=1,
            title="Feed the capybara",
            priority="high",
            kind="prevent",
            status="open",
            created_by="U1",
            reminder_count=0,
            overdue_nudges=0,
            send_failures=0,
            notice_failures=0,
            **stamps,
        )
    )
    for n, (words, deleted_at) in enumerate((("a kinkajou", None), ("tapir", WHEN)), start=1):
        await run(
            _row(
                TimelineEvent,
                id=n,
                team_id=TEAM_A,
                incident_id=1,
                source="message",
                channel_id="C1",
                ts=f"1.{n}",
                text=words,
                files=[],
                occurred_at=WHEN,
                deleted_at=deleted_at,
                created_at=WHEN,
            )
        )


def _row(model: type[Base], **values: object) -> Insert:
    """An insert of just these columns (typed as the model has them), so columns that later
    revisions add, with their defaults, stay out of a database at 0006."""
    columns = [sa.column(name, model.__table__.c[name].type) for name in values]
    return insert(sa.table(model.__tablename__, *columns)).values(**values)


async def test_the_index_follows_every_change_cascades_included(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    [story, other] = await seed(
        sessions,
        Story(
            1,
            "Lemur outage",
            summary="the gecko",
            factors=[("iguana", ["why"]), ("newt", [])],
            actions=["Tame the marmot"],
            lessons=("heron", "", ""),
            retro="stork",
            messages=["the bison said hi"],
        ),
        Story(2, "Lemur again"),
    )
    incident_id = story.ids["incident"]
    async with sessions() as session, session.begin():
        await session.execute(
            update(Incident).where(Incident.id == incident_id).values(title="Mongoose outage")
        )
        await session.execute(
            update(ContributingFactor)
            .where(ContributingFactor.description == "newt")
            .values(description="salamander", whys=["toad"])
        )
        await session.execute(delete(ActionItem).where(ActionItem.incident_id == incident_id))
        await session.execute(
            update(Incident).where(Incident.id == incident_id).values(status="closed")
        )
    assert await found(sessions, "lemur") == [2]
    assert await found(sessions, "mongoose") == [1]
    assert await found(sessions, "newt") == [] and await found(sessions, "toad") == [1]
    assert await found(sessions, "marmot") == []
    assert await found(sessions, "iguana heron stork gecko") == [1]
    await index_is_whole(engine)

    async with sessions() as session, session.begin():  # the retro, and its factors with it
        await session.execute(delete(Retrospective).where(Retrospective.incident_id == incident_id))
    for word in ("iguana", "salamander", "heron", "stork"):
        assert await found(sessions, word) == [], word
    assert await found(sessions, "gecko") == [1]
    await index_is_whole(engine)

    async with sessions() as session, session.begin():  # the incident, and all it holds
        await session.execute(delete(Incident).where(Incident.id == incident_id))
    assert await found(sessions, "mongoose") == [] and await found(sessions, "bison") == []
    assert await found(sessions, "lemur") == [other.number]
    await index_is_whole(engine)


async def test_the_downgrade_removes_the_index_whole(scratch_url: str) -> None:  # noqa: F811
    await run_alembic(scratch_url, "upgrade", "head")
    await run_alembic(scratch_url, "downgrade", BEFORE_SEARCH)
    engine = create_engine(scratch_url)
    try:
        async with engine.connect() as connection:
            left = await connection.run_sync(_search_objects)
        assert left == []
    finally:
        await engine.dispose()
    await run_alembic(scratch_url, "upgrade", "head")  # and it can be made again


def _search_objects(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    names = set(inspector.get_table_names()) | set(inspector.get_view_names())
    left = sorted(names & (SEARCH_TABLES | {VIEW}))
    columns = [c["name"] for c in inspector.get_columns("timeline_events")]
    left += [VECTOR_COLUMN] if VECTOR_COLUMN in columns else []
    if connection.dialect.name == "sqlite":
        triggers = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        left += [name for (name,) in triggers if name in SQLITE_TRIGGERS]
    else:
        functions = connection.execute(
            text("SELECT proname FROM pg_proc WHERE proname LIKE 'search\\_%'")
        )
        left += [name for (name,) in functions]
    return left


async def test_every_trigger_is_there_at_head(engine: AsyncEngine) -> None:
    """A later migration that rebuilds one of these tables on SQLite (batch mode's copy and
    rename) drops its triggers: this says so."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            )
            assert set(SQLITE_TRIGGERS) <= {name for (name,) in rows}
        else:
            rows = await connection.execute(text("SELECT tgname FROM pg_trigger"))
            assert set(POSTGRES_TRIGGERS) <= {name for (name,) in rows}
