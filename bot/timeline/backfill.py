"""Backfill: read an existing channel's history (and its threads) into an incident's timeline.

Paced for conversations.history / conversations.replies (Tier 3, 50+ calls a minute); the Web
API client already waits out 429s (Retry-After), and a failure that outlasts its retries is
logged and raised. Rows go in through `store_messages`, so whatever live capture stores for the
same ts is kept and nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import SlackCallError
from bot.timeline.events import store_messages
from bot.timeline.messages import CapturedMessage, captured_from_slack

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
TIER3_PAUSE = 1.2  # seconds between calls: 50 a minute


async def backfill_channel(
    *,
    client: AsyncWebClient,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    incident_id: int,
    channel_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    pause: float = TIER3_PAUSE,
) -> int:
    """Store the channel's messages and thread replies; returns how many events were new."""
    reader = _Reader(client=client, channel_id=channel_id, pause=pause)
    await _join(client, channel_id)

    async def store(messages: list[dict[str, Any]]) -> int:
        bot = {"bot_user_id": bot_user_id, "bot_id": bot_id}
        found = (
            captured_from_slack(m, team_id=team_id, channel_id=channel_id, **bot) for m in messages
        )
        captured = [c for c in found if c is not None]
        return await _store(sessions, incident_id=incident_id, team_id=team_id, messages=captured)

    stored = 0
    async for page in reader.pages("conversations.history", channel=channel_id):
        stored += await store(page)
        for parent in page:
            if parent.get("reply_count") and parent.get("thread_ts") == parent.get("ts"):
                async for replies in reader.pages(
                    "conversations.replies", channel=channel_id, ts=parent["ts"]
                ):
                    stored += await store([r for r in replies if r.get("ts") != parent["ts"]])
    logger.info(
        "backfilled %s for incident %s: %d new events in %d calls",
        channel_id,
        incident_id,
        stored,
        reader.calls,
    )
    return stored


async def _join(client: AsyncWebClient, channel_id: str) -> None:
    """Join a public channel (a no-op if already in it); a private one must have invited us."""
    try:
        await client.conversations_join(channel=channel_id)
    except SlackApiError as error:
        if error.response.get("error") != "method_not_supported_for_channel_type":
            raise
        logger.info("backfill: %s is private; reading it needs the bot invited", channel_id)


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    *,
    incident_id: int,
    team_id: str,
    messages: list[CapturedMessage],
) -> int:
    if not messages:
        return 0
    async with sessions() as session, session.begin():
        return await store_messages(
            session=session, incident_id=incident_id, team_id=team_id, messages=messages
        )


class _Reader:
    """Paced, paginated Web API reads for one channel."""

    def __init__(self, *, client: AsyncWebClient, channel_id: str, pause: float) -> None:
        self.client = client
        self.channel_id = channel_id
        self.pause = pause
        self.calls = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        if self.calls and self.pause > 0:
            await asyncio.sleep(self.pause)
        self.calls += 1
        try:
            response = await getattr(self.client, method.replace(".", "_"))(**params)
        except SlackApiError as error:
            detail = error.response.get("error") if error.response is not None else None
            status = error.response.status_code if error.response is not None else None
            logger.error(
                "backfill of %s stopped: %s failed (%s, HTTP %s)",
                self.channel_id,
                method,
                detail,
                status,
            )
            raise SlackCallError(
                f"Couldn't read the history of <#{self.channel_id}> ({method}: {detail})."
            ) from error
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def pages(self, method: str, **params: Any) -> AsyncIterator[list[dict[str, Any]]]:
        cursor: str | None = None
        while True:
            args = {**params, "limit": PAGE_SIZE} | ({"cursor": cursor} if cursor else {})
            data = await self.call(method, **args)
            yield [m for m in data.get("messages") or [] if isinstance(m, dict)]
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return


async def fetch_message(
    *, client: AsyncWebClient, channel_id: str, ts: str
) -> dict[str, Any] | None:
    """One message by ts: from the channel's history, or from its thread if it is a reply."""
    history = await client.conversations_history(
        channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
    )
    found = [m for m in history.get("messages") or [] if m.get("ts") == ts]
    if found:
        return dict(found[0])
    try:
        replies = await client.conversations_replies(
            channel=channel_id, ts=ts, latest=ts, oldest=ts, inclusive=True
        )
    except SlackApiError as error:
        if error.response.get("error") == "thread_not_found":
            return None
        raise
    found = [m for m in replies.get("messages") or [] if m.get("ts") == ts]
    return dict(found[0]) if found else None
