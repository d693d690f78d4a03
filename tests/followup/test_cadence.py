"""The reminder cadence and working-hours policy (bot/followup/cadence.py): pure, with the clock
passed in.

2026 calendar used below: 2026-11-23 is a Monday. DST: New York springs forward on 2026-03-08
and falls back on 2026-11-01; Berlin on 2026-03-29 and 2026-10-25 (all Sundays).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.followup.cadence import (
    Cadence,
    Reminder,
    WorkingHours,
    add_working_days,
    day_start,
    next_reminder,
    next_working_moment,
    snooze_until,
)

UTC_HOURS = WorkingHours()
NEW_YORK = WorkingHours(tz="America/New_York")
CADENCE = Cadence()


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def remind(
    due: date,
    now: datetime,
    hours: WorkingHours,
    *,
    overdue_nudges: int = 0,
    escalated: bool = False,
    last_sent: datetime | None = None,
) -> Reminder:
    """The default cadence's next nudge for one item's state."""
    return next_reminder(
        due=due,
        now=now,
        overdue_nudges=overdue_nudges,
        hours=hours,
        cadence=CADENCE,
        escalated=escalated,
        last_sent=last_sent,
    )


def test_weekend_moments_move_to_monday_morning() -> None:
    assert next_working_moment(utc(11, 21, 12), UTC_HOURS) == utc(11, 23, 9)  # Saturday
    assert next_working_moment(utc(11, 22, 23, 59), UTC_HOURS) == utc(11, 23, 9)  # Sunday


def test_three_am_local_moves_to_nine_local() -> None:
    three_am_new_york = utc(11, 24, 8)  # 03:00 EST
    assert next_working_moment(three_am_new_york, NEW_YORK) == utc(11, 24, 14)


def test_a_moment_inside_working_hours_is_kept() -> None:
    assert next_working_moment(utc(11, 24, 15, 30), NEW_YORK) == utc(11, 24, 15, 30)


@pytest.mark.parametrize("friday_local", [time(17, 0), time(17, 1), time(23, 30)])
def test_friday_after_five_moves_to_monday_nine(friday_local: time) -> None:
    moment = datetime.combine(date(2026, 11, 27), friday_local, ZoneInfo("America/New_York"))
    assert next_working_moment(moment, NEW_YORK) == utc(11, 30, 14)


@pytest.mark.parametrize(
    ("tz", "friday", "friday_nudge", "monday_nudge"),
    [
        ("America/New_York", date(2026, 3, 6), utc(3, 6, 14), utc(3, 9, 13)),
        ("America/New_York", date(2026, 10, 30), utc(10, 30, 13), utc(11, 2, 14)),
        ("Europe/Berlin", date(2026, 3, 27), utc(3, 27, 8), utc(3, 30, 7)),
        ("Europe/Berlin", date(2026, 10, 23), utc(10, 23, 7), utc(10, 26, 8)),
    ],
    ids=["new-york-spring", "new-york-fall", "berlin-spring", "berlin-fall"],
)
def test_nudges_stay_at_nine_local_across_a_dst_weekend(
    tz: str, friday: date, friday_nudge: datetime, monday_nudge: datetime
) -> None:
    hours = WorkingHours(tz=tz)
    due_monday = add_working_days(friday, 1, hours)
    a_week_before = utc(friday.month, friday.day - 5, 12)
    cadence = Cadence(before_due_days=1)

    first = next_reminder(
        due=due_monday, now=a_week_before, overdue_nudges=0, hours=hours, cadence=cadence
    )
    second = next_reminder(
        due=due_monday,
        now=first.at,
        overdue_nudges=0,
        hours=hours,
        cadence=cadence,
        last_sent=first.at,
    )

    assert (first.kind, first.at) == ("before_due", friday_nudge)
    assert (second.kind, second.at) == ("due", monday_nudge)
    for nudge in (first, second):
        assert nudge.at.astimezone(ZoneInfo(tz)).time() == time(9)
    assert abs((second.at - first.at).total_seconds() - 3 * 86400) == 3600


def test_a_start_in_the_spring_forward_gap_is_pushed_forward_by_the_gap() -> None:
    every_day = frozenset(range(7))
    hours = WorkingHours(tz="America/New_York", start=time(2, 30), weekdays=every_day)
    one_am_est = utc(3, 8, 6)
    opens = next_working_moment(one_am_est, hours)
    assert opens == utc(3, 8, 7, 30)  # 03:30 EDT: 02:30 doesn't exist that night
    assert day_start(date(2026, 3, 8), hours) == opens


def test_a_start_in_the_fall_back_hour_is_its_first_occurrence() -> None:
    every_day = frozenset(range(7))
    hours = WorkingHours(tz="America/New_York", start=time(1, 30), weekdays=every_day)
    midnight_edt = utc(11, 1, 4)
    assert next_working_moment(midnight_edt, hours) == utc(11, 1, 5, 30)  # 01:30 EDT, not EST


def test_a_saturday_deadline_is_nudged_thursday_friday_then_tuesday() -> None:
    due_saturday = date(2026, 11, 28)
    first = remind(due_saturday, utc(11, 23, 8), UTC_HOURS)
    second = remind(due_saturday, first.at, UTC_HOURS, last_sent=first.at)
    third = remind(due_saturday, second.at, UTC_HOURS, last_sent=second.at)
    assert (first.kind, first.at) == ("before_due", utc(11, 26, 9))
    assert (second.kind, second.at) == ("due", utc(11, 27, 9))
    assert (third.kind, third.at) == ("overdue", utc(12, 1, 9))


def test_far_east_monday_morning_is_sunday_evening_in_utc() -> None:
    kiritimati = WorkingHours(tz="Pacific/Kiritimati")  # UTC+14
    assert next_working_moment(utc(11, 22, 12), kiritimati) == utc(11, 22, 19)
    friday_evening_local = utc(11, 27, 4)  # Friday 18:00 in Kiritimati
    assert next_working_moment(friday_evening_local, kiritimati) == utc(11, 29, 19)
    before = utc(11, 26, 19)  # the before-due nudge, Thursday 09:00 local
    nudge = remind(date(2026, 11, 30), before, kiritimati, last_sent=before)
    assert (nudge.kind, nudge.at) == ("due", utc(11, 29, 19))


def test_far_west_friday_afternoon_is_saturday_in_utc() -> None:
    pago_pago = WorkingHours(tz="Pacific/Pago_Pago")  # UTC-11
    saturday_utc = utc(11, 28, 3)  # Friday 16:00 local: still working
    assert next_working_moment(saturday_utc, pago_pago) == saturday_utc
    monday_utc_morning = utc(11, 23, 9)  # Sunday 22:00 local
    assert next_working_moment(monday_utc_morning, pago_pago) == utc(11, 23, 20)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../../etc/passwd", "utc+3"])
def test_an_unknown_zone_falls_back_to_utc(tz: str) -> None:
    hours = WorkingHours(tz=tz)
    assert hours.tz == "UTC"
    assert next_working_moment(utc(11, 24, 3), hours) == utc(11, 24, 9)


def test_working_hours_refuse_an_empty_week_or_an_inverted_day() -> None:
    with pytest.raises(ValueError):
        WorkingHours(weekdays=frozenset())
    with pytest.raises(ValueError):
        WorkingHours(start=time(17), end=time(9))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_working_moment(datetime(2026, 11, 24, 3), UTC_HOURS)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 25), 2, date(2026, 11, 27)),  # Wednesday → Friday
        (date(2026, 11, 26), 2, date(2026, 11, 30)),  # Thursday → Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday → Monday
        (date(2026, 11, 28), -1, date(2026, 11, 27)),  # Saturday → Friday
        (date(2026, 11, 23), -2, date(2026, 11, 19)),  # Monday → Thursday before
        (date(2026, 11, 22), 0, date(2026, 11, 22)),  # zero days: unchanged, even on Sunday
    ],
)
def test_adding_working_days_skips_the_weekend(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, UTC_HOURS) == expected


def test_a_sunday_to_thursday_week_is_honoured() -> None:
    hours = WorkingHours(tz="Asia/Jerusalem", weekdays=frozenset({6, 0, 1, 2, 3}))
    assert add_working_days(date(2026, 11, 26), 1, hours) == date(2026, 11, 29)  # Thu → Sun
    assert next_working_moment(utc(11, 27, 10), hours) == utc(11, 29, 7)  # Fri → Sun 09:00


def test_the_cadence_for_an_item_due_next_wednesday_step_by_step() -> None:
    due = date(2026, 11, 25)  # next Wednesday, seen from Thursday the 19th
    now, last_sent, overdue_nudges, escalated = utc(11, 19, 15), None, 0, False
    sequence = []
    for _ in range(7):
        nudge = remind(
            due,
            now,
            NEW_YORK,
            overdue_nudges=overdue_nudges,
            escalated=escalated,
            last_sent=last_sent,
        )
        sequence.append((nudge.at, nudge.kind, nudge.escalate))
        now = last_sent = nudge.at
        overdue_nudges += nudge.kind == "overdue"
        escalated = escalated or nudge.escalate

    assert sequence == [
        (utc(11, 23, 14), "before_due", False),  # Monday 09:00 EST
        (utc(11, 25, 14), "due", False),  # Wednesday
        (utc(11, 27, 14), "overdue", False),  # Friday
        (utc(12, 1, 14), "overdue", False),  # Tuesday
        (utc(12, 3, 14), "overdue", False),  # Thursday: the third overdue nudge
        (utc(12, 7, 14), "overdue", True),  # Monday: three went unanswered, escalate once
        (utc(12, 9, 14), "overdue", False),
    ]


@pytest.mark.parametrize("escalated", [False, True])
def test_escalation_is_flagged_once_after_the_third_overdue_nudge(escalated: bool) -> None:
    last_sent = utc(12, 1, 14)
    due = date(2026, 11, 25)
    nudges = [
        remind(due, last_sent, NEW_YORK, overdue_nudges=n, escalated=escalated, last_sent=last_sent)
        for n in range(6)
    ]
    assert all(nudge.kind == "overdue" for nudge in nudges)
    assert [nudge.escalate for nudge in nudges] == (
        [False] * 3 + [True] * 3 if not escalated else [False] * 6
    )


def test_a_nudge_missed_while_the_bot_was_down_goes_out_at_once_as_overdue() -> None:
    due, before = date(2026, 11, 25), utc(11, 23, 14)
    back_up = utc(11, 26, 20)  # Thursday 15:00 EST; Wednesday's due nudge never went out
    caught_up = remind(due, back_up, NEW_YORK, last_sent=before)
    assert (caught_up.at, caught_up.kind) == (back_up, "overdue")
    following = remind(due, back_up, NEW_YORK, overdue_nudges=1, last_sent=back_up)
    assert following.at == utc(11, 30, 14)  # two working days after the catch-up


def test_a_nudge_missed_after_hours_waits_for_the_next_morning() -> None:
    late_thursday = utc(11, 26, 23)  # 18:00 EST
    nudge = remind(date(2026, 11, 25), late_thursday, NEW_YORK, last_sent=utc(11, 23, 14))
    assert (nudge.at, nudge.kind) == (utc(11, 27, 14), "overdue")


def test_an_item_created_after_the_first_slot_is_nudged_now_or_when_told_so() -> None:
    created = utc(11, 23, 18)  # Monday 13:00 EST, the before-due day's start has passed
    assert remind(date(2026, 11, 25), created, NEW_YORK).at == created
    counted = remind(date(2026, 11, 25), created, NEW_YORK, last_sent=created)
    assert (counted.at, counted.kind) == (utc(11, 25, 14), "due")


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        (utc(11, 24, 14), 1, utc(11, 25, 9)),  # Tuesday afternoon → Wednesday morning
        (utc(11, 27, 14), 1, utc(11, 30, 9)),  # Friday → Monday, not Saturday
        (utc(11, 25, 10), 7, utc(12, 2, 9)),  # a week from Wednesday
    ],
)
def test_snooze_returns_at_the_start_of_a_working_day(
    now: datetime, days: int, expected: datetime
) -> None:
    assert snooze_until(now, days=days, hours=UTC_HOURS) == expected


def test_snooze_is_local_to_the_owner() -> None:
    friday_evening_new_york = utc(11, 28, 1)  # Friday 20:00 EST, Saturday in UTC
    assert snooze_until(friday_evening_new_york, days=1, hours=NEW_YORK) == utc(11, 30, 14)
    with pytest.raises(ValueError):
        snooze_until(friday_evening_new_york, days=0, hours=NEW_YORK)


def test_a_catch_up_on_the_due_date_says_due() -> None:
    tuesday_evening = utc(11, 24, 23)  # 18:00 EST; Monday's before-due nudge never went out
    nudge = remind(date(2026, 11, 25), tuesday_evening, NEW_YORK)
    assert (nudge.at, nudge.kind) == (utc(11, 25, 14), "due")
    after = remind(date(2026, 11, 25), nudge.at, NEW_YORK, last_sent=nudge.at)
    assert (after.at, after.kind) == (utc(11, 27, 14), "overdue")
