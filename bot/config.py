"""Settings, read from the environment only and validated once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
DEFAULT_CHANNEL_PREFIX = "inc-"
# Reactions that mark a timeline event, and the kind each marks. `white_check_mark` is left out
# on purpose: people use it to acknowledge, and every ack would become a "resolution".
DEFAULT_TIMELINE_REACTIONS = (
    "pushpin=key_event,rotating_light=detection,hammer_and_wrench=action,"
    "adhesive_bandage=mitigation,bulb=lesson"
)


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

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def __repr__(self) -> str:
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, "
            f"database_url={_redact(self.database_url)!r}, host={self.host!r}, "
            f"port={self.port}, socket_mode={self.socket_mode})"
        )

    def require_slack(self) -> None:
        """Fail with the first missing variable the chosen transport needs."""
        required = ["SLACK_BOT_TOKEN"]
        required.append("SLACK_APP_TOKEN" if self.socket_mode else "SLACK_SIGNING_SECRET")
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        for name in required:
            if not values[name]:
                raise ConfigError(f"{name} is not set; it is required to talk to Slack")


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
    )


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
    if not sep:
        raise ConfigError(f"DATABASE_URL is not a URL: {_redact(url)!r}")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    raise ConfigError(f"DATABASE_URL must be sqlite:// or postgresql://, not {scheme}://")


def _redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a log line."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
