"""The tracker outbox: one row per thing a tracker (GitHub Issues, Jira) must be told about an
action item, kept until the tracker took it, so an answer lost to a crash or an outage is not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, utcnow


class TrackerIntent(TeamScoped, Base):
    """One intent (bot.trackers.shapes.IntentKind: create, update, close, reopen) for one item.

    `idempotency_key` is unique: "create:<item id>" makes a second press (or two at once) file
    nothing new. `state` is an IntentState value; a pending intent runs at `next_attempt_at`.
    `claim`/`claimed_until` are the drain's lease, as the reminder sweep leases items."""

    __tablename__ = "tracker_intents"
    __table_args__ = (
        # The drain's query: pending intents whose next attempt is due.
        Index("ix_tracker_intents_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
