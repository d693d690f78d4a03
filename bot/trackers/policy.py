"""TRACKER_SYNC=all: every new action item is filed without a press."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.trackers.outbox import enqueue
from bot.trackers.shapes import IntentKind
from models import ActionItem, ActionStatus


async def file_by_policy(
    session: AsyncSession, items: Iterable[ActionItem], *, now: datetime, sync_all: bool
) -> int:
    """A CREATE intent for each open, unfiled item when `sync_all`, in the caller's
    transaction: the item and its intent commit together, so neither is ever without the
    other. How many were added (an item asked for already adds nothing)."""
    if not sync_all:
        return 0
    added = 0
    for item in items:
        if item.status is ActionStatus.OPEN and not item.tracker_key:
            added += await enqueue(session, item=item, kind=IntentKind.CREATE, now=now)
    return added
