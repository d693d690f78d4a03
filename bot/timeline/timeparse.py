"""Parse what people type after `/postmortem event`: "<time> [date] <text>" in their own zone.

Accepted times: `14:05`, `14:05:30`, `2:05pm`, `2:05 pm`, `2pm`. Accepted dates, before or right
after the time: `2026-11-20`, `today`, `yesterday`. Without a date the time is today's in the
person's zone. The result is timezone-aware UTC; a time in the future is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserInputError
from bot.ui.text import inert  # words echoed back are the person's: shown, not live

MAX_TEXT = 3000  # one Block Kit text object; longer belongs in the channel itself
EXAMPLE = "`/postmortem event 14:05 Alerts fired for checkout`"
USAGE = (
    "Use `/postmortem event <time> [date] <what happened>`, for example "
    f"{EXAMPLE} or `/postmortem event yesterday 23:40 Deploy 4512 started`. "
    "Times look like `14:05`, `14:05:30` or `2:05pm`; dates like `2026-11-20`, `today` or "
    "`yesterday`."
)

_TIME = re.compile(
    r"^(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?(?P<half>am|pm)?$",
    re.IGNORECASE,
)
_HALF = re.compile(r"^(am|pm)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RELATIVE_DAYS = {"today": 0, "yesterday": 1}


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    occurred_at: datetime  # timezone-aware UTC
    text: str


def user_zone(tz: str | None) -> ZoneInfo:
    """The person's IANA zone from users.info, or UTC when it is unknown or not a real zone."""
    if not tz:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_event(text: str, *, zone: ZoneInfo, now: datetime) -> ParsedEvent:
    """Split "<time> [date] <text>" (or "<date> <time> <text>") into a UTC time and the text."""
    words = text.split()
    day: date | None = None
    if words and _is_date(words[0]):
        day, words = _parse_date(words[0], zone=zone, now=now), words[1:]
    clock, words = _take_time(words)
    if day is None and words and _is_date(words[0]):
        day, words = _parse_date(words[0], zone=zone, now=now), words[1:]
    body = " ".join(words).strip()
    if not body:
        raise UserInputError(f"Say what happened after the time. {USAGE}")
    if len(body) > MAX_TEXT:
        raise UserInputError(f"That's {len(body)} characters; keep an event under {MAX_TEXT}.")
    local_day = day or now.astimezone(zone).date()
    occurred_at = _to_utc(datetime.combine(local_day, clock), zone)
    if occurred_at > now:
        local = occurred_at.astimezone(zone)
        raise UserInputError(
            f"{local:%Y-%m-%d %H:%M} ({zone.key}) is in the future. The timeline records what "
            "already happened; give a time that has passed, or a date."
        )
    return ParsedEvent(occurred_at=occurred_at, text=body)


def _take_time(words: list[str]) -> tuple[time, list[str]]:
    if not words:
        raise UserInputError(f"Give a time and what happened. {USAGE}")
    token, rest = words[0], words[1:]
    if rest and _HALF.match(rest[0]) and _twelve_hour(token):
        token, rest = token + rest[0], rest[1:]
    match = _TIME.match(token)
    if match is None or (match.group("minute") is None and match.group("half") is None):
        raise UserInputError(f"`{inert(words[0])}` isn't a time I understand. {USAGE}")
    hour, half = int(match.group("hour")), (match.group("half") or "").lower()
    minute, second = int(match.group("minute") or 0), int(match.group("second") or 0)
    if half:
        if not 1 <= hour <= 12:
            raise UserInputError(
                f"`{inert(token)}`: with am/pm the hour runs from 1 to 12. {USAGE}"
            )
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise UserInputError(f"`{inert(token)}` isn't a time of day. {USAGE}")
    return time(hour, minute, second), rest


def _twelve_hour(token: str) -> bool:
    """True for `2:05` or `11`, which a following `pm` completes (not `14:05`, not `2pm`)."""
    match = _TIME.match(token)
    return match is not None and not match.group("half") and 1 <= int(match.group("hour")) <= 12


def _is_date(word: str) -> bool:
    return word.lower() in _RELATIVE_DAYS or _ISO_DATE.match(word) is not None


def _parse_date(word: str, *, zone: ZoneInfo, now: datetime) -> date:
    relative = _RELATIVE_DAYS.get(word.lower())
    if relative is not None:
        return now.astimezone(zone).date() - timedelta(days=relative)
    year, month, day = (int(part) for part in word.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        raise UserInputError(f"`{inert(word)}` isn't a date. {USAGE}") from None


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """Attach the zone; refuse a wall-clock time that a daylight-saving jump skipped."""
    aware = local.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise UserInputError(
            f"{local:%Y-%m-%d %H:%M} doesn't exist in {zone.key} (the clocks changed then). "
            "Give a time just before or after."
        )
    return aware.astimezone(UTC)
