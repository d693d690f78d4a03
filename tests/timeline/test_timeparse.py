"""`/postmortem event <time> [date] <text>`: what people type, in their own zone, to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserInputError
from bot.timeline.timeparse import parse_event, user_zone

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# 2026-11-20 16:30 in Paris (UTC+1 in November).
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "occurred_at", "text"),
    [
        ("14:05 Alerts fired", utc(2026, 11, 20, 13, 5), "Alerts fired"),
        ("14:05:30 Alerts fired", utc(2026, 11, 20, 13, 5, 30), "Alerts fired"),
        ("2:05pm Alerts fired", utc(2026, 11, 20, 13, 5), "Alerts fired"),
        ("2:05 PM Alerts fired", utc(2026, 11, 20, 13, 5), "Alerts fired"),
        ("2pm Alerts fired", utc(2026, 11, 20, 13, 0), "Alerts fired"),
        ("12:10am Cron ran", utc(2026, 11, 19, 23, 10), "Cron ran"),
        ("12:10pm Lunch deploy", utc(2026, 11, 20, 11, 10), "Lunch deploy"),
        ("2026-11-18 09:00 Deploy 4512", utc(2026, 11, 18, 8, 0), "Deploy 4512"),
        ("09:00 2026-11-18 Deploy 4512", utc(2026, 11, 18, 8, 0), "Deploy 4512"),
        ("yesterday 23:40 Disk filled", utc(2026, 11, 19, 22, 40), "Disk filled"),
        ("23:40 yesterday Disk filled", utc(2026, 11, 19, 22, 40), "Disk filled"),
        ("today 08:00 Standup", utc(2026, 11, 20, 7, 0), "Standup"),
        ("  16:30   Now-ish  with  spaces ", utc(2026, 11, 20, 15, 30), "Now-ish with spaces"),
    ],
)
def test_times_are_read_in_the_persons_zone(typed: str, occurred_at: datetime, text: str) -> None:
    parsed = parse_event(typed, zone=PARIS, now=NOW)
    assert parsed.occurred_at == occurred_at
    assert parsed.occurred_at.tzinfo == UTC
    assert parsed.text == text


def test_without_a_date_it_is_today_where_the_person_is_not_in_utc() -> None:
    # 01:30 UTC on the 21st is still the 20th in New York (20:30).
    now = utc(2026, 11, 21, 1, 30)
    parsed = parse_event("19:00 Rollback started", zone=NEW_YORK, now=now)
    assert parsed.occurred_at == utc(2026, 11, 21, 0, 0)  # 19:00 EST on the 20th


def test_a_following_am_pm_word_joins_only_a_twelve_hour_time() -> None:
    parsed = parse_event("14:05 am I the only one paged?", zone=PARIS, now=NOW)
    assert parsed.occurred_at == utc(2026, 11, 20, 13, 5)
    assert parsed.text == "am I the only one paged?"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Give a time"),
        ("14:05", "Say what happened"),
        ("14:05   ", "Say what happened"),
        ("yesterday 23:40", "Say what happened"),
        ("lunchtime the db fell over", "isn't a time"),
        ("25:00 nope", "isn't a time of day"),
        ("14:60 nope", "isn't a time of day"),
        ("13pm nope", "1 to 12"),
        ("14 nope", "isn't a time"),
        ("2026-02-30 10:00 nope", "isn't a date"),
        ("yesterday tomorrow", "isn't a time"),
    ],
)
def test_malformed_input_is_refused_with_an_example(typed: str, says: str) -> None:
    with pytest.raises(UserInputError) as refused:
        parse_event(typed, zone=PARIS, now=NOW)
    assert says in refused.value.message
    if says != "isn't a date":
        assert "/postmortem event" in refused.value.message


def test_a_time_in_the_future_is_refused() -> None:
    with pytest.raises(UserInputError) as refused:
        parse_event("16:31 Not yet", zone=PARIS, now=NOW)
    assert "future" in refused.value.message and "Europe/Paris" in refused.value.message
    with pytest.raises(UserInputError):
        parse_event("2026-11-21 00:01 Tomorrow", zone=PARIS, now=NOW)


def test_a_wall_clock_time_skipped_by_daylight_saving_is_refused() -> None:
    now = utc(2026, 3, 30, 12, 0)
    with pytest.raises(UserInputError) as refused:
        parse_event("2026-03-29 02:30 During the jump", zone=PARIS, now=now)
    assert "doesn't exist" in refused.value.message


def test_over_long_text_is_refused() -> None:
    with pytest.raises(UserInputError):
        parse_event("10:00 " + "x" * 3001, zone=PARIS, now=NOW)


@pytest.mark.parametrize(
    ("tz", "key"),
    [(None, "UTC"), ("", "UTC"), ("Not/AZone", "UTC"), ("Europe/Paris", "Europe/Paris")],
)
def test_unknown_zones_fall_back_to_utc(tz: str | None, key: str) -> None:
    assert user_zone(tz).key == key
