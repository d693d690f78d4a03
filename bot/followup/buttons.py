"""What the buttons under an action item do: Done, Snooze (a day, a week), Reassign, Won't do.

Each acts at once, writes an audit entry and moves the item's schedule through
bot/followup/schedule.py, so the reminder sweep sees the change on its next pass: a closed item is
never nudged again, a snoozed one comes back when the snooze ends. Only the owner, the incident's
facilitator or its commander may change an item. An item that is already closed stays as it is: a
second Done press (a double click, a stale message on another device) writes nothing and says so.

The caller commits; a reassignment marks the new owner's notice due in the same transaction
(replacing one the previous owner had yet to get), and the caller sends it after the commit
(`owner_notice.send_now`). An item filed in a tracker (or being filed) gets the matching intent
in the same transaction: Done and Won't do close its issue, Reassign updates its assignee; an
item never filed adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.errors import NotFoundError, PermissionDeniedError, UserInputError
from bot.followup import cadence
from bot.followup import schedule as nudges
from bot.followup.items import assign, audit, schedule_for_owner
from bot.followup.shapes import MAX_REASON
from bot.trackers.outbox import enqueue
from bot.trackers.shapes import IntentKind
from models import ActionItem, ActionStatus, Incident

SNOOZE_DAYS = (1, 7)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The item after a button; `changed` is False when it was already closed (nothing was
    written), `previous_owner` is set by a reassignment, and `reassigned` says the new owner's
    notice is due (sent after the commit)."""

    item: ActionItem
    incident: Incident
    changed: bool = True
    previous_owner: str | None = None
    reassigned: bool = False


async def load_item(
    *, session: AsyncSession, team_id: str, item_id: int
) -> tuple[ActionItem, Incident]:
    """The item and its incident, in this workspace only. The row is locked on PostgreSQL so
    two presses at once take turns (SQLite writes one at a time anyway)."""
    item = await session.scalar(
        select(ActionItem)
        .where(ActionItem.team_id == team_id, ActionItem.id == item_id)
        .with_for_update()
    )
    incident = None if item is None else await session.get(Incident, item.incident_id)
    if item is None or incident is None or incident.team_id != team_id:
        raise NotFoundError("That action item doesn't exist any more.")
    return item, incident


async def items_by_id(
    *, session: AsyncSession, team_id: str, item_ids: list[int]
) -> list[ActionItem]:
    """These items of this workspace, in the order asked (unknown ids left out)."""
    found = {
        item.id: item
        for item in await session.scalars(
            select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.id.in_(item_ids))
        )
    }
    return [found[item_id] for item_id in item_ids if item_id in found]


def deciders(item: ActionItem, incident: Incident) -> list[tuple[str, str]]:
    """Who may change the item, with their role: owner, facilitator, commander (each once)."""
    people = [
        (item.owner_id, "the owner"),
        (incident.facilitator_id, "facilitator"),
        (incident.commander_id, "commander"),
    ]
    seen: set[str] = set()
    found = []
    for user_id, role in people:
        if user_id and user_id not in seen:
            seen.add(user_id)
            found.append((user_id, role))
    return found


def require_decider(item: ActionItem, incident: Incident, actor_id: str) -> None:
    """PermissionDeniedError, naming who can, unless the actor is one of them."""
    people = deciders(item, incident)
    if any(user_id == actor_id for user_id, _ in people):
        return
    named = [f"<@{user_id}> ({role})" for user_id, role in people]
    who = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" or {named[-1]}"
    raise PermissionDeniedError(
        f"Sorry, only {who} can change this action item."
        if named
        else "Sorry, this action item has nobody who can change it from here."
    )


async def open_item(
    *, session: AsyncSession, team_id: str, item_id: int, actor_id: str
) -> tuple[ActionItem, Incident]:
    """Load and check the actor may change the item (closed or not)."""
    item, incident = await load_item(session=session, team_id=team_id, item_id=item_id)
    require_decider(item, incident, actor_id)
    return item, incident


async def done(
    *, session: AsyncSession, team_id: str, item_id: int, actor_id: str, now: datetime
) -> Outcome:
    item, incident = await open_item(
        session=session, team_id=team_id, item_id=item_id, actor_id=actor_id
    )
    changed = await _close(session, item, ActionStatus.DONE, actor_id=actor_id, now=now)
    if changed:
        audit(session, item, actor_id, "action.done", {}, at=now)
        await enqueue(session, item=item, kind=IntentKind.CLOSE, now=now)  # its issue too
    return Outcome(item, incident, changed=changed)


def check_reason(text: str | None, *, field: str | None = None) -> str:
    """A Won't do reason: required, at most MAX_REASON characters once trimmed."""
    reason = (text or "").strip()
    if not reason:
        raise UserInputError("Say briefly why it won't be done.", field=field)
    if len(reason) > MAX_REASON:
        raise UserInputError(f"Keep the reason within {MAX_REASON} characters.", field=field)
    return reason


async def wont_do(
    *,
    session: AsyncSession,
    team_id: str,
    item_id: int,
    actor_id: str,
    reason: str | None,
    now: datetime,
    field: str | None = None,
) -> Outcome:
    text = check_reason(reason, field=field)
    item, incident = await open_item(
        session=session, team_id=team_id, item_id=item_id, actor_id=actor_id
    )
    changed = await _close(
        session, item, ActionStatus.WONT_DO, actor_id=actor_id, now=now, reason=text
    )
    if changed:
        audit(session, item, actor_id, "action.wont_do", {"reason": text}, at=now)
        await enqueue(session, item=item, kind=IntentKind.CLOSE, now=now)
    return Outcome(item, incident, changed=changed)


async def snooze(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    item_id: int,
    actor_id: str,
    days: int,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """Quiet for a day or a week, back at the start of a working day in the owner's zone."""
    if days not in SNOOZE_DAYS:
        raise UserInputError("Snooze for a day or a week.")
    item, incident = await open_item(
        session=session, team_id=team_id, item_id=item_id, actor_id=actor_id
    )
    if item.status is not ActionStatus.OPEN:
        return Outcome(item, incident, changed=False)
    hours = await nudges.item_hours(
        session=session, client=client, item=item, defaults=settings.working_hours, now=now
    )
    until = cadence.snooze_until(now, days=days, hours=hours)
    nudges.snooze(item, until=until)
    detail = {"days": days, "until": until.isoformat()}
    audit(session, item, actor_id, "action.snooze", detail, at=now)
    return Outcome(item, incident)


async def reassign(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    item_id: int,
    actor_id: str,
    new_owner_id: str | None,
    now: datetime,
    settings: Settings,
    field: str | None = None,
) -> Outcome:
    """Give the item to another real, active person, on a fresh cadence in their hours."""
    if not new_owner_id:
        raise UserInputError("Pick the new owner.", field=field)
    item, incident = await open_item(
        session=session, team_id=team_id, item_id=item_id, actor_id=actor_id
    )
    if item.status is not ActionStatus.OPEN:
        return Outcome(item, incident, changed=False)
    if new_owner_id == item.owner_id:
        raise UserInputError(f"<@{new_owner_id}> already owns it; pick someone else.", field=field)
    previous = await assign(
        session=session,
        client=client,
        item=item,
        owner_id=new_owner_id,
        actor_id=actor_id,
        field=field,
        now=now,
    )
    await schedule_for_owner(session=session, client=client, item=item, now=now, settings=settings)
    await enqueue(session, item=item, kind=IntentKind.UPDATE, now=now)  # the assignee
    return Outcome(item, incident, previous_owner=previous, reassigned=True)


async def _close(
    session: AsyncSession,
    item: ActionItem,
    status: ActionStatus,
    *,
    actor_id: str,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Close the item unless it already is. The guarded UPDATE lets exactly one of two
    simultaneous presses through on either backend; the other sees the item as it now is."""
    result = await session.execute(
        update(ActionItem)
        .where(
            ActionItem.team_id == item.team_id,
            ActionItem.id == item.id,
            ActionItem.status == ActionStatus.OPEN,
        )
        .values(status=status, closed_at=now, closed_by=actor_id, wont_do_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        await session.refresh(item)
        return False
    item.status, item.closed_at, item.closed_by = status, now, actor_id
    item.wont_do_reason = reason
    nudges.close(item)
    return True
