"""Installations of the app, for many workspaces (Slack's OAuth install): who installed it, with
which tokens (encrypted, never in the clear), each team's life here, and the OAuth states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SlackInstallation(Base):
    """One install, as oauth.v2.access answered it: the newest row of a (enterprise, team) is the
    live one. An org-wide install (Enterprise Grid) has no one team: `team_id` is "" and every
    workspace of `enterprise_id` is served by it. Token columns hold Fernet ciphertext
    (bot/installations/crypto.py); None once the tokens are deleted (uninstall, revoke)."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        Index("ix_slack_installations_lookup", "enterprise_id", "team_id", "installed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str] = mapped_column(String(32), default="")  # "": an org-wide install
    team_name: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    token_type: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str] = mapped_column(Text, default="")
    bot_token: Mapped[str | None] = mapped_column(Text)  # encrypted
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)  # encrypted
    bot_token_expires_at: Mapped[datetime | None] = mapped_column()
    user_id: Mapped[str] = mapped_column(String(32))
    user_scopes: Mapped[str] = mapped_column(Text, default="")
    user_token: Mapped[str | None] = mapped_column(Text)  # encrypted
    user_refresh_token: Mapped[str | None] = mapped_column(Text)  # encrypted
    user_token_expires_at: Mapped[datetime | None] = mapped_column()
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackTeam(Base):
    """A workspace's life with this deployment, kept after its tokens are gone: when it was
    installed and uninstalled (its rows are purged DATA_RETENTION_DAYS_AFTER_UNINSTALL later;
    a reinstall before then clears `uninstalled_at` and the data is picked up again)."""

    __tablename__ = "slack_teams"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(index=True)


class SlackOAuthState(Base):
    """A state handed to Slack's authorize page: good once, until `expires_at`. The one table
    without a team: the state is issued before anyone says which workspace they install in."""

    __tablename__ = "slack_oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
