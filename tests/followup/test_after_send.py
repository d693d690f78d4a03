"""What the sweep writes for an item after its owner's DM (bot/followup/after_send.py): pure,
so each send outcome is checked here without Slack or a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.followup.after_send import (
    ClaimedItem,
    ItemWrite,
    after_send,
    nudge_spent,
    working_days_between,
)
from bot.followup.cadence import Cadence, WorkingHours, next_reminder
from bot.followup.send_failures import SendFailure
from models import ActionStatus, Priority

HOURS = WorkingHours(tz="America/New_York")
CADENCE = Cadence()
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday, 10:00 in New York
SNOOZED = datetime(2026, 11, 23, 14, tzinfo=UTC)
RATE_LIMITED = SendFailure(code="ratelimited", transient=True, rate_limited=True, retry_after=30)
GONE = SendFailure(code="user_not_found", transient=False)


def claimed(**changes: object) -> ClaimedItem:
    item = ClaimedItem(
        id=7,
        team_id="T1",
        incident_id=1,
        owner_id="U1",
        title="Alert on checkout p99",
        due_date=date(2026, 11, 20),
        priority=Priority.MEDIUM,
        status=ActionStatus.OPEN,
        snoozed_until=SNOOZED,
        last_reminded_at=datetime(2026, 11, 20, 14, tzinfo=UTC),
        escalated_at=None,
        reminder_count=2,
        overdue_nudges=1,
        send_failures=3,
    )
    return item._replace(**changes)


def decide(item: ClaimedItem, failure: SendFailure | None, *, escalated: bool = False) -> ItemWrite:
    return after_send(
        item,
        overdue=True,
        failure=failure,
        now=NOW,
        hours=HOURS,
        cadence=CADENCE,
        escalated=escalated,
    )


def test_a_sent_nudge_is_counted_and_the_next_one_scheduled_by_the_cadence() -> None:
    write = decide(claimed(), None)
    assert (write.reminder_count, write.overdue_nudges, write.send_failures) == (3, 2, 0)
    assert write.last_reminded_at == NOW and write.snoozed_until is None
    expected = next_reminder(
        due=date(2026, 11, 20),
        now=NOW,
        overdue_nudges=2,
        hours=HOURS,
        cadence=CADENCE,
        escalated=False,
        last_sent=NOW,
    )
    assert write.next_reminder_at == expected.at and write.next_reminder_at > NOW


def test_a_dm_refused_for_good_spends_the_nudge_without_counting_it_as_sent() -> None:
    write = decide(claimed(), GONE)
    assert write.reminder_count == 2 and write.send_failures == 0
    assert write.last_reminded_at == NOW and write.next_reminder_at is not None
    assert write.next_reminder_at >= NOW + timedelta(hours=12)  # not retried every minute
    assert nudge_spent(GONE) and nudge_spent(None) and not nudge_spent(RATE_LIMITED)


def test_a_failure_worth_retrying_keeps_the_item_as_it_was_and_backs_off() -> None:
    item = claimed(send_failures=0)
    write = decide(item, SendFailure(code="internal_error", transient=True))
    assert write.next_reminder_at == NOW + timedelta(minutes=1)
    assert write.send_failures == 1
    assert (write.reminder_count, write.overdue_nudges) == (2, 1)
    assert write.last_reminded_at == item.last_reminded_at and write.snoozed_until == SNOOZED
    # The fourth failure in a row waits eight minutes; Slack's Retry-After when it is longer.
    assert decide(claimed(), RATE_LIMITED).next_reminder_at == NOW + timedelta(minutes=8)
    long_wait = SendFailure(code="ratelimited", transient=True, rate_limited=True, retry_after=900)
    assert decide(claimed(), long_wait).next_reminder_at == NOW + timedelta(minutes=15)


def test_an_escalation_is_recorded_and_moves_the_item_to_the_escalated_cadence() -> None:
    plain = decide(claimed(), None)
    escalated = decide(claimed(), None, escalated=True)
    assert plain.escalated_at is None and escalated.escalated_at == NOW
    expected = next_reminder(
        due=date(2026, 11, 20),
        now=NOW,
        overdue_nudges=2,
        hours=HOURS,
        cadence=CADENCE,
        escalated=True,
        last_sent=NOW,
    )
    assert escalated.next_reminder_at == expected.at


def test_working_days_late_skip_the_weekend() -> None:
    weekdays = frozenset(range(5))
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 24), weekdays) == 2
    assert working_days_between(date(2026, 11, 24), date(2026, 11, 24), weekdays) == 0
