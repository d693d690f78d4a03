"""Action items created outside the retrospective, (re)assigned, and the owner told at once.

Due dates: an item without one gets a default by priority (ACTION_DUE_DAYS, by default high 3 days,
medium 7, low 14), counted from "today" in the creator's own time zone. A due date in the past is
refused. Every new owner gets a fresh reminder schedule (bot/followup/schedule.py). Owners must be
real, active people (not bots, not deactivated). Every creation and reassignment writes an audit
entry. The owner gets a DM when an item is assigned to them by someone else; creating an item for
yourself sends no DM (the ephemeral answer already told you). That DM is marked due in the same
transaction that gives the item its owner and sent after the commit (bot/followup/notices.py), so a
failed send or a crash in between leaves it to the reminder sweep, never lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit as audit_log
from bot.config import Settings
from bot.errors import NotFoundError, UserInputError
from bot.followup import notices as owner_notice
from bot.followup import schedule as nudges
from bot.incidents.lifecycle import require_by_channel, require_person
from bot.retro.forms import MAX_ITEM_TITLE
from bot.timeline.timeparse import user_zone
from bot.trackers.policy import file_by_policy
from bot.ui.text import inert
from bot.users import display_name, get_user
from models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Incident,
    Priority,
)

USAGE = (
    "Use `/postmortem action <title> [@owner] [due <date>]`, for example "
    "`/postmortem action Alert on checkout p99 @alice due 2026-12-01`. Dates look like "
    "`2026-12-01`, `today`, `tomorrow`, `in 5 days` or a weekday such as `friday`."
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DUE = re.compile(r"(?:^|\s)due\s+", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IN_DAYS = re.compile(r"^in\s+(\d{1,3})\s+days?$", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Fields:
    """The modal blocks to mark for each kind of problem (None: answer in a message)."""

    title: str | None = None
    owner: str | None = None
    due: str | None = None


@dataclass(frozen=True, slots=True)
class ActionCommand:
    """`/postmortem action …` read into plain values."""

    title: str
    owner_id: str | None
    due: date | None


@dataclass(frozen=True, slots=True)
class NewItem:
    title: str
    owner_id: str
    due: date | None = None  # None: the default for the priority
    priority: Priority = Priority.MEDIUM
    kind: ActionKind = ActionKind.PREVENT
    source_ts: str | None = None  # the message the item came from, in the incident channel


@dataclass(frozen=True, slots=True)
class Settled:
    """The retro's items after settle_items: whose owners are to be told (their notices are
    due already; `owner_notice.send_now` after the commit)."""

    incident: Incident
    items: list[ActionItem]  # the incident's open items, each with a due date now
    newly_owned: list[ActionItem]


def default_due(priority: Priority, today: date, due_days: Mapping[str, int]) -> date:
    return today + timedelta(days=due_days[priority.value])


def parse_due(text: str, *, today: date) -> date:
    """`2026-12-01`, `today`, `tomorrow`, `in N days`, or a weekday (the next one, not today)."""
    word = " ".join(text.lower().split())
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if (days := _IN_DAYS.match(word)) is not None:
        return today + timedelta(days=int(days.group(1)))
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(word) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if _ISO_DATE.match(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            pass
    raise UserInputError(f"`{inert(text)}` isn't a due date I understand. {USAGE}")


def parse_action_command(args: str, *, today: date) -> ActionCommand:
    """ "<title> [@owner] [due <date>]": the first mention is the owner, the last `due …` the
    due date (both may come in either order after the title)."""
    text = args.strip()
    owner = _MENTION.search(text)
    owner_id = owner.group(1) if owner else None
    if owner is not None:
        text = f"{text[: owner.start()]} {text[owner.end() :]}"
    due: date | None = None
    clauses = list(_DUE.finditer(text))
    if clauses:
        last = clauses[-1]
        due = parse_due(text[last.end() :], today=today)
        text = text[: last.start()]
    title = " ".join(unescape(text).split())
    if not title:
        raise UserInputError(f"Give the action item a title. {USAGE}")
    return ActionCommand(title=title, owner_id=owner_id, due=due)


def unescape(text: str) -> str:
    """Slack's escaped `&`, `<`, `>` back to what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_title(message_text: str) -> str:
    """A message's mrkdwn as a plain title: links to their labels, within MAX_ITEM_TITLE."""
    text = re.sub(r"<[^>|]+\|([^>]+)>", r"\1", message_text)
    text = re.sub(r"<([^>]+)>", r"\1", text)
    text = " ".join(unescape(text).split())
    return text if len(text) <= MAX_ITEM_TITLE else text[: MAX_ITEM_TITLE - 1] + "…"


async def today_for(
    *, session: AsyncSession, client: AsyncWebClient, team_id: str, user_id: str, now: datetime
) -> date:
    """Today's date where this person is (UTC when Slack doesn't say)."""
    try:
        person = await get_user(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
    except NotFoundError:
        return now.date()
    return now.astimezone(user_zone(person.tz)).date()


async def author_name(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    user_id: str | None,
    app_name: str | None,
    now: datetime,
) -> str:
    """Who wrote a message, as a plain name (an app's name, or "someone" when Slack won't say)."""
    if not user_id:
        return app_name or "someone"
    try:
        user = await get_user(
            session=session, client=client, team_id=team_id, user_id=user_id, now=now
        )
    except NotFoundError:
        return str(user_id)
    return display_name(user, fallback=str(user_id))


async def create_action_item(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    created_by: str,
    new: NewItem,
    today: date,
    now: datetime,
    settings: Settings,
    fields: Fields | None = None,
) -> tuple[ActionItem, Incident]:
    """Check and add the item to the incident of this channel, with its audit entry, its owner's
    reminder schedule and notice due, and its issue asked for under TRACKER_SYNC=all (commit
    after, then `owner_notice.send_now`). NotInIncidentChannelError or UserInputError: none."""
    marks = fields or Fields()
    incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    title = _checked_title(new.title, field=marks.title)
    if new.due is not None and new.due < today:
        raise UserInputError(
            f"{new.due.isoformat()} has passed; pick a due date from today on.", field=marks.due
        )
    await require_person(
        session=session,
        client=client,
        team_id=team_id,
        user_id=new.owner_id,
        now=now,
        field=marks.owner,
    )
    item = ActionItem(
        team_id=team_id,
        incident_id=incident.id,
        title=title,
        owner_id=new.owner_id,
        due_date=new.due or default_due(new.priority, today, settings.due_days),
        priority=new.priority,
        kind=new.kind,
        created_by=created_by,
        source_channel_id=channel_id,
        source_ts=new.source_ts,
    )
    session.add(item)
    await session.flush()
    await _follow_new(session, client, item, now=now, settings=settings)
    return item, incident


async def _follow_new(
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """A new item's audit entry, owner's notice and schedule, and its issue by policy."""
    detail = {"title": item.title, "owner": item.owner_id}
    audit(session, item, item.created_by, "action.create", detail, at=now)
    owner_notice.mark_due(item, actor_id=item.created_by, now=now)
    await schedule_for_owner(session=session, client=client, item=item, now=now, settings=settings)
    await file_by_policy(session, [item], now=now, sync_all=settings.trackers.sync_all)


def _checked_title(text: str, *, field: str | None) -> str:
    """The title with its whitespace folded: required, within MAX_ITEM_TITLE."""
    title = " ".join(text.split())
    if not title:
        raise UserInputError("Give the action item a title.", field=field)
    if len(title) > MAX_ITEM_TITLE:
        raise UserInputError(f"Keep the title within {MAX_ITEM_TITLE} characters.", field=field)
    return title


async def schedule_for_owner(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    now: datetime,
    settings: Settings,
) -> None:
    """A fresh reminder schedule in the (new) owner's own working hours."""
    hours = await nudges.item_hours(
        session=session, client=client, item=item, defaults=settings.working_hours, now=now
    )
    nudges.schedule_after_assignment(item, now=now, hours=hours, cadence=settings.cadence)


async def settle_items(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    actor_id: str,
    today: date,
    now: datetime,
    settings: Settings,
) -> Settled:
    """After `actor_id` saved the retro's action items: give each a due date (the priority's
    default) and a reminder schedule. Returns the incident and the items whose owner is new
    (created, or given to someone else: the retro marks those by clearing `last_reminded_at`),
    their notices due, to be sent after commit. NotFoundError for an incident not in this
    team."""
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    if incident is None:
        raise NotFoundError("That incident doesn't exist (any more).")
    items = list(
        await session.scalars(
            select(ActionItem).where(
                ActionItem.team_id == team_id,
                ActionItem.incident_id == incident_id,
                ActionItem.status == ActionStatus.OPEN,
            )
        )
    )
    newly_owned: list[ActionItem] = []
    for item in items:
        if item.due_date is None:
            item.due_date = default_due(item.priority, today, settings.due_days)
            item.next_reminder_at = None
        if item.owner_id is None:
            continue
        if item.last_reminded_at is None:
            await schedule_for_owner(
                session=session, client=client, item=item, now=now, settings=settings
            )
            owner_notice.mark_due(item, actor_id=actor_id, now=now)
            newly_owned.append(item)
        elif item.next_reminder_at is None:
            hours = await nudges.item_hours(
                session=session, client=client, item=item, defaults=settings.working_hours, now=now
            )
            nudges.reschedule(item, now=now, hours=hours, cadence=settings.cadence)
    await file_by_policy(session, items, now=now, sync_all=settings.trackers.sync_all)
    return Settled(incident=incident, items=items, newly_owned=newly_owned)


async def assign(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    item: ActionItem,
    owner_id: str,
    actor_id: str,
    now: datetime,
    field: str | None = None,
) -> str | None:
    """Give the item to another person (checked first), their notice due in place of any the
    previous owner was still to get; returns the previous owner (commit after, then
    `owner_notice.send_now`)."""
    await require_person(
        session=session, client=client, team_id=item.team_id, user_id=owner_id, now=now, field=field
    )
    previous, item.owner_id = item.owner_id, owner_id
    if previous != owner_id:
        audit(session, item, actor_id, "action.assign", {"from": previous, "to": owner_id}, at=now)
        owner_notice.mark_due(item, actor_id=actor_id, now=now)
    return previous


def audit(
    session: AsyncSession,
    item: ActionItem,
    actor_id: str,
    action: str,
    detail: dict[str, object],
    *,
    at: datetime,
) -> None:
    """The item's audit row, in the caller's transaction."""
    audit_log.record(
        session,
        team_id=item.team_id,
        incident_id=item.incident_id,
        actor_id=actor_id,
        action=action,
        detail={"item": item.id, **detail},
        at=at,
    )
