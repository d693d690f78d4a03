"""How action items stand in the tracker, for their Slack surfaces: the item's tracker columns
and its CREATE intent read into an ItemTracker (bot/ui draws it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.trackers.shapes import (
    Filing,
    IntentKind,
    IntentState,
    ItemTracker,
    TrackerKind,
)
from bot.ui.tracker import filed_issue
from models import ActionItem, TrackerIntent


def item_tracker(
    item: ActionItem, configured: TrackerKind | None, intent: TrackerIntent | None
) -> ItemTracker | None:
    """None when there is nothing to show: no tracker configured and the item never filed."""
    issue = filed_issue(item)
    if issue is not None:
        return issue
    if configured is None:
        return None
    if intent is None or intent.state == IntentState.DONE:
        return ItemTracker(configured, Filing.NONE)
    if intent.state == IntentState.FAILED:
        error = item.tracker_error or intent.last_error
        return ItemTracker(configured, Filing.FAILED, error=error)
    if intent.attempts > 0 and intent.last_error:
        return ItemTracker(configured, Filing.RETRYING, error=intent.last_error)
    return ItemTracker(configured, Filing.QUEUED)


async def tracker_views(
    session: AsyncSession,
    *,
    team_id: str,
    items: Iterable[ActionItem],
    configured: TrackerKind | None,
) -> dict[int, ItemTracker]:
    """Each item's ItemTracker by id (items with nothing to show left out), in one query."""
    listed = list(items)
    unfiled = [item.id for item in listed if not item.tracker_key]
    intents: dict[int, TrackerIntent] = {}
    if configured is not None and unfiled:
        rows = await session.scalars(
            select(TrackerIntent).where(
                TrackerIntent.team_id == team_id,
                TrackerIntent.kind == IntentKind.CREATE,
                TrackerIntent.action_item_id.in_(unfiled),
            )
        )
        intents = {intent.action_item_id: intent for intent in rows}
    views = {item.id: item_tracker(item, configured, intents.get(item.id)) for item in listed}
    return {item_id: view for item_id, view in views.items() if view is not None}
