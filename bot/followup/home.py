"""App Home: what one person sees on the bot's Home tab. Their open action items (overdue
first), the incidents they took part in with the state of each retrospective, and a short
view of the team's follow-through. A handful of queries whatever the numbers, each scoped
to the team.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.followup.debt_actions import count_owed, owed_postmortems
from bot.followup.schedule import owner_hours
from bot.followup.shapes import Home, Participation, TeamCounts
from bot.insights.stats import HEADLINE_DAYS
from bot.insights.stats_load import load_stats
from bot.trackers.config import active_tracker
from bot.trackers.shapes import TrackerKind
from bot.trackers.shown import tracker_views
from bot.ui.home import MAX_INCIDENTS, MAX_ITEMS, MAX_OWED, home_view
from models import (
    ActionItem,
    ActionStatus,
    Incident,
    IncidentStatus,
    PostmortemState,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

FINISHED = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


async def load_home(
    *,
    session: AsyncSession,
    team_id: str,
    user_id: str,
    today: date,
    now: datetime,
    tracker: TrackerKind | None = None,
) -> Home:
    items = await _open_items(session, team_id, user_id)
    listed = [item for item, _ in items]
    open_count, overdue_count = await _item_counts(session, team_id, user_id, today)
    incidents = await _participation(session, team_id, user_id)
    return Home(
        user_id=user_id,
        today=today,
        now=now,
        items=items,
        open_count=open_count,
        overdue_count=overdue_count,
        incidents=incidents[:MAX_INCIDENTS],
        more_incidents=len(incidents) > MAX_INCIDENTS,
        team=await team_counts(session, team_id, today),
        stats=await load_stats(session, team_id=team_id, now=now, days=HEADLINE_DAYS),
        owed=await owed_postmortems(session=session, team_id=team_id, now=now, limit=MAX_OWED),
        owed_count=await count_owed(session=session, team_id=team_id, now=now),
        trackers=await tracker_views(session, team_id=team_id, items=listed, configured=tracker),
    )


async def publish_home(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    now: datetime,
    settings: Settings,
) -> None:
    """Build this person's Home and publish it (Slack errors are raised)."""
    hours = await owner_hours(
        session=session,
        client=client,
        team_id=team_id,
        user_id=user_id,
        defaults=settings.working_hours,
        now=now,
    )
    today = now.astimezone(hours.zone).date()
    home = await load_home(
        session=session,
        team_id=team_id,
        user_id=user_id,
        today=today,
        now=now,
        tracker=active_tracker(settings),
    )
    await client.views_publish(user_id=user_id, view=home_view(home).to_dict())


async def refresh_home(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    now: datetime,
    settings: Settings,
) -> None:
    """Publish again after this person's items changed. The change itself already succeeded,
    so a failure here is logged, not raised: the Home is redrawn when they next open it.
    Call it after the change is committed."""
    try:
        await publish_home(
            session=session,
            client=client,
            team_id=team_id,
            user_id=user_id,
            now=now,
            settings=settings,
        )
    except Exception:
        logger.exception("Home of %s not refreshed; it is redrawn when next opened", user_id)


# ---- queries ------------------------------------------------------------------------------


def _is_overdue(today: date) -> ColumnElement[bool]:
    return and_(ActionItem.due_date.is_not(None), ActionItem.due_date < today)


async def _open_items(
    session: AsyncSession, team_id: str, user_id: str
) -> list[tuple[ActionItem, Incident]]:
    """Earliest due first (so overdue first), items without a due date last."""
    rows = await session.execute(
        select(ActionItem, Incident)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(
            ActionItem.team_id == team_id,
            ActionItem.owner_id == user_id,
            ActionItem.status == ActionStatus.OPEN,
        )
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
        .limit(MAX_ITEMS)
    )
    return [(item, incident) for item, incident in rows]


async def _item_counts(
    session: AsyncSession, team_id: str, user_id: str, today: date
) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count().filter(_is_overdue(today))).where(
                ActionItem.team_id == team_id,
                ActionItem.owner_id == user_id,
                ActionItem.status == ActionStatus.OPEN,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def _participation(session: AsyncSession, team_id: str, user_id: str) -> list[Participation]:
    """Declared it, commanded or facilitated it, owns one of its items, or wrote in its
    timeline; newest first, one more than shown (to tell whether there are more)."""
    owns_items = exists().where(
        ActionItem.team_id == team_id,
        ActionItem.incident_id == Incident.id,
        ActionItem.owner_id == user_id,
    )
    wrote = exists().where(
        TimelineEvent.team_id == team_id,
        TimelineEvent.author_id == user_id,
        TimelineEvent.incident_id == Incident.id,
    )
    rows = await session.execute(
        select(Incident, owns_items, wrote)
        .where(
            Incident.team_id == team_id,
            or_(
                Incident.declared_by == user_id,
                Incident.commander_id == user_id,
                Incident.facilitator_id == user_id,
                owns_items,
                wrote,
            ),
        )
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(MAX_INCIDENTS + 1)
    )
    return [Participation(incident, bool(owns), bool(wrote)) for incident, owns, wrote in rows]


async def team_counts(session: AsyncSession, team_id: str, today: date) -> TeamCounts:
    """Open incidents, postmortems not yet published once resolved (those decided to need none
    left out), and overdue open items."""
    finished = Incident.status.in_(FINISHED)
    incidents = (
        await session.execute(
            select(
                func.count().filter(~finished),
                func.count().filter(
                    finished,
                    Incident.postmortem_state != PostmortemState.PUBLISHED,
                    Incident.no_postmortem_at.is_(None),
                ),
            ).where(Incident.team_id == team_id)
        )
    ).one()
    overdue = await session.scalar(
        select(func.count()).where(
            ActionItem.team_id == team_id,
            ActionItem.status == ActionStatus.OPEN,
            _is_overdue(today),
        )
    )
    return TeamCounts(
        open_incidents=int(incidents[0]),
        unpublished_postmortems=int(incidents[1]),
        overdue_items=int(overdue or 0),
    )
