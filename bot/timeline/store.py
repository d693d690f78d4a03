"""How the capture writer's batches reach the database: the statements for a batch of changes,
run in one transaction on a connection the writer holds."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.timeline.events import (
    NATURAL_KEY,
    deletion_upsert,
    edit_upsert,
    message_row,
    new_messages_insert,
)
from bot.timeline.messages import (
    CapturedMessage,
    DeleteMessage,
    EditMessage,
    MessageChange,
    StoreMessage,
    ts_to_datetime,
)
from models import Incident, TimelineEvent, utcnow

logger = logging.getLogger(__name__)

# A statement and its parameters: a list of rows (executemany), one set of them, or None.
Operation = tuple[Any, list[dict[str, Any]] | dict[str, Any] | None]


def batch_operations(dialect: str, changes: Sequence[tuple[int, MessageChange]]) -> list[Operation]:
    """New messages in one executemany, then each edit and deletion (all upserts, so their order
    against each other and against the inserts does not change the outcome)."""
    rows = [
        message_row(change.message, incident_id)
        for incident_id, change in changes
        if isinstance(change, StoreMessage)
    ]
    operations: list[Operation] = []
    if rows and dialect == "postgresql":
        operations.append((unnested_insert(), as_columns(rows)))
    elif rows:
        operations.append((new_messages_insert(dialect), rows))
    for incident_id, change in changes:
        if isinstance(change, EditMessage):
            operations.append((edit_upsert(dialect, change.message, incident_id), None))
        elif isinstance(change, DeleteMessage):
            statement = deletion_upsert(
                dialect,
                incident_id=incident_id,
                team_id=change.team_id,
                channel_id=change.channel_id,
                ts=change.ts,
                thread_ts=change.thread_ts,
                author_id=change.author_id,
                occurred_at=ts_to_datetime(change.ts),
                deleted_at=change.deleted_at,
            )
            operations.append((statement, None))
    return operations


# PostgreSQL: the new messages as one array per column, inserted by one statement that unnests
# them, instead of an executemany that runs the insert (its triggers, its plan) once per row:
# about a third of the database's time per batch here. JSON goes as text, cast in SQL.
UNNESTED = [
    *("team_id", "incident_id", "source", "channel_id", "ts", "thread_ts", "author_id"),
    *("author_name", "text", "files", "occurred_at", "edited_at", "deleted_at", "created_at"),
]


@cache
def unnested_insert() -> Any:
    columns = TimelineEvent.__table__.c
    arrays = [
        cast(func.unnest(bindparam(name, type_=postgresql.ARRAY(Text))), JSON)
        if name == "files"
        else func.unnest(bindparam(name, type_=postgresql.ARRAY(columns[name].type)))
        for name in UNNESTED
    ]
    statement = postgresql.insert(TimelineEvent.__table__).from_select(UNNESTED, select(*arrays))
    return statement.on_conflict_do_nothing(index_elements=NATURAL_KEY)


def as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """message_row's rows as unnested_insert's arrays (files as JSON text, created now)."""
    columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in UNNESTED[:-1]}
    columns["files"] = [json.dumps(files) for files in columns["files"]]
    columns["created_at"] = [utcnow()] * len(rows)
    return columns


async def incident_channels(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Every incident channel: (team, channel) → incident id (what capture looks up)."""
    rows = await session.execute(
        select(Incident.team_id, Incident.channel_id, Incident.id).where(
            Incident.channel_id.is_not(None)
        )
    )
    return {(team_id, channel_id): incident_id for team_id, channel_id, incident_id in rows}


def rehearsal(*, team_id: str, channel_id: str) -> list[MessageChange]:
    """One change of each kind, for a ts no Slack message has: what a warm-up runs (and rolls
    back) so the first real batch finds its statements compiled and prepared."""
    when = ts_to_datetime(REHEARSAL_TS)
    message = CapturedMessage(team_id, channel_id, REHEARSAL_TS, None, None, None, "", when)
    return [
        StoreMessage(message),
        EditMessage(message),
        DeleteMessage(team_id, channel_id, REHEARSAL_TS, None, None, when),
    ]


REHEARSAL_TS = "0.000001"


class BatchStore:
    """Runs batches on one held connection: no pool checkout, ping or ORM session per batch.

    (Tried and dropped: running SQLite batches in one thread hop on a plain sqlite3 connection
    instead of aiosqlite's hop per cursor call; it measured no faster over HTTP.)
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.connection: AsyncConnection | None = None

    async def run(self, operations: Sequence[Operation], *, commit: bool = True) -> None:
        """The operations in one transaction, committed (or rolled back: a rehearsal)."""
        if self.connection is None:
            self.connection = await self.engine.connect()
        try:
            transaction = await self.connection.begin()
            try:
                for statement, parameters in operations:
                    await self.connection.execute(statement, parameters)
            except BaseException:
                await transaction.rollback()
                raise
            await (transaction.commit() if commit else transaction.rollback())
        except Exception:
            await self.close()  # whatever went wrong, the next batch starts on a fresh one
            raise

    async def rehearse(self, operations: Sequence[Operation]) -> None:
        """Run the operations and roll them back: nothing stored, everything compiled."""
        await self.run(operations, commit=False)

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception as error:  # a dead connection; the pool replaces it
                logger.warning("capture: closing its connection failed: %r", error)
