"""When an action item's owner hears about it next: the stored `next_reminder_at`, set from the
cadence (bot/followup/cadence.py) in the owner's own working hours.

Every change that affects the schedule goes through here: an item assigned (created or
reassigned), snoozed, closed, or its due date changed. The reminder sweep only ever reads
`next_reminder_at`, so the database stays the one truth about who is nudged when.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFoundError
from bot.followup.cadence import Cadence, WorkingHours, next_reminder
from bot.users import get_user
from models import ActionItem, ActionStatus, SlackUser


def hours_in_zone(defaults: WorkingHours, tz: str | None) -> WorkingHours:
    """The configured working week, read in this person's zone (UTC when Slack doesn't say)."""
    return replace(defaults, tz=tz or "UTC")


async def owner_hours(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    defaults: WorkingHours,
    now: datetime,
) -> WorkingHours:
    """The owner's working week. A cached time zone is used however old it is (people rarely
    move, and a sweep must not call users.info for every owner); users.info only when the
    person isn't cached at all."""
    cached = await session.scalar(
        select(SlackUser.tz).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
    )
    if cached is not None:
        return hours_in_zone(defaults, cached)
    try:
        person = await get_user(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
    except NotFoundError:
        return defaults
    return hours_in_zone(defaults, person.tz)


async def item_hours(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    defaults: WorkingHours,
    now: datetime,
) -> WorkingHours:
    """The working week of the item's owner (the defaults, in UTC, while it has none)."""
    if item.owner_id is None:
        return defaults
    return await owner_hours(
        session=session,
        client=client,
        team_id=item.team_id,
        user_id=item.owner_id,
        defaults=defaults,
        now=now,
    )


def schedule_after_assignment(
    item: ActionItem, *, now: datetime, hours: WorkingHours, cadence: Cadence
) -> None:
    """A new owner (a created or reassigned item): a fresh cadence for them, counting the
    assignment DM as today's word, so the first nudge is not today."""
    item.overdue_nudges = 0
    item.snoozed_until = None
    item.last_reminded_at = now
    release(item)
    reschedule(item, now=now, hours=hours, cadence=cadence)


def reschedule(item: ActionItem, *, now: datetime, hours: WorkingHours, cadence: Cadence) -> None:
    """Set `next_reminder_at` from the item as it stands (after a due-date change, or a nudge
    recorded in `last_reminded_at`). Closed items, and items without an owner or due date,
    are never nudged."""
    if item.status is not ActionStatus.OPEN or item.owner_id is None or item.due_date is None:
        item.next_reminder_at = None
        return
    if item.snoozed_until is not None and item.snoozed_until > now:
        item.next_reminder_at = item.snoozed_until
        return
    item.next_reminder_at = next_reminder(
        due=item.due_date,
        now=now,
        overdue_nudges=item.overdue_nudges,
        hours=hours,
        cadence=cadence,
        escalated=item.escalated_at is not None,
        last_sent=item.last_reminded_at,
    ).at


def snooze(item: ActionItem, *, until: datetime) -> None:
    """Quiet until `until` (from cadence.snooze_until); the sweep brings it back then."""
    item.snoozed_until = until
    item.next_reminder_at = until
    release(item)  # a sweep holding it must not overwrite the snooze with its own schedule


def release(item: ActionItem) -> None:
    """No sweep holds the item any more (its guarded write then changes nothing)."""
    item.reminder_claim = None
    item.claimed_until = None


def close(item: ActionItem) -> None:
    """Closed items are never nudged again, and an owner not told yet isn't told now."""
    item.next_reminder_at = None
    item.snoozed_until = None
    item.notice_due_at = None
    release(item)
