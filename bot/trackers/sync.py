"""From the tracker to Slack: a webhook's or a poll's change applied to its action item, and the
item's messages and App Homes drawn again.

Closed in the tracker → the item is done the way Done closes it (reminders stop), with nobody
as its closer, so it reads "Closed in GitHub"; reopened → open again on a fresh schedule;
assignee or due date → the item follows where the assignee maps back to a Slack user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import audit as audit_log
from bot.config import Settings
from bot.followup import schedule as nudges
from bot.followup.cadence import Cadence, WorkingHours
from bot.trackers.redraw import redraw
from bot.trackers.shapes import RemoteChange, RemoteState, Tracker, TrackerError, TrackerKind
from bot.trackers.sync_rules import Follow, ItemNow, change_from_issue, decide, emails_for_login
from models import ActionItem, ActionStatus, SlackUser

log = logging.getLogger(__name__)

__all__ = ["apply_change", "poll", "redraw"]  # redraw: bot.trackers.redraw

Sessions = async_sessionmaker[AsyncSession]
POLL_BATCH = 500  # open linked items read per poll; the rest wait for the next one


async def apply_change(
    session: AsyncSession, change: RemoteChange, *, now: datetime, settings: Settings | None = None
) -> int | None:
    """Apply the change to the item filed as `change.key`; its id when anything changed, None
    for an issue we don't know (or one that changed nothing). The caller commits. `settings`
    gives the working hours, cadence and GitHub user map (defaults without it)."""
    item = await session.scalar(
        select(ActionItem)
        .where(ActionItem.tracker_kind == change.kind, ActionItem.tracker_key == change.key)
        .with_for_update()
    )
    if item is None:
        return None
    owner = await _owner_for(session, item, change, settings)
    follow = decide(change, _now_of(item), owner_for_assignee=owner)
    item.tracker_synced_at = now  # heard from the tracker (a poll asks the longest unheard first)
    if follow.state is None and not follow.changes_item:
        return None
    if follow.state is not None:
        item.tracker_state = follow.state.value
    if follow.close:
        await _close(session, item, change, now=now)
    elif follow.changes_item:
        await _follow_open(session, item, follow, change, now=now, settings=settings)
    return item.id


def _now_of(item: ActionItem) -> ItemNow:
    known = RemoteState(item.tracker_state) if item.tracker_state in set(RemoteState) else None
    return ItemNow(
        is_open=item.status is ActionStatus.OPEN,
        known_state=known,
        owner_id=item.owner_id,
        due=item.due_date,
    )


async def _close(
    session: AsyncSession, item: ActionItem, change: RemoteChange, *, now: datetime
) -> None:
    """Done, guarded like the Done button so a press at the same moment wins or loses whole."""
    result = await session.execute(
        update(ActionItem)
        .where(
            ActionItem.team_id == item.team_id,
            ActionItem.id == item.id,
            ActionItem.status == ActionStatus.OPEN,
        )
        .values(status=ActionStatus.DONE, closed_at=now, closed_by=None, wont_do_reason=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        return
    item.status, item.closed_at, item.closed_by, item.wont_do_reason = (
        ActionStatus.DONE,
        now,
        None,
        None,
    )
    nudges.close(item)
    _audit(session, item, "action.done", _by_tracker(change), now=now)


async def _follow_open(
    session: AsyncSession,
    item: ActionItem,
    follow: Follow,
    change: RemoteChange,
    *,
    now: datetime,
    settings: Settings | None,
) -> None:
    """Reopen, and the owner and due date the tracker gave; then a fresh schedule."""
    detail: dict[str, object] = _by_tracker(change)
    if follow.reopen:
        item.status, item.closed_at, item.closed_by = ActionStatus.OPEN, None, None
        item.wont_do_reason, item.escalated_at = None, None
        _audit(session, item, "action.reopen", detail, now=now)
    if follow.new_owner is not None:
        previous, item.owner_id = item.owner_id, follow.new_owner
        moved = {**detail, "from": previous, "to": follow.new_owner}
        _audit(session, item, "action.assign", moved, now=now)
    if follow.new_due is not None:
        item.due_date = follow.new_due
        dated = {**detail, "due": follow.new_due.isoformat()}
        _audit(session, item, "action.due", dated, now=now)
    hours = await _cached_hours(session, item, settings)
    cadence = settings.cadence if settings is not None else Cadence()
    if follow.reopen or follow.new_owner is not None:
        nudges.schedule_after_assignment(item, now=now, hours=hours, cadence=cadence)
    else:
        nudges.reschedule(item, now=now, hours=hours, cadence=cadence)


def _by_tracker(change: RemoteChange) -> dict[str, object]:
    return {"by": change.kind.value, "issue": change.key}


def _audit(
    session: AsyncSession,
    item: ActionItem,
    action: str,
    detail: Mapping[str, object],
    *,
    now: datetime,
) -> None:
    """The item's audit row, with the tracker as its actor (nobody in Slack did it)."""
    audit_log.record(
        session,
        team_id=item.team_id,
        incident_id=item.incident_id,
        actor_id=None,
        action=action,
        detail={"item": item.id, **detail},
        at=now,
    )


async def _cached_hours(
    session: AsyncSession, item: ActionItem, settings: Settings | None
) -> WorkingHours:
    """The owner's working week from the users cache alone (no Slack call under a row lock)."""
    defaults = settings.working_hours if settings is not None else WorkingHours()
    if item.owner_id is None:
        return defaults
    tz = await session.scalar(
        select(SlackUser.tz).where(
            SlackUser.team_id == item.team_id, SlackUser.user_id == item.owner_id
        )
    )
    return nudges.hours_in_zone(defaults, tz)


async def _owner_for(
    session: AsyncSession, item: ActionItem, change: RemoteChange, settings: Settings | None
) -> str | None:
    """The Slack user the new assignee maps back to, by e-mail: the one the tracker told
    (Jira, unless the person hides it), else GITHUB_USER_MAP read backwards."""
    if not change.assignee_changed or not change.assignee:
        return None
    emails = [change.assignee_email.lower()] if change.assignee_email else []
    github = settings.trackers.github if settings is not None else None
    if not emails and change.kind is TrackerKind.GITHUB and github is not None:
        emails = emails_for_login(github.user_map, change.assignee)
    if not emails:
        return None
    return await session.scalar(
        select(SlackUser.user_id)
        .where(SlackUser.team_id == item.team_id, func.lower(SlackUser.email).in_(emails))
        .where(SlackUser.deleted.is_(False))
        .order_by(SlackUser.user_id)
        .limit(1)
    )


async def poll(
    *,
    sessionmaker: Sessions,
    trackers: Mapping[TrackerKind, Tracker],
    clock: Callable[[], datetime],
) -> list[int]:
    """Ask the tracker about every open linked item and apply what changed (a webhook missed);
    the ids of the items changed. One short transaction per change; a tracker that fails is
    logged and asked again next time."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(ActionItem.tracker_kind, ActionItem.tracker_key)
            .where(ActionItem.status == ActionStatus.OPEN, ActionItem.tracker_key.is_not(None))
            .order_by(ActionItem.tracker_synced_at.is_not(None), ActionItem.tracker_synced_at)
            .limit(POLL_BATCH)
        )
        linked = [(str(kind), str(key)) for kind, key in rows]
    changed: list[int] = []
    for kind_name, key in linked:
        tracker = trackers.get(TrackerKind(kind_name)) if kind_name in set(TrackerKind) else None
        if tracker is None:
            continue
        try:
            issue = await tracker.get(key)
        except TrackerError as error:
            log.warning("couldn't poll %s issue %s: %s", kind_name, key, error.message)
            continue
        async with sessionmaker() as session:
            item_id = await apply_change(
                session, change_from_issue(tracker.kind, issue), now=clock()
            )
            await session.commit()
        if item_id is not None:
            changed.append(item_id)
    return changed
