"""The incident timeline: events captured from the channel, added by hand, or by the bot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models import EventSource, Incident, TimelineEvent, TimelineMark

if TYPE_CHECKING:
    from bot.timeline.messages import CapturedMessage

# The kinds a mark can give an event, in the order the retro asks about them.
MARK_KINDS: tuple[str, ...] = (
    "key_event",
    "detection",
    "action",
    "mitigation",
    "resolution",
    "lesson",
)


async def add_event(
    *,
    session: AsyncSession,
    incident: Incident,
    source: EventSource,
    text: str,
    occurred_at: datetime,
    author_id: str | None,
) -> TimelineEvent:
    """A manual or system event (no Slack message behind it)."""
    event = TimelineEvent(
        team_id=incident.team_id,
        incident_id=incident.id,
        source=source,
        text=text,
        occurred_at=occurred_at,
        author_id=author_id,
    )
    session.add(event)
    await session.flush()
    return event


# ---- captured messages and marks (timeline/messages.py and timeline/backfill.py feed these) ----


MESSAGE_SOURCE = EventSource.MESSAGE.value
NATURAL_KEY = ["team_id", "channel_id", "ts"]  # a message is stored once per team and channel
# The capture writer runs these on a connection it holds (no ORM session per batch).
Executor = AsyncSession | AsyncConnection


def dialect_of(session: Executor) -> str:
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    return bind.dialect.name


def upsert_insert(dialect: str, model: type[Any]) -> Any:
    """An INSERT that supports ON CONFLICT on this backend (SQLite or PostgreSQL)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def message_row(message: CapturedMessage, incident_id: int) -> dict[str, Any]:
    """The timeline_events row for a captured message (every row has the same keys)."""
    return {
        "team_id": message.team_id,
        "incident_id": incident_id,
        "source": MESSAGE_SOURCE,
        "channel_id": message.channel_id,
        "ts": message.ts,
        "thread_ts": message.thread_ts,
        "author_id": message.author_id,
        "author_name": message.author_name,
        "text": message.text,
        "files": list(message.files),
        "occurred_at": message.occurred_at,
        "edited_at": message.edited_at,
        "deleted_at": None,
    }


def new_messages_insert(dialect: str) -> Any:
    """Insert rows (executemany) whose ts is not stored yet; a stored ts keeps what it has."""
    return upsert_insert(dialect, TimelineEvent).on_conflict_do_nothing(index_elements=NATURAL_KEY)


def edit_upsert(dialect: str, message: CapturedMessage, incident_id: int) -> Any:
    """A message's newer version: inserted if unknown (the edit came first), else its text
    replaces the stored one unless the message was deleted or a newer edit is stored."""
    statement = upsert_insert(dialect, TimelineEvent).values(**message_row(message, incident_id))
    table, new = TimelineEvent.__table__, statement.excluded
    return statement.on_conflict_do_update(
        index_elements=NATURAL_KEY,
        set_={"text": new.text, "files": new.files, "edited_at": new.edited_at},
        where=table.c.deleted_at.is_(None)
        & (table.c.edited_at.is_(None) | (table.c.edited_at < new.edited_at)),
    )


def deletion_upsert(
    dialect: str,
    *,
    incident_id: int,
    team_id: str,
    channel_id: str,
    ts: str,
    thread_ts: str | None,
    author_id: str | None,
    occurred_at: datetime,
    deleted_at: datetime,
) -> Any:
    """Remove a message's text (and files); a tombstone if it is not stored yet, so that the
    original arriving late is ignored."""
    row = {"team_id": team_id, "incident_id": incident_id, "channel_id": channel_id, "ts": ts}
    row |= {"source": MESSAGE_SOURCE, "thread_ts": thread_ts, "author_id": author_id}
    row |= {"text": None, "files": [], "occurred_at": occurred_at, "deleted_at": deleted_at}
    statement = upsert_insert(dialect, TimelineEvent).values(**row)
    return statement.on_conflict_do_update(
        index_elements=NATURAL_KEY,
        set_={"text": None, "files": [], "deleted_at": statement.excluded.deleted_at},
        where=TimelineEvent.__table__.c.deleted_at.is_(None),
    )


async def store_messages(
    *,
    session: Executor,
    incident_id: int,
    team_id: str,
    messages: Sequence[CapturedMessage],
) -> int:
    """Insert the messages not stored yet (by team, channel and ts); returns how many were new.

    Whatever is already stored for a ts wins: a later edit, or a deletion's tombstone.
    """
    rows = [message_row(m, incident_id) for m in messages if m.team_id == team_id]
    if not rows:
        return 0
    statement = new_messages_insert(dialect_of(session)).returning(TimelineEvent.__table__.c.id)
    result = await session.execute(statement, rows)
    return len(result.all())


async def find_message_event(
    *, session: AsyncSession, team_id: str, channel_id: str, ts: str
) -> TimelineEvent | None:
    return await session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.team_id == team_id,
            TimelineEvent.channel_id == channel_id,
            TimelineEvent.ts == ts,
        )
    )


async def mark_event(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    ts: str,
    kind: str,
    marked_by: str,
    reaction: str = "",
    note: str | None = None,
) -> TimelineEvent | None:
    """Mark the event of message `ts` (one mark per person and reaction); None if not stored."""
    event = await find_message_event(session=session, team_id=team_id, channel_id=channel_id, ts=ts)
    if event is None:
        return None
    values = {"team_id": team_id, "event_id": event.id, "marked_by": marked_by}
    values |= {"reaction": reaction, "kind": kind, "note": note}
    statement = upsert_insert(dialect_of(session), TimelineMark).values(**values)
    update = {"kind": statement.excluded.kind}
    if note is not None:
        update["note"] = statement.excluded.note
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["event_id", "marked_by", "reaction"], set_=update
        )
    )
    return event


async def unmark_event(
    *, session: AsyncSession, team_id: str, channel_id: str, ts: str, marked_by: str, reaction: str
) -> None:
    """Remove this person's mark made with `reaction`; the event stays marked by any other."""
    event_ids = select(TimelineEvent.id).where(
        TimelineEvent.team_id == team_id,
        TimelineEvent.channel_id == channel_id,
        TimelineEvent.ts == ts,
    )
    await session.execute(
        delete(TimelineMark).where(
            TimelineMark.team_id == team_id,
            TimelineMark.event_id.in_(event_ids),
            TimelineMark.marked_by == marked_by,
            TimelineMark.reaction == reaction,
        )
    )
