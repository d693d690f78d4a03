"""Bolt's authorize for many workspaces: the requesting team's bot token from our store.

Unlike Bolt's AsyncInstallationStoreAuthorize it does not call auth.test per request (capture is
the hot path, and the store already holds what auth.test would say: bot user, bot id, team); it
caches per team (bots.LiveBots) and rotates an expiring token as Bolt documents. A team with no
live installation gets None: Bolt answers without running a listener, and no Web API call is
made with any token.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.internals import (
    extract_enterprise_id,
    extract_is_enterprise_install,
    extract_team_id,
    extract_user_id,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.installations.bots import DEFAULT_ROTATION_MINUTES, LiveBots
from bot.installations.store import SqlInstallationStore

logger = logging.getLogger(__name__)


class InstalledTeamsAuthorize(AsyncAuthorize):
    def __init__(
        self,
        store: SqlInstallationStore,
        *,
        client_id: str,
        client_secret: str,
        token_rotation_expiration_minutes: int = DEFAULT_ROTATION_MINUTES,
        client: AsyncWebClient | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        # oauth.v2.access for rotation; the request's own client (SLACK_API_URL) when None.
        self.client = client
        self.bots = LiveBots(
            store,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=token_rotation_expiration_minutes,
        )

    # Bolt sets this from AsyncOAuthSettings.token_rotation_expiration_minutes.
    @property
    def token_rotation_expiration_minutes(self) -> int:
        return self.bots.token_rotation_expiration_minutes

    @token_rotation_expiration_minutes.setter
    def token_rotation_expiration_minutes(self, minutes: int) -> None:
        self.bots.token_rotation_expiration_minutes = minutes

    async def bot_for(self, payload: dict[str, Any]) -> AuthorizeResult | None:
        """What Bolt's authorize would conclude for this signed payload, outside a Bolt request
        (the message capture's direct path): the team's bot, or None."""
        context = AsyncBoltContext(is_enterprise_install=extract_is_enterprise_install(payload))
        return await self(
            context=context,
            enterprise_id=extract_enterprise_id(payload),
            team_id=extract_team_id(payload),
            user_id=extract_user_id(payload),
        )

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self.bots.find(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=bool(context.is_enterprise_install),
            client=self.client or context.client,
        )
        if bot is None:
            logger.info("No live installation for team %s (enterprise %s)", team_id, enterprise_id)
            return None
        if bot.team_id is None and team_id:
            await self.store.note_workspace(enterprise_id=enterprise_id, team_id=team_id)
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
