"""TeamClients for many workspaces: each team's client, holding that team's bot token.

A team is live when slack_teams says it is installed and the store has a bot for it (its own
install, or its organisation's org-wide one). One client is kept per team and replaced when the
token changes (a rotation); a team without a live bot gets None, and its work is skipped.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.installations.bots import DEFAULT_ROTATION_MINUTES, LiveBots
from bot.installations.store import SqlInstallationStore
from bot.slack import create_web_client
from models.installation import SlackTeam

logger = logging.getLogger(__name__)


class InstalledTeamClients:
    def __init__(
        self,
        store: SqlInstallationStore,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        token_rotation_expiration_minutes: int = DEFAULT_ROTATION_MINUTES,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.bots = LiveBots(
            store,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=token_rotation_expiration_minutes,
        )
        # Reaches oauth.v2.access for rotation (client id and secret, no token).
        self.oauth_client = create_web_client(base_url=base_url)
        self._clients: dict[str, AsyncWebClient] = {}

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        team = await self._installed_team(team_id)
        if team is None:
            return None
        return await self._client(team)

    async def live_teams(self) -> list[tuple[str | None, AsyncWebClient]]:
        async with self.store.sessions() as session:
            teams = (
                await session.scalars(
                    select(SlackTeam)
                    .where(SlackTeam.uninstalled_at.is_(None))
                    .order_by(SlackTeam.team_id)
                )
            ).all()
        live: list[tuple[str | None, AsyncWebClient]] = []
        for team in teams:
            if team.team_id == team.enterprise_id:
                continue  # an organisation's own row: its data lives under its workspaces
            client = await self._client(team)
            if client is None:
                logger.info("Team %s has no live installation; its jobs are skipped", team.team_id)
            else:
                live.append((team.team_id, client))
        return live

    async def _installed_team(self, team_id: str) -> SlackTeam | None:
        async with self.store.sessions() as session:
            team = await session.get(SlackTeam, team_id)
        if team is None or team.uninstalled_at is not None:
            logger.info("Team %s is not installed; nothing is sent for it", team_id)
            return None
        return team

    async def _client(self, team: SlackTeam) -> AsyncWebClient | None:
        bot = await self.bots.find(
            enterprise_id=team.enterprise_id,
            team_id=team.team_id,
            is_enterprise_install=False,
            client=self.oauth_client,
        )
        if bot is None and team.enterprise_id:
            bot = await self.bots.find(
                enterprise_id=team.enterprise_id,
                team_id=None,
                is_enterprise_install=True,
                client=self.oauth_client,
            )
        if bot is None:
            self._clients.pop(team.team_id, None)
            return None
        client = self._clients.get(team.team_id)
        if client is None or client.token != bot.bot_token:
            client = create_web_client(base_url=self.base_url, token=bot.bot_token)
            self._clients[team.team_id] = client
        return client
