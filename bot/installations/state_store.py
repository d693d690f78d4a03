"""slack_sdk's AsyncOAuthStateStore on slack_oauth_states: a state is good once, until it expires.

Consuming is one DELETE … RETURNING, so two replicas handed the same redirect cannot both accept
it. Expired states that nobody came back with are dropped by the daily purge (lifecycle).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.installation import SlackOAuthState

logger = logging.getLogger(__name__)

DEFAULT_EXPIRATION_SECONDS = 600  # Bolt's default for its own state stores
STATE_BYTES = 32  # 43 url-safe characters, within the column's 64


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlOAuthStateStore(AsyncOAuthStateStore):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        expiration_seconds: int = DEFAULT_EXPIRATION_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.sessions = sessions
        self.expiration_seconds = expiration_seconds
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(STATE_BYTES)
        expires_at = self.clock() + timedelta(seconds=self.expiration_seconds)
        async with self.sessions.begin() as session:
            session.add(SlackOAuthState(state=state, expires_at=expires_at))
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not expired; False when unknown, used or
        expired (an expired one is dropped too)."""
        if not state:
            return False
        async with self.sessions.begin() as session:
            expires_at = await session.scalar(
                delete(SlackOAuthState)
                .where(SlackOAuthState.state == state)
                .returning(SlackOAuthState.expires_at)
            )
        if expires_at is None:
            logger.info("OAuth state refused: unknown or already used")
            return False
        if expires_at <= self.clock():
            logger.info("OAuth state refused: expired")
            return False
        return True


async def drop_expired_states(session: AsyncSession, *, now: datetime) -> int:
    """Delete the states nobody came back with in time; how many."""
    result = await session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
