"""The incident timeline: events captured from the channel, added by hand, or by the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import EventSource, Incident, TimelineEvent

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
