"""The operator's view of the workspaces served here (`hindsight teams`): never a token.

A team is listed when slack_teams knows it (installed through Slack's OAuth flow, now or before
its purge) or when it has incidents (one workspace's SLACK_BOT_TOKEN mode keeps no
slack_teams rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.store import ORG_WIDE_TEAM
from models.action import ActionItem, ActionStatus
from models.incident import Incident
from models.installation import SlackInstallation, SlackTeam


@dataclass(frozen=True, slots=True)
class TeamRow:
    team_id: str
    name: str | None
    enterprise_id: str | None
    installed_at: datetime | None
    uninstalled_at: datetime | None
    incidents: int
    open_items: int
    token_state: str  # see token_state()


async def installed_teams(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    retention_days: int | None = None,
    single_token: bool = False,
) -> list[TeamRow]:
    """Every team with its counts and the state of its bot token (never the token).
    `single_token`: SLACK_BOT_TOKEN serves the teams slack_teams does not know."""
    async with sessions() as session:
        teams = {team.team_id: team for team in (await session.scalars(select(SlackTeam)))}
        incidents = await _counts(session, select(Incident.team_id, func.count()))
        open_items = await _counts(
            session,
            select(ActionItem.team_id, func.count()).where(ActionItem.status == ActionStatus.OPEN),
        )
        bots = await _bots(session)
    rows = []
    for team_id in sorted(set(teams) | set(incidents)):
        team = teams.get(team_id)
        rows.append(
            TeamRow(
                team_id=team_id,
                name=team.name if team else None,
                enterprise_id=team.enterprise_id if team else None,
                installed_at=team.installed_at if team else None,
                uninstalled_at=team.uninstalled_at if team else None,
                incidents=incidents.get(team_id, 0),
                open_items=open_items.get(team_id, 0),
                token_state=token_state(
                    team, bots, now=now, retention_days=retention_days, single=single_token
                ),
            )
        )
    return rows


async def _counts(session: AsyncSession, statement: Select[tuple[str, int]]) -> dict[str, int]:
    """team_id → count, for a SELECT of (team_id, count(*))."""
    grouped = statement.group_by(statement.selected_columns[0])
    return {str(team_id): int(count) for team_id, count in await session.execute(grouped)}


async def _bots(session: AsyncSession) -> dict[tuple[str | None, str], datetime | None]:
    """(enterprise, team) of every install with a bot token → its newest token's expiry."""
    rows = await session.execute(
        select(
            SlackInstallation.enterprise_id,
            SlackInstallation.team_id,
            SlackInstallation.bot_token_expires_at,
        )
        .where(SlackInstallation.bot_token.is_not(None))
        .order_by(SlackInstallation.installed_at)
    )
    return {(enterprise_id, team_id): expires for enterprise_id, team_id, expires in rows}


def token_state(
    team: SlackTeam | None,
    bots: dict[tuple[str | None, str], datetime | None],
    *,
    now: datetime | None,
    retention_days: int | None,
    single: bool,
) -> str:
    """What the team's bot token is: live (rotating or not, its own or its organisation's),
    none since an uninstall (and when its data goes), SLACK_BOT_TOKEN's, or none."""
    if team is None:
        return "SLACK_BOT_TOKEN" if single else "none"
    if team.uninstalled_at is not None:
        when = f"uninstalled {team.uninstalled_at:%Y-%m-%d %H:%M} UTC"
        if retention_days is not None:
            purge_on = team.uninstalled_at + timedelta(days=retention_days)
            when += f", purged after {purge_on:%Y-%m-%d}"
        return f"none ({when})"
    org = (team.enterprise_id, ORG_WIDE_TEAM)
    own = org if team.team_id == team.enterprise_id else (team.enterprise_id, team.team_id)
    if own not in bots:
        return "live (its organisation's install)" if org in bots else "none"
    expires = bots[own]
    if expires is None:
        return "live"
    if now is not None and expires <= now:
        return f"expired {expires:%Y-%m-%d %H:%M} UTC (rotated at next use)"
    return f"live, rotates (expires {expires:%Y-%m-%d %H:%M} UTC)"
