"""The weekly digest: per team, one message in the digest channel listing the open and overdue
action items per incident and per owner, and the postmortems resolved but not yet published.

Several `serve` processes may share one database, so each team's digest is claimed before it
is posted: a row in digest_posts, unique per (team, ISO week). Only the run that inserted (or
took over a failed claim) posts. The post's ts, or Slack's error, is recorded on the row; a
failed row is taken over by the next run in the same week, and a claim abandoned by a crash is
taken over once CLAIM_LEASE has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import DigestSchedule, Settings
from bot.followup.debt_actions import owed_postmortems
from bot.followup.shapes import TeamDigest
from bot.insights.stats import HEADLINE_DAYS
from bot.insights.stats_load import load_stats
from bot.ui.digest import digest_message
from models import (
    ActionItem,
    ActionStatus,
    DigestPost,
    Incident,
    IncidentStatus,
    PostmortemState,
)

logger = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

CLAIM_LEASE = timedelta(minutes=15)  # far longer than a post takes, even with Slack's retries
DIGEST_WINDOW = timedelta(hours=24)  # how long after the scheduled moment a run still posts
MAX_CHANNEL_ID = 32  # digest_posts.channel_id


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """What a run did for one team: posted (ts), failed (error), or skipped (why)."""

    team_id: str
    period: str
    message_ts: str | None = None
    error: str | None = None
    skipped: str | None = None


def iso_period(now: datetime) -> str:
    """The ISO week `now` falls in, in UTC: "2026-W48"."""
    year, week, _ = now.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(
    schedule: DigestSchedule | None, now: datetime, *, window: timedelta = DIGEST_WINDOW
) -> bool:
    """Whether `now` is within `window` after this week's scheduled moment, for a job that runs
    more often than weekly: it posts on its first run there, and retries a failed post on the
    next ones (the claim keeps it to one post per team and week). The window ends with the ISO
    week, so a late retry never claims next week's digest. False when turned off."""
    if schedule is None:
        return False
    now = now.astimezone(UTC)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), time(), tzinfo=UTC)
    moment = datetime.combine(
        monday.date() + timedelta(days=schedule.weekday), schedule.at, tzinfo=UTC
    )
    return moment <= now < min(moment + window, monday + timedelta(days=7))


async def post_live_teams_digests(
    *,
    sessions: Sessions,
    teams: Sequence[tuple[str | None, AsyncWebClient]],
    settings: Settings,
    now: datetime,
) -> list[DigestOutcome]:
    """Each team's digest with that team's own client (`teams`: TeamClients.live_teams(); a
    None team is one workspace's token, whose workspace auth.test tells). A team with incidents
    and no live installation is skipped and logged: no other team's token posts its digest."""
    outcomes = []
    for team_id, client in teams:
        outcomes += await post_weekly_digests(
            sessions=sessions, client=client, settings=settings, now=now, team_id=team_id
        )
    if not settings.digest_channel or any(team_id is None for team_id, _ in teams):
        return outcomes
    async with sessions() as session:
        waiting = await teams_without_digest(session, iso_period(now))
    live = {team_id for team_id, _ in teams}
    for team_id in sorted(set(waiting) - live):
        logger.warning("weekly digest for %s skipped: the app is not installed there", team_id)
        outcomes.append(DigestOutcome(team_id, iso_period(now), skipped="not installed"))
    return outcomes


async def post_weekly_digests(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    now: datetime,
    team_id: str | None = None,
) -> list[DigestOutcome]:
    """Post this week's digest for every team with incidents that has none yet (only the bot
    token's own workspace can be reached; `team_id`: the team whose token `client` holds, when
    known). Safe to call from several processes at once and as often as wanted: each team gets
    one digest per ISO week."""
    channel = settings.digest_channel
    if not channel:
        logger.info("weekly digest skipped: neither DIGEST_CHANNEL nor POSTMORTEM_CHANNEL is set")
        return []
    period = iso_period(now)
    installed = team_id or await installed_team(client)
    if installed is None:
        return []
    async with sessions() as session:
        teams = await teams_without_digest(session, period, team_id=team_id)
    outcomes = []
    for team_id in teams:
        if team_id != installed:
            logger.warning(
                "weekly digest %s for %s skipped: not this token's workspace", period, team_id
            )
            outcomes.append(DigestOutcome(team_id, period, skipped="another workspace"))
            continue
        outcomes.append(
            await post_team_digest(
                sessions=sessions,
                client=client,
                team_id=team_id,
                channel=channel,
                period=period,
                now=now,
            )
        )
    return outcomes


async def installed_team(client: AsyncWebClient) -> str | None:
    """The workspace the bot token posts into. One token and one digest channel serve one
    workspace: another team's digest must never land in this workspace's channel."""
    try:
        identity = await client.auth_test()
    except SlackApiError as error:
        logger.warning("weekly digest skipped: auth.test failed (%s)", error.response.get("error"))
        return None
    return str(identity["team_id"])


async def post_team_digest(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    team_id: str,
    channel: str,
    period: str,
    now: datetime,
) -> DigestOutcome:
    async with sessions() as session:
        report = await load_digest(session, team_id=team_id, period=period, now=now)
    if report.is_empty:
        logger.info("weekly digest %s for %s: nothing open or unpublished", period, team_id)
        return DigestOutcome(team_id, period, skipped="nothing to report")
    if not await claim(sessions, team_id=team_id, period=period, channel=channel, now=now):
        return DigestOutcome(team_id, period, skipped="posted by another run")
    text, blocks = digest_message(report)
    posted_in, ts, error = channel, None, None
    try:
        posted = await client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        posted_in, ts = str(posted.get("channel") or channel), str(posted["ts"])
    except SlackApiError as failure:
        error = str(failure.response.get("error") or f"HTTP {failure.response.status_code}")
    except Exception as failure:  # recorded like a Slack error, so the next run retries it
        logger.exception("weekly digest %s for %s not posted", period, team_id)
        error = type(failure).__name__
    await record(sessions, team_id=team_id, period=period, channel=posted_in, ts=ts, error=error)
    if error is not None:
        logger.warning(
            "weekly digest %s for %s failed (%s); retried next run", period, team_id, error
        )
    return DigestOutcome(team_id, period, message_ts=ts, error=error)


# ---- the claim --------------------------------------------------------------------------


async def claim(
    sessions: Sessions, *, team_id: str, period: str, channel: str, now: datetime
) -> bool:
    """True for the one run that may post this team's digest for `period`: the run that
    inserted the row, or the one that took over a failed or abandoned claim."""
    async with sessions() as session, session.begin():
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        inserted = await session.scalar(
            insert(DigestPost)
            .values(team_id=team_id, period=period, channel_id=_fitting(channel), posted_at=now)
            .on_conflict_do_nothing(index_elements=[DigestPost.team_id, DigestPost.period])
            .returning(DigestPost.id)
        )
        if inserted is not None:
            return True
        taken = await session.execute(
            update(DigestPost)
            .where(
                DigestPost.team_id == team_id,
                DigestPost.period == period,
                DigestPost.message_ts.is_(None),
                or_(DigestPost.error.is_not(None), DigestPost.posted_at < now - CLAIM_LEASE),
            )
            .values(error=None, channel_id=_fitting(channel), posted_at=now)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


async def record(
    sessions: Sessions,
    *,
    team_id: str,
    period: str,
    channel: str,
    ts: str | None,
    error: str | None,
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(DigestPost)
            .where(DigestPost.team_id == team_id, DigestPost.period == period)
            .values(channel_id=_fitting(channel), message_ts=ts, error=error)
        )


def _fitting(channel: str) -> str | None:
    """A channel id fits the column; a long channel name is not kept."""
    return channel if len(channel) <= MAX_CHANNEL_ID else None


# ---- queries ----------------------------------------------------------------------------


async def teams_without_digest(
    session: AsyncSession, period: str, *, team_id: str | None = None
) -> list[str]:
    """Teams with incidents and no digest posted for `period`: every team (the one cross-team
    query), or `team_id` alone."""
    posted = exists().where(
        DigestPost.team_id == Incident.team_id,
        DigestPost.period == period,
        DigestPost.message_ts.is_not(None),
    )
    query = select(Incident.team_id).where(~posted)
    if team_id is not None:
        query = query.where(Incident.team_id == team_id)
    teams = await session.scalars(query.distinct().order_by(Incident.team_id))
    return list(teams)


async def load_digest(
    session: AsyncSession, *, team_id: str, period: str, now: datetime
) -> TeamDigest:
    today = now.astimezone(UTC).date()
    rows = await session.execute(
        select(ActionItem, Incident)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(ActionItem.team_id == team_id, ActionItem.status == ActionStatus.OPEN)
        .order_by(Incident.number, ActionItem.due_date.is_(None), ActionItem.due_date)
    )
    unpublished = await session.scalars(
        select(Incident)
        .where(
            Incident.team_id == team_id,
            Incident.status.in_((IncidentStatus.RESOLVED, IncidentStatus.CLOSED)),
            Incident.postmortem_state != PostmortemState.PUBLISHED,
            Incident.no_postmortem_at.is_(None),  # decided to need none: nothing is waiting
        )
        .order_by(Incident.started_at, Incident.number)
    )
    closed = await session.scalar(
        select(func.count()).where(
            ActionItem.team_id == team_id,
            ActionItem.status == ActionStatus.DONE,
            ActionItem.closed_at >= now - timedelta(days=7),
        )
    )
    return TeamDigest(
        team_id=team_id,
        period=period,
        today=today,
        open_items=[(item, incident) for item, incident in rows],
        unpublished=list(unpublished),
        closed_this_week=int(closed or 0),
        stats=await load_stats(session, team_id=team_id, now=now, days=HEADLINE_DAYS),
        owed=await owed_postmortems(session=session, team_id=team_id, now=now),
    )
