"""The reminder sweep: every due action item's owner gets one DM listing what needs a look.

The database is the only truth. Each open item has `next_reminder_at`; a sweep
1. claims the due ones (`claim_batch`: the one cross-team query; `FOR UPDATE SKIP LOCKED` on
   PostgreSQL, so two `serve` processes never take the same row; a claim is a lease in its own
   unindexed column, `claimed_until`, ten minutes ahead, so a sweep that dies leaves the item due
   once the lease is over: at most one repeat, never a miss),
2. loads their incidents and their owners' working hours in a few IN queries and decides, per
   item, whether it is nudged now or later (`plan`: the cadence in bot/followup/cadence.py),
3. sends each owner one DM and records the outcome in one short transaction per owner
   (`deliver`), guarded by the claim so a sweep whose claim was released (the item snoozed,
   reassigned or closed meanwhile) or whose lease ran out changes nothing.

Failures keep items due: a rate limit, a 5xx or a timeout leaves the owner's items for a later
sweep with backoff (and a rate limit ends this sweep's sending); errors that retrying can't fix
(the person left, the DM is refused) are recorded and count as the nudge, so they don't loop.

Before the reminders, each sweep sends the owners' "assigned" DMs still due
(bot/followup/notices.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import any_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.followup import notices as owner_notice
from bot.followup.cadence import Cadence, Reminder, WorkingHours, next_reminder, next_working_moment
from bot.followup.schedule import hours_in_zone, owner_hours, reschedule
from bot.followup.send_failures import FIRST_BACKOFF, SEND_ERRORS, SendFailure, classify
from bot.ui.reminder import escalation_message, escalation_note, reminder_message
from models import (
    ActionItem,
    ActionStatus,
    DeliveryKind,
    Incident,
    Priority,
    ReminderDelivery,
    SlackUser,
)

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

LEASE = timedelta(minutes=10)
# Sending stops this long into a sweep and gives the rest back, well before the lease ends, so
# another process can never claim (and DM) an owner this sweep has yet to reach.
SEND_BUDGET = LEASE * 0.7
# All that is due at once, up to this many: each batch costs statements and round trips, and
# the lease runs from the sweep's `now` whatever the batch size.
BATCH_SIZE = 20_000
# Serialises the claim statements (not the sends) of concurrent sweeps on PostgreSQL, so an
# owner's due items are never split between two sweeps (which would mean two DMs).
CLAIM_LOCK_KEY = 7_262_515_305
_ITEMS = ActionItem.__table__


class ClaimedItem(NamedTuple):
    """What the sweep reads of a claimed item: enough to decide and to draw it in a DM. Plain
    tuples: building 10,000 ORM objects costs more than the claim itself, and a tuple's fields
    read ten times faster than a result row's. An owner's items become ActionItem objects only
    when their DM is built."""

    id: int
    team_id: str
    incident_id: int
    owner_id: str | None
    title: str
    due_date: date | None
    priority: Priority
    status: ActionStatus
    snoozed_until: datetime | None
    last_reminded_at: datetime | None
    escalated_at: datetime | None
    reminder_count: int
    overdue_nudges: int
    send_failures: int


_CLAIMED_COLUMNS = tuple(_ITEMS.c[name] for name in ClaimedItem._fields)


@dataclass(slots=True)
class SweepReport:
    """What one sweep did; `select_seconds` is claim + load + group, without Slack sends."""

    owners: int = 0
    claimed: int = 0
    dms_sent: int = 0
    nudged: int = 0
    rescheduled: int = 0
    failed: int = 0
    escalations: int = 0
    notices_sent: int = 0  # owners' "assigned" DMs still due (bot/followup/notices.py)
    notices_failed: int = 0
    rate_limited: bool = False
    out_of_time: bool = False
    select_seconds: float = 0.0

    def summary(self) -> str:
        limited = "; rate limited, the rest waits" if self.rate_limited else ""
        limited += "; out of time, the rest goes to the next sweep" if self.out_of_time else ""
        if self.notices_sent or self.notices_failed:
            limited += (
                f"; {self.notices_sent} assigned notice(s) sent, {self.notices_failed} failed"
            )
        return (
            f"reminder sweep: {self.claimed} due item(s) of {self.owners} owner(s); "
            f"{self.dms_sent} DM(s) sent, {self.nudged} item(s) nudged, "
            f"{self.rescheduled} rescheduled, {self.failed} failed, "
            f"{self.escalations} escalated in {self.select_seconds:.3f}s of selection{limited}"
        )


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


# ---- 1. claim -----------------------------------------------------------------------------


async def claim_batch(
    sessions: Sessions, *, now: datetime, claim: str, limit: int = BATCH_SIZE
) -> list[ClaimedItem]:
    """Claim up to `limit` due items, longest due first (the due index's order, so each batch
    reads only what it takes; items due at the same moment come in any order), and, when the
    batch is full, every other due item of the owners in it, so an owner still gets one DM.
    Claiming writes only `reminder_claim` and `claimed_until`, which no index covers (on
    PostgreSQL the updates can stay on their page, HOT). Returns what was claimed."""
    lease_until = now + LEASE
    async with sessions() as session, session.begin():
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY}
            )
        # Index order only (no tie-break on id): many items share a moment (09:00 in a zone),
        # and a tie-break would make PostgreSQL read and sort every due row for each batch.
        due = _due_ids(now).order_by(ActionItem.next_reminder_at).limit(limit)
        rows = await session.execute(_claim(due, claim, lease_until, postgresql))
        items = list(map(ClaimedItem._make, rows))
        if len(items) == limit:
            # Plain IN lists plan far faster than a list of (team, owner) pairs; the few extra
            # rows they may match (the same person in another workspace) are due anyway.
            owned = [item for item in items if item.owner_id is not None]
            rest = _due_ids(now).where(
                ActionItem.team_id.in_(sorted({item.team_id for item in owned})),
                ActionItem.owner_id.in_(sorted({item.owner_id for item in owned})),
            )
            if owned:
                rows = await session.execute(_claim(rest, claim, lease_until, postgresql))
                items += map(ClaimedItem._make, rows)
    return items


def _due_ids(now: datetime) -> Any:
    """Open items whose nudge is due and that no live lease holds."""
    return (
        select(ActionItem.id)
        .where(
            ActionItem.status == ActionStatus.OPEN,
            ActionItem.next_reminder_at <= now,
            or_(ActionItem.claimed_until.is_(None), ActionItem.claimed_until <= now),
        )
        .with_for_update(skip_locked=True)
    )


def _claim(due: Any, claim: str, lease_until: datetime, postgresql: bool) -> Any:
    # `id = ANY(ARRAY(…))` on PostgreSQL: the locked ids are looked up by primary key. With
    # `id IN (…)` it expects as many rows as the LIMIT and plans a hash join over a scan of the
    # whole table (3 to 4 times slower at 10,000 due of 100,000).
    claimed = (
        _ITEMS.c.id == any_(func.array(due.scalar_subquery()))
        if postgresql
        else _ITEMS.c.id.in_(due)
    )
    return (
        update(_ITEMS)
        .where(claimed)
        .values(reminder_claim=claim, claimed_until=lease_until)
        .returning(*_CLAIMED_COLUMNS)  # what was claimed: no second query to load it
    )


# ---- 2. load and group --------------------------------------------------------------------


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
    async with sessions() as session:
        memo = memo or SweepMemo()
        incidents = memo.incidents
        missing = {item.incident_id for item in items} - incidents.keys()
        if missing:
            teams = {item.team_id for item in items}
            found = await session.scalars(
                select(Incident).where(Incident.team_id.in_(teams), Incident.id.in_(missing))
            )
            for incident in found:
                incidents[incident.id] = incident
        hours = await _owners_hours(session, client, items, working_hours, memo.zones)
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
        incident = incidents[item.incident_id]
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
                )
            except SEND_ERRORS as error:
                log.warning("couldn't look up %s's time zone: %s", user_id, classify(error).code)
    return found


# ---- 3. send and record -------------------------------------------------------------------


async def deliver(
    sessions: Sessions,
    client: AsyncWebClient,
    work: Plan,
    *,
    claim: str,
    now: datetime,
    cadence: Cadence,
    report: SweepReport,
    deadline: float = float("inf"),
) -> None:
    """Reschedule the items not due yet, then DM each owner and record it. After a rate limit,
    the owners not reached yet wait for Retry-After; past `deadline` (time.monotonic()) they go
    back, due, to the next sweep."""
    if work.later:
        async with sessions() as session, session.begin():
            await session.execute(
                update(_ITEMS)
                .where(_ITEMS.c.id == bindparam("b_id"), _ITEMS.c.reminder_claim == claim)
                .values(
                    next_reminder_at=bindparam("b_next", type_=_ITEMS.c.next_reminder_at.type),
                    reminder_claim=None,
                    claimed_until=None,
                ),
                [{"b_id": item_id, "b_next": at} for item_id, at in work.later],
            )
        report.rescheduled += len(work.later)
    for index, owner in enumerate(work.owners):
        if time.monotonic() > deadline:
            rest = [n.item.id for later in work.owners[index:] for n in later.nudges]
            log.warning("reminder sweep ran out of time; %d item(s) go to the next", len(rest))
            await release(sessions, claim=claim, ids=rest)
            report.out_of_time = True
            return
        pause = await _nudge_owner(sessions, client, owner, claim=claim, now=now, cadence=cadence)
        report.owners += 1
        report.escalations += pause.escalations
        if pause.sent:
            report.dms_sent += 1
            report.nudged += len(owner.nudges)
        else:
            report.failed += len(owner.nudges)
        if pause.rate_limited is not None:
            report.rate_limited = True
            rest = [n.item.id for later in work.owners[index + 1 :] for n in later.nudges]
            await release(sessions, claim=claim, at=now + pause.rate_limited, ids=rest)
            return


@dataclass(slots=True)
class _Outcome:
    sent: bool = False
    escalations: int = 0
    rate_limited: timedelta | None = None


async def _nudge_owner(
    sessions: Sessions,
    client: AsyncWebClient,
    owner: OwnerDM,
    *,
    claim: str,
    now: datetime,
    cadence: Cadence,
) -> _Outcome:
    outcome = _Outcome()
    today = owner.today(now)
    items = [_as_item(nudge.item) for nudge in owner.nudges]
    text_, blocks = reminder_message(
        recipient_id=owner.owner_id,
        entries=[(item, nudge.incident) for item, nudge in zip(items, owner.nudges, strict=True)],
        today=today,
        now=now,
        hours=owner.hours,
    )
    channel_id = message_ts = None
    failure: SendFailure | None = None
    try:
        response = await client.chat_postMessage(channel=owner.owner_id, text=text_, blocks=blocks)
        channel_id, message_ts = response.get("channel"), response.get("ts")
        outcome.sent = True
    except SEND_ERRORS as error:
        failure = classify(error)
        if failure.rate_limited:
            outcome.rate_limited = timedelta(seconds=failure.retry_after)
    deliveries = [
        ReminderDelivery(
            team_id=owner.team_id,
            action_item_id=nudge.item.id,
            recipient_id=owner.owner_id,
            kind=DeliveryKind.REMINDER,
            channel_id=channel_id,
            message_ts=message_ts,
            error=failure.code if failure else None,
            sent_at=now,
        )
        for nudge in owner.nudges
    ]
    for item, nudge in zip(items, owner.nudges, strict=True):
        if failure is not None and failure.transient:
            item.send_failures += 1
            item.next_reminder_at = now + failure.retry_at_least(item.send_failures)
            continue
        # Sent, or refused for good (the person left, DMs are off): either way this slot's
        # nudge is spent, so the item isn't retried every minute.
        if failure is None:
            item.reminder_count += 1
        item.last_reminded_at = now
        item.overdue_nudges += int(nudge.overdue)
        item.send_failures = 0
        item.snoozed_until = None
        if nudge.escalate:
            escalated, rate_limited, rows = await _escalate(
                client, item, nudge.incident, hours=owner.hours, today=today, now=now
            )
            deliveries += rows
            if escalated:
                item.escalated_at = now
                outcome.escalations += 1
            if rate_limited is not None:
                outcome.rate_limited = rate_limited
        reschedule(item, now=now, hours=owner.hours, cadence=cadence)
    if failure is not None:
        log_failure = log.info if failure.transient else log.warning
        log_failure(
            "reminder DM to %s failed (%s); %s",
            owner.owner_id,
            failure.code,
            "will retry" if failure.transient else "counted as sent",
        )
    await _record(sessions, items, deliveries, claim=claim)
    return outcome


def _as_item(row: ClaimedItem) -> ActionItem:
    """A claimed row as a detached ActionItem, for the message builders and the cadence."""
    return ActionItem(**row._asdict())


async def _escalate(
    client: AsyncWebClient,
    item: ActionItem,
    incident: Incident,
    *,
    hours: WorkingHours,
    today: date,
    now: datetime,
) -> tuple[bool, timedelta | None, list[ReminderDelivery]]:
    """Ask the facilitator (or the commander) to help, and say so in the incident channel.
    Escalated when either message went out; otherwise it is tried again at the next nudge."""
    helper = next(
        (
            person
            for person in (incident.facilitator_id, incident.commander_id)
            if person and person != item.owner_id
        ),
        None,
    )
    assert item.due_date is not None
    late = _working_days_between(item.due_date, today, hours.weekdays)
    sends: list[tuple[str, dict[str, Any]]] = []
    if helper is not None:
        text_, blocks = escalation_message(
            item=item,
            incident=incident,
            working_days_late=late,
            today=today,
            now=now,
        )
        sends.append((helper, {"channel": helper, "text": text_, "blocks": blocks}))
    if incident.channel_id:
        note = escalation_note(
            item=item, incident=incident, helper_id=helper, working_days_late=late
        )
        sends.append((incident.channel_id, {"channel": incident.channel_id, "text": note}))
    rows: list[ReminderDelivery] = []
    escalated, rate_limited = False, None
    for recipient, arguments in sends:
        row = ReminderDelivery(
            team_id=item.team_id,
            action_item_id=item.id,
            recipient_id=recipient,
            kind=DeliveryKind.ESCALATION,
            sent_at=now,
        )
        try:
            response = await client.chat_postMessage(**arguments)
            row.channel_id, row.message_ts = response.get("channel"), response.get("ts")
            escalated = True
        except SEND_ERRORS as error:
            failure = classify(error)
            row.error = failure.code
            log.warning("escalation of item %s to %s failed: %s", item.id, recipient, row.error)
            if failure.rate_limited:
                rate_limited = timedelta(seconds=failure.retry_after)
        rows.append(row)
    return escalated, rate_limited, rows


def _working_days_between(due: date, today: date, weekdays: frozenset[int]) -> int:
    """Working days after `due` up to and including `today`."""
    days, day = 0, due
    while day < today:
        day += timedelta(days=1)
        days += day.weekday() in weekdays
    return days


async def _record(
    sessions: Sessions,
    items: Sequence[ActionItem],
    deliveries: Sequence[ReminderDelivery],
    *,
    claim: str,
) -> None:
    """One short transaction: the items' new schedule (only while the claim is still ours)
    and the delivery log. The UPDATE goes first, so SQLite takes its write lock up front."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("b_id"), _ITEMS.c.reminder_claim == claim)
            .values(
                next_reminder_at=bindparam("b_next", type_=_ITEMS.c.next_reminder_at.type),
                last_reminded_at=bindparam("b_last", type_=_ITEMS.c.last_reminded_at.type),
                snoozed_until=bindparam("b_snoozed", type_=_ITEMS.c.snoozed_until.type),
                escalated_at=bindparam("b_escalated", type_=_ITEMS.c.escalated_at.type),
                reminder_count=bindparam("b_count"),
                overdue_nudges=bindparam("b_overdue"),
                send_failures=bindparam("b_failures"),
                reminder_claim=None,
                claimed_until=None,
            ),
            [
                {
                    "b_id": item.id,
                    "b_next": item.next_reminder_at,
                    "b_last": item.last_reminded_at,
                    "b_snoozed": item.snoozed_until,
                    "b_escalated": item.escalated_at,
                    "b_count": item.reminder_count,
                    "b_overdue": item.overdue_nudges,
                    "b_failures": item.send_failures,
                }
                for item in items
            ],
        )
        session.add_all(deliveries)


async def release(
    sessions: Sessions, *, claim: str, at: datetime | None = None, ids: Sequence[int] | None = None
) -> None:
    """Give claimed items back (all of this sweep's unrecorded ones by default): due again at
    once, as they were, or at `at`."""
    statement = update(_ITEMS).where(_ITEMS.c.reminder_claim == claim)
    if ids is not None:
        if not ids:
            return
        statement = statement.where(_ITEMS.c.id.in_(ids))
    values: dict[str, Any] = {"reminder_claim": None, "claimed_until": None}
    if at is not None:
        values["next_reminder_at"] = at
    async with sessions() as session, session.begin():
        await session.execute(statement.values(**values))


# ---- the sweep ----------------------------------------------------------------------------


async def _send_notices(
    sessions: Sessions,
    client: AsyncWebClient,
    *,
    now: datetime,
    deadline: float,
    report: SweepReport,
) -> None:
    """The "assigned" DMs still due (a failed send, a crash before sending), at once whatever
    the owner's hours; a rate limit ends this sweep's sending."""
    tried = await owner_notice.send_due(
        sessions=sessions, client=client, now=now, deadline=deadline
    )
    for sent in tried:
        if sent.failure is None:
            report.notices_sent += 1
            continue
        report.notices_failed += 1
        report.rate_limited = report.rate_limited or sent.failure.rate_limited


async def sweep(
    *,
    sessions: Sessions,
    client: AsyncWebClient,
    settings: Settings,
    now: datetime,
    batch_size: int = BATCH_SIZE,
    send_budget: timedelta = SEND_BUDGET,
) -> SweepReport:
    """One sweep at `now`: batch after batch until nothing is due (or Slack rate limits us).
    Claims not recorded when it stops (cancelled at shutdown, an error) are given back, still
    due."""
    claim = str(uuid.uuid4())
    report = SweepReport()
    memo = SweepMemo()
    deadline = time.monotonic() + send_budget.total_seconds()
    try:
        # Owners not yet told an item is theirs come first: they expect it right after.
        await _send_notices(sessions, client, now=now, deadline=deadline, report=report)
        while not (report.rate_limited or report.out_of_time):
            started = time.perf_counter()
            items = await claim_batch(sessions, now=now, claim=claim, limit=batch_size)
            if not items:
                report.select_seconds += time.perf_counter() - started
                break
            report.claimed += len(items)
            work = await plan(
                sessions,
                client,
                items=items,
                now=now,
                working_hours=settings.working_hours,
                cadence=settings.cadence,
                memo=memo,
            )
            report.select_seconds += time.perf_counter() - started
            await deliver(
                sessions,
                client,
                work,
                claim=claim,
                now=now,
                cadence=settings.cadence,
                report=report,
                deadline=deadline,
            )
            if len(items) < batch_size:
                # All that was due is claimed (what SKIP LOCKED passed over, another
                # transaction holds: the next sweep, a minute later, sees it): no empty claim.
                break
    finally:
        await asyncio.shield(release(sessions, claim=claim))
    return report
