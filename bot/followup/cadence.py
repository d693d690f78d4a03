"""When to nudge the owner of an action item: the reminder cadence inside their working hours.

Pure policy, no I/O: the clock (`now`) is passed in, every datetime is timezone-aware and every
answer is UTC, so the sweep can store it as is. People resent a bot that pings at 3 a.m. or on
a Sunday, so every nudge lands inside the owner's own working hours, read in their zone.

Local times that a DST change makes odd are resolved with PEP 495's `fold=0`, deliberately:
- a time that doesn't exist (the spring-forward gap, e.g. 02:30 in New York on 2026-03-08) is
  read with the offset from before the change, i.e. pushed forward by the gap (to 03:30);
- a time that happens twice (fall-back, e.g. 01:30 in New York on 2026-11-01) is the first one.
A 09:00 start meets neither in practice (changes happen at night): it stays 09:00 local, and
the UTC instant moves by the hour instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.timeline.timeparse import user_zone

ReminderKind = Literal["before_due", "due", "overdue"]
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """An owner's working week: from users.info's `tz`, otherwise 09:00–17:00 Monday–Friday.

    `weekdays` uses `date.weekday()` numbers (Monday is 0). An unknown or invalid zone becomes
    "UTC" here, once, so every later calculation can trust `tz`.
    """

    tz: str = "UTC"
    start: time = time(9)
    end: time = time(17)
    weekdays: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if str(user_zone(self.tz)) != self.tz:
            object.__setattr__(self, "tz", "UTC")
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("working weekdays must be a non-empty set of 0 (Monday) to 6")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often to nudge, in working days; escalate once after that many overdue nudges."""

    before_due_days: int = 2
    overdue_every_days: int = 2
    escalate_after_overdue_nudges: int = 3

    def __post_init__(self) -> None:
        if self.before_due_days < 0 or self.overdue_every_days < 1:
            raise ValueError("nudge before the due date at >= 0 days, and overdue every >= 1 day")
        if self.escalate_after_overdue_nudges < 1:
            raise ValueError("escalate after at least one overdue nudge")


@dataclass(frozen=True, slots=True)
class Reminder:
    """The next nudge: `at` (aware UTC), what it says, and whether it also escalates.

    The caller records the escalation (and passes `escalated=True` from then on), so the
    facilitator hears about an item once, not every two days.
    """

    at: datetime
    kind: ReminderKind
    escalate: bool = False


def day_start(day: date, hours: WorkingHours) -> datetime:
    """The UTC instant the owner's working day `day` begins (fold=0, see the module docstring)."""
    return datetime.combine(day, hours.start, tzinfo=hours.zone).astimezone(UTC)


def _day_end(day: date, hours: WorkingHours) -> datetime:
    return datetime.combine(day, hours.end, tzinfo=hours.zone).astimezone(UTC)


def _local_date(moment: datetime, hours: WorkingHours) -> date:
    return _aware(moment).astimezone(hours.zone).date()


def _aware(moment: datetime) -> datetime:
    """Refuse naive datetimes: a naive "now" is the server's zone, a classic 3 a.m. bug."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    return moment


def next_working_moment(after: datetime, hours: WorkingHours) -> datetime:
    """The first instant at or after `after` inside the owner's working hours, in UTC.

    Working hours are half-open, [start, end): 17:00 sharp is already after work. Windows are
    compared in UTC, because aware datetimes sharing a tzinfo compare their wall clocks.
    """
    moment = _aware(after).astimezone(UTC)
    day = _local_date(moment, hours)
    for offset in range(8):  # at least one working day in any 7, so 8 days always suffice
        candidate = day + offset * _DAY
        if not hours.is_working_day(candidate):
            continue
        opens, closes = day_start(candidate, hours), _day_end(candidate, hours)
        if opens < closes and moment < closes:
            return max(moment, opens)
    raise AssertionError("unreachable: WorkingHours has at least one working weekday")


def add_working_days(day: date, n: int, hours: WorkingHours) -> date:
    """`day` moved by `n` working days (backwards when negative); `n == 0` returns `day`.

    The start day itself never counts, so Saturday + 1 is Monday and Saturday - 1 is Friday.
    """
    step = _DAY if n > 0 else -_DAY
    for _ in range(abs(n)):
        day += step
        while not hours.is_working_day(day):
            day += step
    return day


def _on_or_before(day: date, hours: WorkingHours) -> date:
    """The last working day not after `day`: a Saturday deadline is worth a nudge on Friday."""
    return add_working_days(day + _DAY, -1, hours)


def _nudge_days(
    due: date, last_day: date | None, hours: WorkingHours, cadence: Cadence
) -> list[date]:
    """The days still owed a nudge, in order; the overdue one counts from the latest nudge."""
    due_day = _on_or_before(due, hours)
    before_day = add_working_days(due, -cadence.before_due_days, hours)
    anchor = max(due, last_day) if last_day else due
    overdue_day = add_working_days(anchor, cadence.overdue_every_days, hours)
    days = [before_day] if before_day < due_day else []
    days += [due_day, overdue_day]
    return [day for day in days if last_day is None or day > last_day]


def _kind(sent_on: date, due: date, hours: WorkingHours) -> ReminderKind:
    """What the nudge says, from the owner's date when it goes out (not the slot it was for)."""
    if sent_on > due:
        return "overdue"
    return "due" if sent_on >= _on_or_before(due, hours) else "before_due"


def next_reminder(
    *,
    due: date,
    now: datetime,
    overdue_nudges: int,
    hours: WorkingHours,
    cadence: Cadence,
    escalated: bool = False,
    last_sent: datetime | None = None,
) -> Reminder:
    """The owner's next nudge: two working days before `due`, on it, then every two while overdue.

    `last_sent` is when this item's previous nudge went out (None: never; pass the assignment
    time to count the assignment DM as one). Each nudge is at the start of its working day, and
    at most one per local day. Slots missed while the bot was down aren't skipped or replayed one
    by one: the latest of them goes out once, at the next working moment, never before `now`.
    The kind follows the day it goes out: a catch-up after the due date says "overdue".
    `escalate` is set once `overdue_nudges` (already sent) reach the cadence's limit, unless
    `escalated` says the caller has done it before.
    """
    now = _aware(now)
    last_day = _local_date(last_sent, hours) if last_sent else None
    days = _nudge_days(due, last_day, hours, cadence)
    missed = [day for day in days if day_start(day, hours) <= now]
    day = missed[-1] if missed else days[0]
    at = next_working_moment(max(day_start(day, hours), now), hours)
    kind = _kind(_local_date(at, hours), due, hours)
    limit = cadence.escalate_after_overdue_nudges
    escalate = kind == "overdue" and not escalated and overdue_nudges >= limit
    return Reminder(at=at, kind=kind, escalate=escalate)


def snooze_until(now: datetime, *, days: int, hours: WorkingHours) -> datetime:
    """Snooze for `days` calendar days (1: a day, 7: a week), back at the start of a working day.

    The item returns at the start of the owner's working day on the date `days` after today
    (their today), or of the next working day after it; never within today.
    """
    if days < 1:
        raise ValueError("snooze for at least one day")
    day = _local_date(now, hours) + days * _DAY
    while not hours.is_working_day(day):
        day += _DAY
    return day_start(day, hours)
