"""What we keep about Slack itself: a cache of users, when each workspace's member list was last
read whole, and the event ids already processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class SlackUser(TeamScoped, Base):
    """users.info, cached: names for rendering, time zone for reminders. Only a cache."""

    __tablename__ = "slack_users"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    real_name: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))  # profile.email: a tracker's user
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_offset: Mapped[int | None] = mapped_column(Integer)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackRoster(TeamScoped, Base):
    """When a workspace's whole member list (users.list, every page) was last stored in
    slack_users; no row means it never was."""

    __tablename__ = "slack_rosters"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    filled_at: Mapped[datetime] = mapped_column()


class ProcessedEvent(TeamScoped, Base):
    """An Events API delivery already handled; its key makes Slack's retries harmless."""

    __tablename__ = "processed_events"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
