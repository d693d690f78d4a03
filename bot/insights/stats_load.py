"""Reads a team's numbers for a window (the definitions are in bot/insights/stats.py).

The database does what it does best: counting action items per priority and outcome, and the
median and 90th percentile of their time to close (sorted there, only the ranks needed read
back). Incidents come back as plain rows with their earliest marked milestones (one grouped
query), and the response times, publications and factors are worked out in Python. Five
queries whatever the numbers, each scoped by team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.insights.stats import (
    MILESTONE_KINDS,
    IncidentFacts,
    ItemCounts,
    Spread,
    TeamStats,
    build_stats,
    middle_ranks,
    moment,
    nearest_rank,
)
from bot.publish.shapes import RETRO_PICK
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    Incident,
    Priority,
    Retrospective,
    TimelineEvent,
    TimelineMark,
)

Moments = dict[tuple[int, str], tuple[datetime | None, datetime | None]]


async def load_stats(session: AsyncSession, *, team_id: str, now: datetime, days: int) -> TeamStats:
    since = now - timedelta(days=days)
    in_window = and_(
        Incident.team_id == team_id, Incident.started_at >= since, Incident.started_at <= now
    )
    dialect = session.bind.dialect.name
    items, closed = await _item_counts(session, in_window, dialect, now.astimezone(UTC).date())
    return build_stats(
        days=days,
        now=now,
        incidents=await _incidents(session, in_window, await _moments(session, in_window)),
        items=items,
        close_time=await _close_time(session, in_window, dialect, closed),
        factors=await _factors(session, in_window),
    )


# ---- incidents --------------------------------------------------------------------------------


async def _moments(session: AsyncSession, in_window: ColumnElement[bool]) -> Moments:
    """(incident, kind) → (the retrospective's pick, the earliest marked event)."""
    occurred = TimelineEvent.occurred_at
    picked = TimelineMark.reaction == RETRO_PICK + TimelineMark.kind
    rows = await session.execute(
        select(
            TimelineEvent.incident_id,
            TimelineMark.kind,
            func.min(occurred).filter(picked),
            func.min(occurred),
        )
        .join(TimelineEvent, TimelineEvent.id == TimelineMark.event_id)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(
            in_window,
            TimelineMark.team_id == Incident.team_id,
            TimelineEvent.team_id == Incident.team_id,
            TimelineMark.kind.in_(MILESTONE_KINDS),
        )
        .group_by(TimelineEvent.incident_id, TimelineMark.kind)
    )
    return {(incident, kind): (first_pick, first) for incident, kind, first_pick, first in rows}


async def _incidents(
    session: AsyncSession, in_window: ColumnElement[bool], moments: Moments
) -> list[IncidentFacts]:
    rows = await session.execute(
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            Incident.channel_id,
            Incident.severity,
            Incident.status,
            Incident.postmortem_state,
            Incident.services,
            Incident.started_at,
            Incident.detected_at,
            Incident.mitigated_at,
            Incident.resolved_at,
            Retrospective.published_at,
            Incident.no_postmortem_at,
        )
        .outerjoin(
            Retrospective,
            and_(
                Retrospective.incident_id == Incident.id,
                Retrospective.team_id == Incident.team_id,
            ),
        )
        .where(in_window)
        .order_by(Incident.number)
    )
    return [_facts(row, moments) for row in rows]


def _facts(row: Any, moments: Moments) -> IncidentFacts:
    def at(kind: str, column: datetime | None) -> datetime | None:
        return moment(*moments.get((row.id, kind), (None, None)), column)

    return IncidentFacts(
        id=row.id,
        number=row.number,
        title=row.title,
        channel_id=row.channel_id,
        severity=row.severity,
        status=row.status,
        postmortem_state=row.postmortem_state,
        services=tuple(service for service in row.services or () if isinstance(service, str)),
        started_at=row.started_at,
        detected=at("detection", row.detected_at),
        mitigated=at("mitigation", row.mitigated_at),
        resolved=at("resolution", row.resolved_at),
        published_at=row.published_at,
        no_postmortem_needed=row.no_postmortem_at is not None,
    )


async def _factors(
    session: AsyncSession, in_window: ColumnElement[bool]
) -> list[tuple[int, FactorCategory]]:
    rows = await session.execute(
        select(Retrospective.incident_id, ContributingFactor.category)
        .join(Retrospective, Retrospective.id == ContributingFactor.retrospective_id)
        .join(Incident, Incident.id == Retrospective.incident_id)
        .where(
            in_window,
            Retrospective.team_id == Incident.team_id,
            ContributingFactor.team_id == Incident.team_id,
            ContributingFactor.category.is_not(None),
        )
        .distinct()
    )
    return [(incident_id, category) for incident_id, category in rows]


# ---- action items -----------------------------------------------------------------------------


def _utc_date(moment_column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a stored moment (SQLite keeps naive UTC text)."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", moment_column))
    return func.date(moment_column)


def _seconds_to_close(dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return func.extract("epoch", ActionItem.closed_at - ActionItem.created_at)
    return (func.julianday(ActionItem.closed_at) - func.julianday(ActionItem.created_at)) * 86400.0


def _items_of_window(in_window: ColumnElement[bool]) -> Select[Any]:
    return (
        select()
        .select_from(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(in_window, ActionItem.team_id == Incident.team_id)
    )


async def _item_counts(
    session: AsyncSession, in_window: ColumnElement[bool], dialect: str, today: date
) -> tuple[dict[Priority, ItemCounts], int]:
    """Counts per priority, and how many done items have a closing moment (the time to
    close's population)."""
    done = ActionItem.status == ActionStatus.DONE
    still_open = ActionItem.status == ActionStatus.OPEN
    no_due = ActionItem.due_date.is_(None)
    in_time = _utc_date(ActionItem.closed_at, dialect) <= ActionItem.due_date
    rows = await session.execute(
        _items_of_window(in_window)
        .add_columns(
            ActionItem.priority,
            func.count(),
            func.count().filter(done, or_(no_due, in_time)),
            func.count().filter(done, ~no_due, ~in_time),
            func.count().filter(ActionItem.status == ActionStatus.WONT_DO),
            func.count().filter(still_open),
            func.count().filter(still_open, ActionItem.due_date < today),
            func.count().filter(done, ActionItem.closed_at.is_not(None)),
        )
        .group_by(ActionItem.priority)
    )
    counts, timed = {}, 0
    for priority, *numbers, with_close_time in rows:
        counts[priority] = ItemCounts(*(int(value) for value in numbers))
        timed += int(with_close_time)
    return counts, timed


async def _close_time(
    session: AsyncSession, in_window: ColumnElement[bool], dialect: str, closed: int
) -> Spread:
    """Median and p90 of created → closed over done items, sorted by the database: only the
    values at the ranks needed come back."""
    if closed == 0:
        return Spread()
    seconds = _seconds_to_close(dialect)
    ordered = (
        _items_of_window(in_window)
        .add_columns(seconds)
        .where(ActionItem.status == ActionStatus.DONE, ActionItem.closed_at.is_not(None))
        .order_by(seconds)
    )
    low, high = middle_ranks(closed)
    middle = await _values(session, ordered.offset(low).limit(high - low + 1))
    p90 = await _values(session, ordered.offset(nearest_rank(closed)).limit(1))
    if not middle or not p90:
        return Spread()
    return Spread(count=closed, median=sum(middle, timedelta(0)) / len(middle), p90=p90[0])


async def _values(session: AsyncSession, query: Select[Any]) -> Sequence[timedelta]:
    """Durations to the second (SQLite's julian days carry float noise)."""
    return [timedelta(seconds=round(float(value))) for value in await session.scalars(query)]
