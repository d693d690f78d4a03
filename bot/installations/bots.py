"""Each team's bot, as the installation store holds it: found, rotated when its token expires
soon, and kept in memory for a short while (the capture path must not read and decrypt a token
for every message).

A save or delete in this process drops the cache at once (`store.changed`); another replica's
change (an uninstall it handled) reaches this one within CACHE_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.installations.crypto import TokenDecryptError
from bot.installations.store import SqlInstallationStore

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
DEFAULT_ROTATION_MINUTES = 120  # Bolt's token_rotation_expiration_minutes default

TeamKey = tuple[str | None, str | None, bool]  # enterprise_id, team_id, is_enterprise_install


@dataclass(frozen=True, slots=True)
class CachedBot:
    bot: Bot
    fetched_at: float  # time.monotonic()


class LiveBots:
    """The bot of a team (or of its organisation's org-wide install), rotated and cached."""

    def __init__(
        self,
        store: SqlInstallationStore,
        *,
        client_id: str,
        client_secret: str,
        token_rotation_expiration_minutes: int = DEFAULT_ROTATION_MINUTES,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_rotation_expiration_minutes = token_rotation_expiration_minutes
        self.cache_seconds = cache_seconds
        self._cache: dict[TeamKey, CachedBot] = {}
        self._locks: dict[TeamKey, asyncio.Lock] = {}
        store.changed.subscribe(self._cache.clear)

    async def find(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool,
        client: AsyncWebClient,
    ) -> Bot | None:
        """The team's bot with a token good for a while yet, or None when it has none live.
        `client` reaches oauth.v2.access (SLACK_API_URL) when the token must be rotated."""
        key: TeamKey = (enterprise_id, team_id, is_enterprise_install)
        cached = self._fresh(key)
        if cached is not None:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._fresh(key)  # another request may have rotated it meanwhile
            if cached is not None:
                return cached
            bot = await self._load(key, client)
            if bot is not None:
                self._cache[key] = CachedBot(bot, time.monotonic())
            return bot

    def forget(self) -> None:
        self._cache.clear()

    def _fresh(self, key: TeamKey) -> Bot | None:
        cached = self._cache.get(key)
        if cached is None or time.monotonic() - cached.fetched_at > self.cache_seconds:
            return None
        if self._expiring(cached.bot):
            return None
        return cached.bot

    def _expiring(self, bot: Bot) -> bool:
        if bot.bot_token_expires_at is None:
            return False
        margin = self.token_rotation_expiration_minutes * 60
        return bot.bot_token_expires_at <= time.time() + margin

    async def _load(self, key: TeamKey, client: AsyncWebClient) -> Bot | None:
        enterprise_id, team_id, is_enterprise_install = key
        try:
            bot = await self.store.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        except TokenDecryptError as error:
            # One team's token unreadable (its key left the ring) stops that team only.
            logger.error("Team %s (enterprise %s): %s", team_id, enterprise_id, error.message)
            return None
        if bot is None or bot.bot_refresh_token is None or not self._expiring(bot):
            return bot
        return await self._rotate(bot, client)

    async def _rotate(self, bot: Bot, client: AsyncWebClient) -> Bot | None:
        rotator = AsyncTokenRotator(
            client_id=self.client_id, client_secret=self.client_secret, client=client
        )
        try:
            refreshed = await rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.token_rotation_expiration_minutes
            )
        except SlackTokenRotationError as error:
            rotated_elsewhere = await self._rotated_meanwhile(bot)
            if rotated_elsewhere is not None:
                return rotated_elsewhere
            # Slack's error code only: the response never carries the token back.
            code = error.api_error.response.get("error")
            logger.error("Rotating the bot token of team %s failed: %s", bot.team_id, code)
            return None
        if refreshed is None:
            return bot
        await self.store.async_save_bot(refreshed)  # Bolt's way: the rotated bot saved back
        logger.info("Rotated the bot token of team %s", bot.team_id or bot.enterprise_id)
        return refreshed

    async def _rotated_meanwhile(self, bot: Bot) -> Bot | None:
        """The token another replica (or this process's other cache) rotated first: its refresh
        token was spent, so ours was refused; the store has the new one."""
        stored = await self.store.async_find_bot(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if stored is None or stored.bot_token == bot.bot_token or self._expiring(stored):
            return None
        return stored
