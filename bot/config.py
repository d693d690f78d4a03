"""Settings, read from the environment only and validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from bot.errors import ConfigError
from bot.followup.cadence import Cadence, WorkingHours
from bot.installations.settings import WorkspaceSettings, workspace_settings
from bot.trackers.config import TrackerSettings, tracker_settings

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
DEFAULT_CHANNEL_PREFIX = "inc-"
# Reactions that mark a timeline event, and the kind each marks. `white_check_mark` is left out
# on purpose: people use it to acknowledge, and every ack would become a "resolution".
DEFAULT_TIMELINE_REACTIONS = (
    "pushpin=key_event,rotating_light=detection,hammer_and_wrench=action,"
    "adhesive_bandage=mitigation,bulb=lesson"
)
DEFAULT_DUE_DAYS = "high=3,medium=7,low=14"
DEFAULT_REMINDER_INTERVAL = 60
DEFAULT_DIGEST_SCHEDULE = "mon 09:00"
DEFAULT_POSTMORTEM_DUE_DAYS = 5
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
MAX_POSTMORTEM_DUE_DAYS = 250  # about a working year; the due date is counted day by day
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When the weekly digest goes out: a weekday (0 is Monday) and a UTC time."""

    weekday: int
    at: time


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment; secrets are never printed (repr=False)."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    host: str
    port: int
    log_level: str
    postmortem_channel: str | None
    channel_prefix: str = DEFAULT_CHANNEL_PREFIX
    timeline_reactions: Mapping[str, str] = field(default_factory=dict)
    # Follow-through: default due dates per priority ("high", "medium", "low"), the sweep's
    # period, the nudge cadence, the working week people get nudged in, and the digest.
    due_days: Mapping[str, int] = field(default_factory=lambda: due_days(DEFAULT_DUE_DAYS))
    reminder_interval_seconds: int = DEFAULT_REMINDER_INTERVAL
    cadence: Cadence = field(default_factory=Cadence)
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    digest_schedule: DigestSchedule | None = field(
        default_factory=lambda: digest_schedule(DEFAULT_DIGEST_SCHEDULE)
    )
    digest_channel: str | None = None  # None: POSTMORTEM_CHANNEL
    # Working days after its resolution by which an incident's postmortem is due, per severity.
    postmortem_due_days: Mapping[str, int] = field(
        default_factory=lambda: postmortem_due_days(None)
    )
    trackers: TrackerSettings = field(default_factory=TrackerSettings)  # GitHub Issues or Jira
    # Many workspaces (SLACK_CLIENT_ID/SECRET, Slack's OAuth install) instead of one bot token.
    workspaces: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    log_format: str = "text"  # LOG_FORMAT: text or json (one object a line)
    metrics_port: int | None = None  # METRICS_PORT: /metrics in Socket Mode (HTTP serves its own)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def multi_workspace(self) -> bool:
        """Many workspaces through Slack's OAuth install (SLACK_CLIENT_ID and SECRET, no
        SLACK_BOT_TOKEN); `require_slack` refuses a mix of the two."""
        return self.workspaces.oauth and not self.slack_bot_token

    def __repr__(self) -> str:
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, "
            f"database_url={hide_password(self.database_url)!r}, host={self.host!r}, "
            f"port={self.port}, socket_mode={self.socket_mode})"
        )

    def require_slack(self) -> None:
        """Fail naming every variable the chosen mode and transport need and do not have."""
        if self.slack_bot_token and self.workspaces.oauth:
            raise ConfigError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set; set "
                "SLACK_BOT_TOKEN for one workspace, or the client id and secret (and "
                "TOKEN_ENCRYPTION_KEY) for many, not both"
            )
        if self.workspaces.oauth and self.socket_mode:
            raise ConfigError(
                "SLACK_APP_TOKEN (Socket Mode) and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both "
                "set; many workspaces install the app through /slack/install over HTTP: unset "
                "SLACK_APP_TOKEN, or set SLACK_BOT_TOKEN instead of the client id and secret"
            )
        if self.workspaces.oauth:
            self._require(
                {
                    "SLACK_CLIENT_ID": self.workspaces.client_id,
                    "SLACK_CLIENT_SECRET": self.workspaces.client_secret,
                    "SLACK_SIGNING_SECRET": self.slack_signing_secret,
                    "TOKEN_ENCRYPTION_KEY": ",".join(self.workspaces.encryption_keys),
                },
                "required to serve many workspaces",
            )
            return
        values = {"SLACK_BOT_TOKEN": self.slack_bot_token}
        if self.socket_mode:
            values["SLACK_APP_TOKEN"] = self.slack_app_token
        else:
            values["SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        why = "required to talk to Slack"
        if not self.slack_bot_token and not self.socket_mode:  # neither mode: name both
            why += (
                " (or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET and "
                "TOKEN_ENCRYPTION_KEY to serve many workspaces)"
            )
        self._require(values, why)

    @staticmethod
    def _require(values: Mapping[str, str | None], why: str) -> None:
        missing = [name for name, value in values.items() if not value]
        if missing:
            names = " and ".join(missing) if len(missing) < 3 else ", ".join(missing)
            verb = "is" if len(missing) == 1 else "are"
            raise ConfigError(f"{names} {verb} not set; {why}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    port_text = get("PORT") or str(DEFAULT_PORT)
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"PORT must be a whole number, not {port_text!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"PORT must be between 0 and 65535, not {port}")
    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
    return Settings(
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=async_database_url(get("DATABASE_URL")),
        host=get("HOST") or "0.0.0.0",
        port=port,
        log_level=(get("LOG_LEVEL") or "INFO").upper(),
        postmortem_channel=get("POSTMORTEM_CHANNEL"),
        channel_prefix=channel_prefix(get("INCIDENT_CHANNEL_PREFIX")),
        timeline_reactions=reaction_map(get("TIMELINE_REACTIONS") or DEFAULT_TIMELINE_REACTIONS),
        due_days=due_days(get("ACTION_DUE_DAYS") or DEFAULT_DUE_DAYS),
        reminder_interval_seconds=whole_number(
            "REMINDER_INTERVAL_SECONDS", get("REMINDER_INTERVAL_SECONDS"), DEFAULT_REMINDER_INTERVAL
        ),
        cadence=cadence(get),
        working_hours=working_hours(get("WORKING_HOURS"), get("WORKING_DAYS")),
        digest_schedule=digest_schedule(get("DIGEST_SCHEDULE") or DEFAULT_DIGEST_SCHEDULE),
        digest_channel=get("DIGEST_CHANNEL") or get("POSTMORTEM_CHANNEL"),
        postmortem_due_days=postmortem_due_days(get("POSTMORTEM_DUE_DAYS")),
        trackers=tracker_settings(get),
        workspaces=workspace_settings(get),
        log_format=log_format(get("LOG_FORMAT")),
        metrics_port=whole_number("METRICS_PORT", get("METRICS_PORT"), 0, minimum=0) or None,
    )


def log_format(value: str | None) -> str:
    chosen = (value or "text").lower()
    if chosen not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, not {value!r}")
    return chosen


def whole_number(name: str, value: str | None, default: int, *, minimum: int = 1) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def due_days(value: str) -> dict[str, int]:
    """`high=3,medium=7,low=14` → days until an item of that priority is due by default."""
    days = dict(due_days_pairs(value))
    missing = {"high", "medium", "low"} - days.keys()
    if missing:
        raise ConfigError(f"ACTION_DUE_DAYS needs high, medium and low; {sorted(missing)} missing")
    return days


def due_days_pairs(value: str) -> list[tuple[str, int]]:
    pairs = []
    for pair in filter(None, (part.strip() for part in value.split(","))):
        priority, _, days = (piece.strip() for piece in pair.partition("="))
        if priority not in ("high", "medium", "low") or not days.isdigit() or int(days) < 1:
            raise ConfigError(
                f"ACTION_DUE_DAYS must look like high=3,medium=7,low=14; got {pair!r}"
            )
        pairs.append((priority, int(days)))
    return pairs


def postmortem_due_days(value: str | None) -> dict[str, int]:
    """`5` (every severity) or `SEV1=3,SEV2=5,SEV3=10,SEV4=10` (a severity not named keeps the
    default, 5) → working days from resolution until the postmortem is due, per severity."""
    days = dict.fromkeys(SEVERITIES, DEFAULT_POSTMORTEM_DUE_DAYS)
    if value is None:
        return days
    if value.isdigit():
        return dict.fromkeys(SEVERITIES, _due_working_days(value, value))
    named: set[str] = set()
    for pair in filter(None, (part.strip() for part in value.split(","))):
        severity, sep, number = (piece.strip() for piece in pair.partition("="))
        severity = severity.upper()
        if not sep or severity not in SEVERITIES or severity in named:
            raise ConfigError(
                "POSTMORTEM_DUE_DAYS must be a number of working days (5) or per severity, like "
                f"SEV1=3,SEV2=5,SEV3=10,SEV4=10 (each severity once); got {pair!r}"
            )
        named.add(severity)
        days[severity] = _due_working_days(number, pair)
    return days


def _due_working_days(number: str, shown: str) -> int:
    if not number.isdigit() or not 1 <= int(number) <= MAX_POSTMORTEM_DUE_DAYS:
        raise ConfigError(
            f"POSTMORTEM_DUE_DAYS must count 1 to {MAX_POSTMORTEM_DUE_DAYS} working days; "
            f"got {shown!r}"
        )
    return int(number)


def cadence(get: Callable[[str], str | None]) -> Cadence:
    defaults = Cadence()
    return Cadence(
        before_due_days=whole_number(
            "REMINDER_BEFORE_DUE_DAYS",
            get("REMINDER_BEFORE_DUE_DAYS"),
            defaults.before_due_days,
            minimum=0,
        ),
        overdue_every_days=whole_number(
            "REMINDER_OVERDUE_EVERY_DAYS",
            get("REMINDER_OVERDUE_EVERY_DAYS"),
            defaults.overdue_every_days,
        ),
        escalate_after_overdue_nudges=whole_number(
            "REMINDER_ESCALATE_AFTER",
            get("REMINDER_ESCALATE_AFTER"),
            defaults.escalate_after_overdue_nudges,
        ),
    )


def clock_time(name: str, text: str) -> time:
    """`09:00` → time(9); `24:00` is the end of the day."""
    if text.strip() == "24:00":
        return time.max
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{name} must hold times like 09:00, not {text!r}") from None


def working_hours(hours: str | None, days: str | None) -> WorkingHours:
    """`09:00-17:00` and `mon-fri` (or `mon,tue,thu`): the default working week people are
    nudged in, read in each person's own Slack time zone."""
    defaults = WorkingHours()
    start, end = defaults.start, defaults.end
    if hours is not None:
        first, sep, last = hours.partition("-")
        if not sep:
            raise ConfigError(f"WORKING_HOURS must look like 09:00-17:00, not {hours!r}")
        start, end = clock_time("WORKING_HOURS", first), clock_time("WORKING_HOURS", last)
        if not start < end:
            raise ConfigError(f"WORKING_HOURS must start before they end, not {hours!r}")
    weekdays = defaults.weekdays if days is None else weekday_set(days)
    return WorkingHours(start=start, end=end, weekdays=weekdays)


def weekday_set(value: str) -> frozenset[int]:
    """`mon-fri`, `sun-thu` or `mon,tue,thu` → weekday numbers (Monday is 0)."""
    chosen: set[int] = set()
    for part in filter(None, (piece.strip().lower() for piece in value.split(","))):
        first, sep, last = (piece.strip()[:3] for piece in part.partition("-"))
        if first not in WEEKDAYS or (sep and last not in WEEKDAYS):
            raise ConfigError(f"WORKING_DAYS must look like mon-fri or mon,tue,wed; got {part!r}")
        low, high = WEEKDAYS.index(first), WEEKDAYS.index(last if sep else first)
        # A range may wrap past Sunday: `sun-thu` is the working week in much of the Middle East.
        chosen.update(day % 7 for day in range(low, high + 1 if high >= low else high + 8))
    if not chosen:
        raise ConfigError("WORKING_DAYS names no day")
    return frozenset(chosen)


def digest_schedule(value: str) -> DigestSchedule | None:
    """`mon 09:00` (UTC) → DigestSchedule; `off` turns the weekly digest off."""
    if value.strip().lower() == "off":
        return None
    day, _, at = value.strip().lower().partition(" ")
    if day[:3] not in WEEKDAYS or not at.strip():
        raise ConfigError(
            f"DIGEST_SCHEDULE must look like 'mon 09:00' (UTC) or 'off'; got {value!r}"
        )
    return DigestSchedule(weekday=WEEKDAYS.index(day[:3]), at=clock_time("DIGEST_SCHEDULE", at))


def channel_prefix(value: str | None) -> str:
    prefix = DEFAULT_CHANNEL_PREFIX if value is None else value.lower()
    if len(prefix) > 20 or not re.fullmatch(r"[a-z0-9_-]*", prefix):
        raise ConfigError(
            "INCIDENT_CHANNEL_PREFIX may hold up to 20 lowercase letters, digits, - and _"
        )
    return prefix


def reaction_map(value: str) -> dict[str, str]:
    """`pushpin=key_event,bulb=lesson` → {"pushpin": "key_event", "bulb": "lesson"}."""
    kinds: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        emoji, sep, kind = pair.partition("=")
        emoji, kind = emoji.strip().strip(":"), kind.strip()
        if not sep or not emoji or not re.fullmatch(r"[a-z_]{1,32}", kind):
            raise ConfigError(
                f"TIMELINE_REACTIONS must look like pushpin=key_event,bulb=lesson; got {pair!r}"
            )
        kinds[emoji] = kind
    return kinds


def async_database_url(url: str | None) -> str:
    """Accept URLs as people write them and pick the async driver we ship."""
    if not url:
        return f"sqlite+aiosqlite:///{Path.cwd() / 'hindsight.db'}"
    scheme, sep, rest = url.partition("://")
    if not sep and url.lower().startswith("sqlite:"):
        path = url.partition(":")[2]
        raise ConfigError(
            f"DATABASE_URL is not a URL: {url!r}; write sqlite:///{path}"
            " (three slashes, then the file's path)"
        )
    if not sep:
        raise ConfigError(f"DATABASE_URL is not a URL: {hide_password(url)!r}")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    raise ConfigError(f"DATABASE_URL must be sqlite:// or postgresql://, not {scheme}://")


def hide_password(url: str) -> str:
    """Hide a password in a database URL before it reaches a log line."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
