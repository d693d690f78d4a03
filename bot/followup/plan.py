"""The sweep's second stage: load the claimed items' incidents and owners' working hours in a
few IN queries, and decide, per item, whether it is nudged now or later (the cadence in
bot/followup/cadence.py). Items nudged now are grouped by owner: one DM each."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.after_send import ClaimedItem
from bot.followup.cadence import Cadence, Reminder, WorkingHours, next_reminder, next_working_moment
from bot.followup.schedule import hours_in_zone, owner_hours
from bot.followup.send_failures import FIRST_BACKOFF, SEND_ERRORS, classify
from models import ActionStatus, Incident, SlackUser

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(slots=True)
class Nudge:
    """An item to mention in its owner's DM now."""

    item: ClaimedItem
    incident: Incident
    overdue: bool
    escalate: bool


@dataclass(slots=True)
class OwnerDM:
    team_id: str
    owner_id: str
    hours: WorkingHours
    nudges: list[Nudge] = field(default_factory=list)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.hours.zone).date()


@dataclass(slots=True)
class Plan:
    """The claimed items sorted out: who is DMed about what, and when the others are due."""

    owners: list[OwnerDM] = field(default_factory=list)
    later: list[tuple[int, datetime | None]] = field(default_factory=list)


@dataclass(slots=True)
class SweepMemo:
    """What one sweep reuses from batch to batch: incidents already loaded, and the cadence's
    answers (a pure function of its inputs: many items share an owner's zone and due date)."""

    incidents: dict[int, Incident] = field(default_factory=dict)
    zones: dict[str | None, WorkingHours] = field(default_factory=dict)
    reminders: dict[tuple[Any, ...], Reminder] = field(default_factory=dict)
    # Per zone name: the local date at the sweep's `now`, and whether `now` is working time.
    zone_now: dict[str, tuple[date, bool]] = field(default_factory=dict)


async def plan(
    sessions: Sessions,
    client: AsyncWebClient,
    *,
    items: Sequence[ClaimedItem],
    now: datetime,
    working_hours: WorkingHours,
    cadence: Cadence,
    memo: SweepMemo | None = None,
) -> Plan:
    """Load the claimed items' incidents and owners' hours (a few IN queries, users.info only
    for people never seen) and decide, per item, whether it is nudged now."""
    memo = memo or SweepMemo()
    async with sessions() as session:
        await _load_incidents(session, items, memo.incidents)
        hours = await _owners_hours(session, client, items, working_hours, memo.zones, now)
        await session.commit()  # users.info answers are cached for next time
    result = Plan()
    by_owner: dict[tuple[str, str], OwnerDM] = {}
    for item in items:
        if item.owner_id is None or item.due_date is None or item.status is not ActionStatus.OPEN:
            result.later.append((item.id, None))
            continue
        key = (item.team_id, item.owner_id)
        owner_hours_ = hours.get(key)
        if owner_hours_ is None:  # users.info failed for now: ask again in a minute
            result.later.append((item.id, now + FIRST_BACKOFF))
            continue
        incident = memo.incidents[item.incident_id]
        nudge_at, nudge = _decide(item, incident, now, owner_hours_, cadence, memo)
        if nudge is None:
            result.later.append((item.id, nudge_at))
            continue
        owner = by_owner.get(key)
        if owner is None:
            owner = by_owner[key] = OwnerDM(item.team_id, item.owner_id, owner_hours_)
        owner.nudges.append(nudge)
    # Owner by owner; within a DM, the most overdue first, then by due date.
    for key in sorted(by_owner):
        owner = by_owner[key]
        owner.nudges.sort(key=_dm_order)
        result.owners.append(owner)
    return result


async def _load_incidents(
    session: AsyncSession, items: Sequence[ClaimedItem], incidents: dict[int, Incident]
) -> None:
    """The items' incidents not loaded yet, into `incidents` (one IN query)."""
    missing = {item.incident_id for item in items} - incidents.keys()
    if not missing:
        return
    teams = {item.team_id for item in items}
    found = await session.scalars(
        select(Incident).where(Incident.team_id.in_(teams), Incident.id.in_(missing))
    )
    for incident in found:
        incidents[incident.id] = incident


def _dm_order(nudge: Nudge) -> tuple[date, int]:
    return (nudge.item.due_date or date.max, nudge.item.id)


def _decide(
    item: ClaimedItem,
    incident: Incident,
    now: datetime,
    hours: WorkingHours,
    cadence: Cadence,
    memo: SweepMemo,
) -> tuple[datetime | None, Nudge | None]:
    """(when, None) to wait until `when`; (None, nudge) to nudge now."""
    assert item.due_date is not None
    if item.snoozed_until is not None and item.snoozed_until > now:
        return item.snoozed_until, None
    zone = memo.zone_now.get(hours.tz)
    if zone is None:
        zone = memo.zone_now[hours.tz] = (
            now.astimezone(hours.zone).date(),
            next_working_moment(now, hours) == now,
        )
    today, working_now = zone
    escalated = item.escalated_at is not None
    # The cadence reads `last_sent` only as the owner's local date, so many items share an
    # answer; the raw instant is a finer key than that date, and cheaper to make. A sweep has
    # one working week (its settings), so the zone's name stands for the owner's hours.
    key = (item.due_date, hours.tz, item.last_reminded_at, item.overdue_nudges, escalated)
    reminder = memo.reminders.get(key)
    if reminder is None:
        reminder = memo.reminders[key] = next_reminder(
            due=item.due_date,
            now=now,
            overdue_nudges=item.overdue_nudges,
            hours=hours,
            cadence=cadence,
            escalated=escalated,
            last_sent=item.last_reminded_at,
        )
    snooze_over = item.snoozed_until is not None and working_now
    if reminder.at > now and not snooze_over:
        return reminder.at, None  # e.g. the sweep ran after hours, or at the weekend
    overdue = today > item.due_date
    return None, Nudge(item, incident, overdue=overdue, escalate=reminder.escalate and overdue)


async def _owners_hours(
    session: AsyncSession,
    client: AsyncWebClient,
    items: Iterable[ClaimedItem],
    defaults: WorkingHours,
    zones_seen: dict[str | None, WorkingHours],
    now: datetime,
) -> dict[tuple[str, str], WorkingHours]:
    """Each owner's working hours, from the user cache in one query per team."""
    owners: dict[str, set[str]] = {}
    for item in items:
        if item.owner_id is not None:
            owners.setdefault(item.team_id, set()).add(item.owner_id)
    found: dict[tuple[str, str], WorkingHours] = {}
    for team_id, user_ids in owners.items():
        rows = await session.execute(
            select(SlackUser.user_id, SlackUser.tz).where(
                SlackUser.team_id == team_id, SlackUser.user_id.in_(user_ids)
            )
        )
        zones = {row.user_id: row.tz for row in rows}
        for user_id in sorted(user_ids):
            if user_id in zones:
                tz = zones[user_id]
                if tz not in zones_seen:
                    zones_seen[tz] = hours_in_zone(defaults, tz)
                found[(team_id, user_id)] = zones_seen[tz]
                continue
            try:
                found[(team_id, user_id)] = await owner_hours(
                    session=session,
                    client=client,
                    team_id=team_id,
                    user_id=user_id,
                    defaults=defaults,
                    now=now,
                )
            except SEND_ERRORS as error:
                log.warning("couldn't look up %s's time zone: %s", user_id, classify(error).code)
    return found
