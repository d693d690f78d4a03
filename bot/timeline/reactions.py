"""Reactions mark the timeline: a mapped emoji marks the message's event with a kind.

Each person's reaction is its own mark; removing it removes only that mark, so the event stays
marked while anyone's marking reaction remains. A reaction on a message not captured yet (it
predates the bot, or its event is still on its way) fetches the message and stores it first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.timeline.backfill import fetch_message
from bot.timeline.events import mark_event, store_messages, unmark_event
from bot.timeline.messages import captured_from_slack
from bot.timeline.writer import CaptureWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reaction:
    team_id: str
    channel_id: str
    ts: str
    reaction: str
    user_id: str


async def mark_by_reaction(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    capture: CaptureWriter,
    reaction: Reaction,
    kinds: Mapping[str, str],
    bot_user_id: str | None,
    bot_id: str | None,
) -> bool:
    """Mark the message's event if the emoji is mapped and the channel is an incident's."""
    kind = kinds.get(reaction.reaction)
    if kind is None:
        return False
    incident_id = await capture.incident_for(
        team_id=reaction.team_id, channel_id=reaction.channel_id
    )
    if incident_id is None:
        return False
    where = {"team_id": reaction.team_id, "channel_id": reaction.channel_id, "ts": reaction.ts}
    mark = {"kind": kind, "marked_by": reaction.user_id, "reaction": reaction.reaction}
    async with sessions() as session, session.begin():
        marked = await mark_event(session=session, **where, **mark) is not None
    if marked:
        capture.metrics.captured["reaction"].inc()
        return True
    message = await fetch_message(client=client, channel_id=reaction.channel_id, ts=reaction.ts)
    captured = message and captured_from_slack(
        message,
        team_id=reaction.team_id,
        channel_id=reaction.channel_id,
        bot_user_id=bot_user_id,
        bot_id=bot_id,
    )
    if not captured:
        logger.info("reaction on %s/%s: not timeline content", reaction.channel_id, reaction.ts)
        return False
    async with sessions() as session, session.begin():
        await store_messages(
            session=session, incident_id=incident_id, team_id=reaction.team_id, messages=[captured]
        )
        marked = await mark_event(session=session, **where, **mark) is not None
    if marked:
        capture.metrics.captured["reaction"].inc()
    return marked


async def unmark_by_reaction(
    *,
    sessions: async_sessionmaker[AsyncSession],
    reaction: Reaction,
    kinds: Mapping[str, str],
) -> None:
    """Remove this person's mark for this emoji (if the emoji marks at all)."""
    if reaction.reaction not in kinds:
        return
    async with sessions() as session, session.begin():
        await unmark_event(
            session=session,
            team_id=reaction.team_id,
            channel_id=reaction.channel_id,
            ts=reaction.ts,
            marked_by=reaction.user_id,
            reaction=reaction.reaction,
        )
