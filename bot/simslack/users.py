"""Users of the simulated workspace, in the shape users.info answers."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

_TZ_LABELS = {
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
}


def tz_details(tz: str) -> tuple[str, int]:
    """(tz_label, tz_offset seconds) for an IANA zone, as of now."""
    now = datetime.now(ZoneInfo(tz))
    offset = now.utcoffset()
    abbr = now.tzname() or tz
    return _TZ_LABELS.get(abbr, abbr), int(offset.total_seconds()) if offset else 0


def user_profile(
    user_id: str, *, real_name: str, display_name: str, team_id: str, email: str | None
) -> dict[str, Any]:
    """A user's ``profile`` object."""
    images = {
        f"image_{n}": f"https://fake.slack.test/avatars/{user_id}_{n}.png"
        for n in (24, 32, 48, 72, 192, 512)
    }
    profile: dict[str, Any] = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": display_name,
        "display_name_normalized": display_name,
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": f"g{user_id.lower()[:11]}",
        "first_name": real_name.split(" ")[0],
        "last_name": " ".join(real_name.split(" ")[1:]),
        **images,
        "team": team_id,
    }
    if email is not None:
        profile["email"] = email
    return profile


def user_record(
    user_id: str,
    *,
    name: str,
    profile: dict[str, Any],
    tz: str,
    tz_offset: int | None,
    is_bot: bool,
) -> dict[str, Any]:
    """A user object around ``profile``, its time zone as of now."""
    label, offset = tz_details(tz)
    return {
        "id": user_id,
        "team_id": profile["team"],
        "name": name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": profile["real_name"],
        "tz": tz,
        "tz_label": label,
        "tz_offset": offset if tz_offset is None else tz_offset,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": int(time.time()),
        "has_2fa": False,
        "is_email_confirmed": not is_bot,
        "who_can_share_contact_card": "EVERYONE",
    }
