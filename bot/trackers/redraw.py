"""After the tracker changed items (filed, closed, reopened, a new owner or date): draw them
again where people see them, the DMs that list them and their owners' App Homes.

The change is committed already, so a Slack failure here is logged, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup.home import refresh_home
from bot.followup.show import read_message, redrawn_blocks
from bot.installations.clients import TeamClients
from models import ActionItem, DeliveryKind, Incident, ReminderDelivery

log = logging.getLogger(__name__)

MESSAGES_PER_ITEM = 5  # the latest DMs about an item are redrawn; older ones are history
SHOWN_IN = (DeliveryKind.ASSIGNED, DeliveryKind.REMINDER, DeliveryKind.ESCALATION)


class Host(Protocol):
    """What redraw uses of the runtime (bot.app.Runtime is one)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    clients: TeamClients  # each item is drawn with its own team's client


async def redraw(runtime: Host, item_ids: Iterable[int]) -> None:
    """Redraw each item's latest DMs (chat.update) and its owner's App Home."""
    for item_id in sorted(set(item_ids)):
        try:
            await _redraw_one(runtime, item_id)
        except SlackApiError as error:
            log.warning("couldn't redraw action item %s: %s", item_id, error)


async def _redraw_one(runtime: Host, item_id: int) -> None:
    now = runtime.clock()
    async with runtime.sessions() as session:
        item = await session.get(ActionItem, item_id)
        if item is None:
            return
        client = await runtime.clients.client_for(item.team_id)
        if client is None:
            log.info("action item %s not redrawn: its team has no live installation", item_id)
            return
        incident = await session.scalar(
            select(Incident).where(
                Incident.team_id == item.team_id, Incident.id == item.incident_id
            )
        )
        if incident is None:
            return
        await _redraw_messages(runtime, session, client, item, incident, now)
        if item.owner_id is not None:
            await refresh_home(
                session=session,
                client=client,
                team_id=item.team_id,
                user_id=item.owner_id,
                now=now,
                settings=runtime.settings,
            )
        await session.commit()  # users.info answers are cached


async def _redraw_messages(
    runtime: Host,
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    incident: Incident,
    now: datetime,
) -> None:
    """The item's latest DMs and escalations, with its team's client."""
    for delivery in await _latest_messages(session, item):
        assert delivery.channel_id is not None and delivery.message_ts is not None
        shown = await read_message(client, delivery.channel_id, delivery.message_ts)
        if shown is None:
            continue
        # An escalation is drawn for nobody in particular; a DM for its recipient.
        viewer = None if delivery.kind is DeliveryKind.ESCALATION else delivery.recipient_id
        blocks = await redrawn_blocks(
            session,
            client,
            item,
            incident,
            shown=shown,
            reader_id=delivery.recipient_id,
            viewer_id=viewer,
            now=now,
            settings=runtime.settings,
        )
        await client.chat_update(
            channel=delivery.channel_id, ts=delivery.message_ts, text=shown.text, blocks=blocks
        )


async def _latest_messages(session: AsyncSession, item: ActionItem) -> list[ReminderDelivery]:
    rows = await session.scalars(
        select(ReminderDelivery)
        .where(
            ReminderDelivery.team_id == item.team_id,
            ReminderDelivery.action_item_id == item.id,
            ReminderDelivery.kind.in_(SHOWN_IN),
            ReminderDelivery.channel_id.is_not(None),
            ReminderDelivery.message_ts.is_not(None),
        )
        .order_by(ReminderDelivery.sent_at.desc(), ReminderDelivery.id.desc())
        .limit(MESSAGES_PER_ITEM)
    )
    return list(rows)
