"""Reads a team's numbers for a window (the definitions are in bot/insights/stats.py).

Aggregates are left to the database: action items counted per priority and outcome; the
median and 90th percentile of their time to close (sorted there, only the values at the
ranks needed read back); contributing-factor categories counted per incident, and per service
(the incident's services unnested: json_each on SQLite, json_array_elements_text on
PostgreSQL). Incidents come back as one plain row each, every milestone already chosen by
COALESCE(the retrospective's pick, the earliest marked event, the incident's column) and read
as whole seconds since 1970; the medians and percentiles over them are worked out in Python
(bot/insights/stats.py). Six queries whatever the numbers, each scoped by team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    Subquery,
    and_,
    cast,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias

from bot.insights.stats import (
    MILESTONE_KINDS,
    REPEAT_AT_LEAST,
    IncidentFacts,
    ItemCounts,
    Repeat,
    Spread,
    TeamStats,
    build_stats,
    middle_ranks,
    nearest_rank,
)
from bot.publish.shapes import RETRO_PICK
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    Incident,
    IncidentStatus,
    PostmortemState,
    Priority,
    Retrospective,
    Severity,
    TimelineEvent,
    TimelineMark,
)

JULIAN_EPOCH = 2440587.5  # julianday('1970-01-01')
SEVERITIES = {severity.value: severity for severity in Severity}
STATUSES = {status.value: status for status in IncidentStatus}
STATES = {state.value: state for state in PostmortemState}
CATEGORIES = {category.value: category for category in FactorCategory}


@dataclass(frozen=True, slots=True)
class Scope:
    """The team and window every query keeps to. The team is compared with each table's own
    team_id (a literal, so its index leads the plan), never only through a join."""

    team_id: str
    since: datetime
    now: datetime
    dialect: str

    @property
    def incidents(self) -> ColumnElement[bool]:
        return and_(
            Incident.team_id == self.team_id,
            Incident.started_at >= self.since,
            Incident.started_at <= self.now,
        )


async def load_stats(session: AsyncSession, *, team_id: str, now: datetime, days: int) -> TeamStats:
    scope = Scope(team_id, now - timedelta(days=days), now, session.bind.dialect.name)
    items, closed = await _item_counts(session, scope, now.astimezone(UTC).date())
    categories, repeats = await _factors(session, scope)
    return build_stats(
        days=days,
        now=now,
        incidents=await _incidents(session, scope),
        items=items,
        close_time=await _close_time(session, scope, closed),
        categories=categories,
        repeats=repeats,
    )


# ---- incidents --------------------------------------------------------------------------------


def _epoch(moment: Any, dialect: str) -> ColumnElement[float]:
    """Whole seconds since 1970 (UTC) of a stored moment, as a float: 10,000 of them read far
    faster than 10,000 datetimes parsed and converted (SQLite keeps naive UTC text). Rounded
    in the database: julian days carry float noise, PostgreSQL's epoch is a numeric."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", moment)
    else:
        seconds = (func.julianday(moment) - JULIAN_EPOCH) * 86400.0
    return cast(func.round(seconds), Float)


def _marked_milestones(scope: Scope) -> Subquery:
    """Per incident, for each milestone kind: the retrospective's pick and the earliest event
    marked with it (one grouped pass over the window's marks)."""
    occurred, kind = TimelineEvent.occurred_at, TimelineMark.kind
    columns = []
    for milestone in MILESTONE_KINDS:
        picked = and_(kind == milestone, TimelineMark.reaction == RETRO_PICK + milestone)
        columns += [
            func.min(occurred).filter(picked).label(f"{milestone}_pick"),
            func.min(occurred).filter(kind == milestone).label(f"{milestone}_mark"),
        ]
    return (
        select(TimelineEvent.incident_id, *columns)
        # `+ 0` keeps SQLite from walking the team's messages (hundreds of thousands) to
        # their marks: it starts from the marks (few) and looks each event up by its key.
        .join(TimelineEvent, TimelineEvent.id == TimelineMark.event_id + 0)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(
            scope.incidents,
            TimelineMark.team_id == scope.team_id,
            TimelineEvent.team_id == TimelineMark.team_id,
            kind.in_(MILESTONE_KINDS),
        )
        .group_by(TimelineEvent.incident_id)
        .subquery("marked")
    )


def _milestones(marked: Subquery, dialect: str) -> list[ColumnElement[float]]:
    """Detection, mitigation, resolution: COALESCE(the pick, the earliest mark, the column)."""
    columns = (Incident.detected_at, Incident.mitigated_at, Incident.resolved_at)
    return [
        _epoch(func.coalesce(marked.c[f"{kind}_pick"], marked.c[f"{kind}_mark"], column), dialect)
        for kind, column in zip(MILESTONE_KINDS, columns, strict=True)
    ]


async def _incidents(session: AsyncSession, scope: Scope) -> list[IncidentFacts]:
    """Each milestone is COALESCE(the pick, the earliest mark, the incident's column): the
    published document's order (bot/publish/shapes.milestones)."""
    marked, dialect = _marked_milestones(scope), scope.dialect
    plain = String()  # enums as stored: no per-row conversion
    connection = await session.connection()  # Core rows: no ORM layer over 10,000 of them
    rows = await connection.execute(
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            Incident.channel_id,
            type_coerce(Incident.severity, plain),
            type_coerce(Incident.status, plain),
            type_coerce(Incident.postmortem_state, plain),
            _epoch(Incident.started_at, dialect),
            *_milestones(marked, dialect),
            _epoch(Retrospective.published_at, dialect),
            Incident.no_postmortem_at.is_not(None),
        )
        .outerjoin(marked, marked.c.incident_id == Incident.id)
        .outerjoin(
            Retrospective,
            and_(
                Retrospective.incident_id == Incident.id,
                Retrospective.team_id == scope.team_id,
            ),
        )
        .where(scope.incidents)
    )
    return [
        IncidentFacts(
            incident_id,
            number,
            title,
            channel_id,
            SEVERITIES[severity],
            STATUSES[status],
            STATES[state],
            *moments,  # started, detected, mitigated, resolved, published
            bool(waived),
        )
        for incident_id, number, title, channel_id, severity, status, state, *moments, waived in (
            rows.all()
        )
    ]


# ---- contributing factors ---------------------------------------------------------------------


def _factors_of_window(scope: Scope) -> Select[Any]:
    return (
        select()
        .select_from(ContributingFactor)
        .join(Retrospective, Retrospective.id == ContributingFactor.retrospective_id)
        .join(Incident, Incident.id == Retrospective.incident_id)
        .where(
            scope.incidents,
            Retrospective.team_id == scope.team_id,
            ContributingFactor.team_id == scope.team_id,
            ContributingFactor.category.is_not(None),
        )
    )


def _services(dialect: str) -> TableValuedAlias:
    """The incident's services, one row each (a table-valued function over its JSON list)."""
    if dialect == "postgresql":  # names its one column after the alias unless told
        unnest = func.json_array_elements_text(Incident.services).table_valued("value")
        return unnest.render_derived(name="service")
    return func.json_each(Incident.services).table_valued("value").alias("service")


async def _factors(
    session: AsyncSession, scope: Scope
) -> tuple[list[tuple[FactorCategory, int]], list[Repeat]]:
    """Incidents per category; and per (service, category) seen in REPEAT_AT_LEAST or more."""
    category = type_coerce(ContributingFactor.category, String())
    incidents = func.count(func.distinct(Incident.id))
    per_category = await session.execute(
        _factors_of_window(scope).add_columns(category, incidents).group_by(category)
    )
    service = _services(scope.dialect)
    per_service = await session.execute(
        _factors_of_window(scope)
        .join(service, true())
        .add_columns(service.c.value, category, incidents)
        .group_by(service.c.value, category)
        .having(incidents >= REPEAT_AT_LEAST)
    )
    return (
        [(CATEGORIES[name], int(count)) for name, count in per_category],
        [Repeat(CATEGORIES[name], str(value), int(count)) for value, name, count in per_service],
    )


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


def _items_of_window(scope: Scope) -> Select[Any]:
    return (
        select()
        .select_from(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(scope.incidents, ActionItem.team_id == scope.team_id)
    )


async def _item_counts(
    session: AsyncSession, scope: Scope, today: date
) -> tuple[dict[Priority, ItemCounts], int]:
    """Counts per priority, and how many done items have a closing moment (the time to
    close's population)."""
    done = ActionItem.status == ActionStatus.DONE
    still_open = ActionItem.status == ActionStatus.OPEN
    no_due = ActionItem.due_date.is_(None)
    in_time = _utc_date(ActionItem.closed_at, scope.dialect) <= ActionItem.due_date
    rows = await session.execute(
        _items_of_window(scope)
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


async def _close_time(session: AsyncSession, scope: Scope, closed: int) -> Spread:
    """Median and p90 of created → closed over the `closed` done items, ranked by the database
    in one sort: only the values at the ranks needed come back."""
    if closed == 0:
        return Spread()
    seconds = _seconds_to_close(scope.dialect)
    ranked = (
        _items_of_window(scope)
        .add_columns(
            seconds.label("seconds"), func.row_number().over(order_by=seconds).label("position")
        )
        .where(ActionItem.status == ActionStatus.DONE, ActionItem.closed_at.is_not(None))
        .subquery()
    )
    low, high = middle_ranks(closed)
    p90 = nearest_rank(closed)
    rows = await session.execute(
        select(ranked.c.position, ranked.c.seconds).where(
            ranked.c.position.in_({low + 1, high + 1, p90 + 1})
        )
    )
    # To the second: SQLite's julian days carry float noise.
    at = {position - 1: timedelta(seconds=round(float(value))) for position, value in rows}
    if not {low, high, p90} <= at.keys():
        return Spread()  # items closed between the count and this query: no half answer
    return Spread(count=closed, median=(at[low] + at[high]) / 2, p90=at[p90])
