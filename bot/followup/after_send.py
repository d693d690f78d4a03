"""What the sweep writes for an item once its owner's DM was tried: sent, refused for good, or
worth another try. Pure (no I/O), so every outcome is decided in one place and unit-tested.

A nudge that went out, or that Slack refused for good (the person left, DMs to them are off),
is spent: counted, the snooze over, the next one scheduled by the cadence, so the item isn't
retried every minute. A failure worth retrying (a rate limit, a 5xx, a timeout) keeps the item
as it was, due again after a backoff that doubles with each failure in a row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from bot.followup.cadence import Cadence, WorkingHours, next_reminder
from bot.followup.send_failures import SendFailure
from models import ActionItem, ActionStatus, Priority


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


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """The columns the sweep records for one item (only while its claim is still the sweep's)."""

    id: int
    next_reminder_at: datetime | None
    last_reminded_at: datetime | None
    snoozed_until: datetime | None
    escalated_at: datetime | None
    reminder_count: int
    overdue_nudges: int
    send_failures: int


def nudge_spent(failure: SendFailure | None) -> bool:
    """Sent, or refused for good: either way this slot's nudge is spent."""
    return failure is None or not failure.transient


def after_send(
    item: ClaimedItem,
    *,
    overdue: bool,
    failure: SendFailure | None,
    now: datetime,
    hours: WorkingHours,
    cadence: Cadence,
    escalated: bool = False,
) -> ItemWrite:
    """What to write for `item` after its owner's DM (`failure` None: it went out), and after
    its escalation when `escalated` (someone was asked to help just now)."""
    if failure is not None and not nudge_spent(failure):
        failures = item.send_failures + 1
        return ItemWrite(
            id=item.id,
            next_reminder_at=now + failure.retry_at_least(failures),
            last_reminded_at=item.last_reminded_at,
            snoozed_until=item.snoozed_until,
            escalated_at=item.escalated_at,
            reminder_count=item.reminder_count,
            overdue_nudges=item.overdue_nudges,
            send_failures=failures,
        )
    escalated_at = now if escalated else item.escalated_at
    overdue_nudges = item.overdue_nudges + int(overdue)
    return ItemWrite(
        id=item.id,
        next_reminder_at=_next_nudge(item, now, overdue_nudges, escalated_at, hours, cadence),
        last_reminded_at=now,
        snoozed_until=None,
        escalated_at=escalated_at,
        reminder_count=item.reminder_count + int(failure is None),
        overdue_nudges=overdue_nudges,
        send_failures=0,
    )


def _next_nudge(
    item: ClaimedItem,
    now: datetime,
    overdue_nudges: int,
    escalated_at: datetime | None,
    hours: WorkingHours,
    cadence: Cadence,
) -> datetime | None:
    """The cadence's next slot after a nudge at `now` (as schedule.reschedule reads it)."""
    if item.status is not ActionStatus.OPEN or item.owner_id is None or item.due_date is None:
        return None
    return next_reminder(
        due=item.due_date,
        now=now,
        overdue_nudges=overdue_nudges,
        hours=hours,
        cadence=cadence,
        escalated=escalated_at is not None,
        last_sent=now,
    ).at


def as_item(row: ClaimedItem, write: ItemWrite | None = None) -> ActionItem:
    """A claimed row (with what is to be written for it) as a detached ActionItem, for the
    message builders."""
    fields = row._asdict()
    if write is not None:
        fields.update(asdict(write))
    return ActionItem(**fields)


def working_days_between(due: date, today: date, weekdays: frozenset[int]) -> int:
    """Working days after `due` up to and including `today`."""
    days, day = 0, due
    while day < today:
        day += timedelta(days=1)
        days += day.weekday() in weekdays
    return days
