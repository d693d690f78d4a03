"""Incidents and timeline rows written straight through the ORM, for the timeline tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import (
    ActionItem,
    ActionStatus,
    EventSource,
    Incident,
    Severity,
    SlackUser,
    TimelineEvent,
    TimelineMark,
    utcnow,
)
from tests.conftest import TEAM_ID

Sessions = async_sessionmaker[AsyncSession]


def ts_of(moment: datetime, micro: int = 0) -> str:
    """A Slack ts for a moment (microseconds make several per second distinct)."""
    return f"{int(moment.timestamp())}.{micro:06d}"


def at_ts(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


async def seed_incident(
    sessions: Sessions,
    channel_id: str,
    *,
    team_id: str = TEAM_ID,
    number: int = 1,
    title: str = "Checkout errors",
    commander_id: str | None = "U0ALICE",
    started_at: datetime | None = None,
) -> Incident:
    async with sessions() as session, session.begin():
        incident = Incident(
            team_id=team_id,
            number=number,
            title=title,
            summary="Payments failed for EU customers",
            severity=Severity.SEV2,
            channel_id=channel_id,
            declared_by="U0ALICE",
            commander_id=commander_id,
            services=["checkout", "payments"],
        )
        if started_at is not None:
            incident.started_at = started_at
        session.add(incident)
    return incident


async def seed_message(
    sessions: Sessions,
    incident: Incident,
    ts: str,
    text: str,
    *,
    author: str | None = "U0ALICE",
    author_name: str | None = None,
    thread_ts: str | None = None,
    edited_at: datetime | None = None,
    deleted_at: datetime | None = None,
    files: list[dict[str, str]] | None = None,
) -> TimelineEvent:
    async with sessions() as session, session.begin():
        event = TimelineEvent(
            team_id=incident.team_id,
            incident_id=incident.id,
            source=EventSource.MESSAGE,
            channel_id=incident.channel_id,
            ts=ts,
            thread_ts=thread_ts,
            author_id=author,
            author_name=author_name,
            text=None if deleted_at else text,
            files=[] if deleted_at else (files or []),
            occurred_at=at_ts(ts),
            edited_at=edited_at,
            deleted_at=deleted_at,
        )
        session.add(event)
    return event


async def seed_event(
    sessions: Sessions,
    incident: Incident,
    occurred_at: datetime,
    text: str,
    *,
    source: EventSource = EventSource.MANUAL,
    author: str | None = "U0ALICE",
) -> TimelineEvent:
    async with sessions() as session, session.begin():
        event = TimelineEvent(
            team_id=incident.team_id,
            incident_id=incident.id,
            source=source,
            text=text,
            occurred_at=occurred_at,
            author_id=author,
        )
        session.add(event)
    return event


async def seed_mark(
    sessions: Sessions,
    event: TimelineEvent,
    kind: str = "key_event",
    *,
    marked_by: str = "U0BOB",
    reaction: str = "pushpin",
    note: str | None = None,
) -> None:
    async with sessions() as session, session.begin():
        session.add(
            TimelineMark(
                team_id=event.team_id,
                event_id=event.id,
                kind=kind,
                reaction=reaction,
                marked_by=marked_by,
                note=note,
            )
        )


async def seed_cached_user(
    sessions: Sessions,
    user_id: str,
    name: str,
    *,
    tz: str | None = None,
    team_id: str = TEAM_ID,
) -> None:
    """A fresh users.info cache row (so no users.info call is needed for this person)."""
    async with sessions() as session, session.begin():
        session.add(
            SlackUser(
                team_id=team_id,
                user_id=user_id,
                name=name,
                real_name=name.title(),
                display_name=name,
                tz=tz,
                fetched_at=utcnow(),
            )
        )


async def events_of(sessions: Sessions, team_id: str = TEAM_ID) -> list[TimelineEvent]:
    async with sessions() as session:
        found = await session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.team_id == team_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
        return list(found)


async def marks_of(sessions: Sessions, team_id: str = TEAM_ID) -> list[TimelineMark]:
    async with sessions() as session:
        found = await session.scalars(
            select(TimelineMark).where(TimelineMark.team_id == team_id).order_by(TimelineMark.id)
        )
        return list(found)


async def seed_action_item(
    sessions: Sessions,
    incident: Incident,
    title: str,
    *,
    owner_id: str | None,
    due: date | None,
    status: ActionStatus = ActionStatus.OPEN,
    closed_at: datetime | None = None,
) -> ActionItem:
    """An action item as stored, without a reminder schedule (the sweep leaves it alone)."""
    async with sessions() as session, session.begin():
        item = ActionItem(
            team_id=incident.team_id,
            incident_id=incident.id,
            title=title,
            owner_id=owner_id,
            due_date=due,
            status=status,
            closed_at=closed_at,
            created_by="U0BOB",
        )
        session.add(item)
    return item
