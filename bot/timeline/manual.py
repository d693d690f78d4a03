"""Events added by hand (`/postmortem event <time> <text>`): parsed in the person's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.incidents.lifecycle import require_by_channel
from bot.timeline.events import add_event
from bot.timeline.query import viewer_zone
from bot.timeline.timeparse import parse_event
from models import EventSource, Incident, TimelineEvent


@dataclass(frozen=True, slots=True)
class ManualEvent:
    incident: Incident
    event: TimelineEvent
    zone: ZoneInfo  # the person's, to echo the time back as they typed it


async def add_manual_event(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    user_id: str,
    text: str,
    now: datetime,
) -> ManualEvent:
    """A MANUAL event at the time given in `text`, read in the person's zone; committed.
    Refused (UserInputError) outside an incident channel or for a time it can't read."""
    async with sessions() as session:
        incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
        zone = await viewer_zone(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
        parsed = parse_event(text, zone=zone, now=now)
        event = await add_event(
            session=session,
            incident=incident,
            source=EventSource.MANUAL,
            text=parsed.text,
            occurred_at=parsed.occurred_at,
            author_id=user_id,
        )
        await session.commit()
    return ManualEvent(incident=incident, event=event, zone=zone)
