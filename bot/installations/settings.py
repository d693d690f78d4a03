"""The many-workspaces settings (Slack's OAuth install), read from the environment with the others.

`SLACK_BOT_TOKEN` set: one workspace, the token given. `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET`
set instead: any number of workspaces, each installing the app through Slack's OAuth flow, their
tokens kept encrypted with `TOKEN_ENCRYPTION_KEY`. `bot.config.Settings.require_slack` refuses
both at once and neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.errors import ConfigError

# The bot scopes in manifest.json (tests/test_manifest.py keeps the two the same): what an
# install asks for unless SLACK_SCOPES says otherwise.
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:manage",
    "channels:join",
    "channels:read",
    "channels:history",
    "groups:write",
    "groups:read",
    "groups:history",
    "im:history",
    "users:read",
    "users:read.email",
    "reactions:read",
    "pins:write",
    "files:write",
    "files:read",
    "canvases:write",
)
DEFAULT_RETENTION_DAYS = 30

Getter = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    """OAuth credentials and the key ring; secrets are never printed (repr=False)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    redirect_uri: str | None = None
    # TOKEN_ENCRYPTION_KEY: Fernet keys, comma-separated; the first encrypts, any decrypts.
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    retention_days_after_uninstall: int = DEFAULT_RETENTION_DAYS

    @property
    def oauth(self) -> bool:
        """Whether the OAuth credentials are set (many workspaces)."""
        return bool(self.client_id or self.client_secret)


def workspace_settings(get: Getter) -> WorkspaceSettings:
    scopes_text = get("SLACK_SCOPES")
    scopes = DEFAULT_SCOPES
    if scopes_text is not None:
        scopes = tuple(filter(None, (scope.strip() for scope in scopes_text.split(","))))
        if not scopes:
            raise ConfigError("SLACK_SCOPES names no scope; leave it unset for the manifest's")
    keys = tuple(
        filter(None, (key.strip() for key in (get("TOKEN_ENCRYPTION_KEY") or "").split(",")))
    )
    return WorkspaceSettings(
        client_id=get("SLACK_CLIENT_ID"),
        client_secret=get("SLACK_CLIENT_SECRET"),
        scopes=scopes,
        redirect_uri=get("SLACK_REDIRECT_URI"),
        encryption_keys=keys,
        retention_days_after_uninstall=retention_days(get("DATA_RETENTION_DAYS_AFTER_UNINSTALL")),
    )


def retention_days(value: str | None) -> int:
    if value is None:
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit():
        raise ConfigError(
            f"DATA_RETENTION_DAYS_AFTER_UNINSTALL must be a whole number of days, not {value!r}"
        )
    return int(value)
