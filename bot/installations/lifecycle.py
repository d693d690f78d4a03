"""A workspace leaving: its tokens deleted at once, its data kept for the retention window, then
purged (the daily job, or `hindsight purge` now).

`uninstall` is what app_uninstalled and tokens_revoked lead to. `purge_team` deletes every row
of the team from every table that has a team_id column (found in the models' metadata, so a new
table is never forgotten), children before parents, in one transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.state_store import drop_expired_states
from bot.installations.store import ORG_WIDE_TEAM, SqlInstallationStore
from models import Base
from models.installation import SlackInstallation, SlackTeam

logger = logging.getLogger(__name__)


async def uninstall(
    sessions: async_sessionmaker[AsyncSession],
    store: SqlInstallationStore,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    now: datetime,
    is_enterprise_install: bool = False,
) -> int:
    """Delete the team's installs (every token) and mark it uninstalled at `now`; for an
    org-wide install (no team, or `is_enterprise_install`), the organisation's install and
    every workspace it served. Returns how many install rows were deleted."""
    org_wide = is_enterprise_install or not team_id
    if org_wide and not enterprise_id:
        logger.warning("An uninstall named neither a team nor an organisation; nothing done")
        return 0
    installs, teams = _installs_and_teams(team_id, enterprise_id, org_wide=org_wide)
    async with sessions.begin() as session:
        result = await session.execute(delete(SlackInstallation).where(installs))
        await session.execute(
            update(SlackTeam)
            .where(teams, SlackTeam.uninstalled_at.is_(None))
            .values(uninstalled_at=now)
        )
    store.changed.notify()
    deleted = int(getattr(result, "rowcount", 0) or 0)
    logger.info(
        "Uninstalled %s: %d install(s) and their tokens deleted",
        enterprise_id if org_wide else team_id,
        deleted,
    )
    return deleted


def _installs_and_teams(
    team_id: str | None, enterprise_id: str | None, *, org_wide: bool
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    if org_wide:
        return (
            (SlackInstallation.enterprise_id == enterprise_id)
            & (SlackInstallation.team_id == ORG_WIDE_TEAM),
            (SlackTeam.enterprise_id == enterprise_id) | (SlackTeam.team_id == enterprise_id),
        )
    # A team id names one workspace whatever its organisation: match it alone.
    return SlackInstallation.team_id == team_id, SlackTeam.team_id == team_id


def team_tables() -> list[Table]:
    """Every table with a team_id column, children before parents."""
    return [table for table in reversed(Base.metadata.sorted_tables) if "team_id" in table.c]


async def purge_team(sessions: async_sessionmaker[AsyncSession], team_id: str) -> dict[str, int]:
    """Delete every row of `team_id`, in one transaction; how many per table."""
    async with sessions.begin() as session:
        return await _purge_in(session, team_id)


async def count_team_rows(
    sessions: async_sessionmaker[AsyncSession], team_id: str
) -> dict[str, int]:
    """How many rows of `team_id` each team table holds (what a purge would delete)."""
    async with sessions() as session:
        return {
            table.name: int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.team_id == team_id)
                )
                or 0
            )
            for table in team_tables()
        }


async def _purge_in(session: AsyncSession, team_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in team_tables():
        result = await session.execute(delete(table).where(table.c.team_id == team_id))
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return counts


async def purge_due(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, retention_days: int
) -> list[str]:
    """The daily job: purge each team uninstalled `retention_days` ago or more (one
    transaction each; a team reinstalled meanwhile is kept), and drop expired OAuth states.
    Returns the purged team ids."""
    cutoff = now - timedelta(days=retention_days)
    async with sessions() as session:
        due = (
            await session.scalars(
                select(SlackTeam.team_id)
                .where(SlackTeam.uninstalled_at <= cutoff)
                .order_by(SlackTeam.team_id)
            )
        ).all()
    purged: list[str] = []
    for team_id in due:
        async with sessions.begin() as session:
            still_due = await session.scalar(
                select(SlackTeam.team_id)
                .where(SlackTeam.team_id == team_id, SlackTeam.uninstalled_at <= cutoff)
                .with_for_update()
            )
            if still_due is None:
                continue  # reinstalled, or purged by another replica
            counts = await _purge_in(session, team_id)
        purged.append(team_id)
        logger.info("Purged team %s: %d rows", team_id, sum(counts.values()))
    async with sessions.begin() as session:
        dropped = await drop_expired_states(session, now=now)
    if dropped:
        logger.info("Dropped %d expired OAuth states", dropped)
    return purged
