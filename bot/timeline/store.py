"""How the capture writer's batches reach the database: the statements for a batch of changes,
run in one transaction on a connection the writer holds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.timeline.events import deletion_upsert, edit_upsert, message_row, new_messages_insert
from bot.timeline.messages import (
    CapturedMessage,
    DeleteMessage,
    EditMessage,
    MessageChange,
    StoreMessage,
    ts_to_datetime,
)
from models import Incident

logger = logging.getLogger(__name__)

# A statement and its parameters: a list of rows (executemany) or None.
Operation = tuple[Any, list[dict[str, Any]] | None]


def batch_operations(dialect: str, changes: Sequence[tuple[int, MessageChange]]) -> list[Operation]:
    """New messages in one executemany, then each edit and deletion (all upserts, so their order
    against each other and against the inserts does not change the outcome)."""
    rows = [
        message_row(change.message, incident_id)
        for incident_id, change in changes
        if isinstance(change, StoreMessage)
    ]
    operations: list[Operation] = [(new_messages_insert(dialect), rows)] if rows else []
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
