"""Action items that come out of a retrospective, and the reminders sent about them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TeamScoped, Timestamps, str_enum, utcnow

if TYPE_CHECKING:
    from models.incident import Incident


class Priority(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ActionKind(enum.StrEnum):
    PREVENT = "prevent"
    DETECT = "detect"
    MITIGATE = "mitigate"
    PROCESS = "process"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    WONT_DO = "wont_do"


class DeliveryKind(enum.StrEnum):
    ASSIGNED = "assigned"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"


class ActionItem(TeamScoped, Timestamps, Base):
    __tablename__ = "action_items"
    __table_args__ = (
        # The reminder sweep's query: open items whose next nudge is due.
        Index("ix_action_items_due", "status", "next_reminder_at"),
        # One team's sweep (many workspaces) reads only its own due items, not every team's.
        Index("ix_action_items_team_due", "team_id", "status", "next_reminder_at"),
        Index("ix_action_items_owner", "team_id", "owner_id", "status"),
        # A row of the retro's action-items form keeps its item across resubmissions.
        UniqueConstraint("incident_id", "form_key"),
        # The outbox of "this is yours now" DMs still to send.
        Index("ix_action_items_notice_due", "notice_due_at"),
        # One tracker issue belongs to one item: a webhook finds its item by the key.
        # A unique index, not a constraint: SQLite adds an index without rebuilding the table
        # (a rebuild would drop the search index's triggers on it).
        Index("ix_action_items_tracker_key", "tracker_kind", "tracker_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[str | None] = mapped_column(String(32))
    due_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.MEDIUM)
    kind: Mapped[ActionKind] = mapped_column(str_enum(ActionKind), default=ActionKind.PREVENT)
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus), default=ActionStatus.OPEN)
    wont_do_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    source_channel_id: Mapped[str | None] = mapped_column(String(32))
    source_ts: Mapped[str | None] = mapped_column(String(32))
    external_link: Mapped[str | None] = mapped_column(String(1000))
    next_reminder_at: Mapped[datetime | None]
    last_reminded_at: Mapped[datetime | None]  # the cadence needs it to tell sent from missed
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    overdue_nudges: Mapped[int] = mapped_column(Integer, default=0)
    snoozed_until: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    # The sweep holding this item, until when: set when claimed, cleared when the nudge is
    # recorded. A crash leaves the lease to expire: at most one repeat. Not indexed on purpose:
    # claiming must not rewrite index entries (PostgreSQL then updates the rows in place).
    reminder_claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    send_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The stable identity of the retro form row this item came from (None outside the retro).
    form_key: Mapped[str | None] = mapped_column(String(36))
    # The owner's "assigned" DM is due: set in the transaction that gives the item its owner,
    # cleared once Slack took it; a crash in between leaves it due for the next sweep.
    notice_due_at: Mapped[datetime | None]
    notice_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notice_from: Mapped[str | None] = mapped_column(String(32))  # who gave it: the DM names them
    # The item's issue in the team's tracker (bot/trackers): its kind ("github", "jira"), key
    # ("owner/name#12", "OPS-12"), page, last known state ("open", "closed"), the tracker's
    # message when filing it failed, and when the tracker last agreed with us.
    tracker_kind: Mapped[str | None] = mapped_column(String(16))
    tracker_key: Mapped[str | None] = mapped_column(String(200))
    tracker_url: Mapped[str | None] = mapped_column(String(1000))
    tracker_state: Mapped[str | None] = mapped_column(String(16))
    tracker_error: Mapped[str | None] = mapped_column(Text)
    tracker_synced_at: Mapped[datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="action_items", lazy="raise")


class ReminderDelivery(TeamScoped, Base):
    """One DM (or escalation, or digest) sent about action items; the log of follow-through."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[DeliveryKind] = mapped_column(str_enum(DeliveryKind))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestPost(TeamScoped, Base):
    """One weekly digest posted for a team; the unique period makes two processes post it once."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("team_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))  # ISO week, e.g. "2026-W48"
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
