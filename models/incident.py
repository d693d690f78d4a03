"""An incident under review and the timeline captured from its channel."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TeamScoped, Timestamps, str_enum, utcnow

if TYPE_CHECKING:
    from models.action import ActionItem
    from models.retro import Retrospective


class Severity(enum.StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"


class IncidentStatus(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"


class PostmortemState(enum.StrEnum):
    NONE = "none"
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


class EventSource(enum.StrEnum):
    MESSAGE = "message"  # captured live or by backfill from the incident channel
    MANUAL = "manual"  # added with /postmortem event
    SYSTEM = "system"  # status, severity and role changes made through the bot


class Incident(TeamScoped, Timestamps, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        UniqueConstraint("team_id", "channel_id"),
        # A team's incidents newest first: search walks it for a word common in messages.
        Index("ix_incidents_team_started", "team_id", "started_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)  # shown as INC-<number>, counted per team
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus), default=IncidentStatus.INVESTIGATING
    )
    postmortem_state: Mapped[PostmortemState] = mapped_column(
        str_enum(PostmortemState), default=PostmortemState.NONE
    )
    channel_id: Mapped[str | None] = mapped_column(String(32))
    header_ts: Mapped[str | None] = mapped_column(String(32))
    declared_by: Mapped[str] = mapped_column(String(32))
    commander_id: Mapped[str | None] = mapped_column(String(32))
    facilitator_id: Mapped[str | None] = mapped_column(String(32))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    detected_at: Mapped[datetime | None]
    mitigated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Postmortem debt (bot/followup/debt*.py): a resolved incident whose postmortem is still
    # unpublished after POSTMORTEM_DUE_DAYS working days is chased by the reminder sweep.
    # `debt_next_at` is the sweep's next look (None: not looked at since it was resolved, so at
    # once); `debt_due_at` when it became (or becomes) owed, in the owner's working day.
    debt_next_at: Mapped[datetime | None]
    debt_due_at: Mapped[datetime | None]
    debt_nudges: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    debt_last_nudged_at: Mapped[datetime | None]
    debt_escalated_at: Mapped[datetime | None]
    debt_send_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The sweep holding the debt, until when (a lease, as action items' reminder_claim).
    debt_claim: Mapped[str | None] = mapped_column(String(36))
    debt_claimed_until: Mapped[datetime | None]
    # "No postmortem needed": why, who said so, when. Set, the chase stops for good.
    no_postmortem_reason: Mapped[str | None] = mapped_column(Text)
    no_postmortem_by: Mapped[str | None] = mapped_column(String(32))
    no_postmortem_at: Mapped[datetime | None]

    events: Mapped[list[TimelineEvent]] = relationship(back_populates="incident", lazy="raise")
    retrospective: Mapped[Retrospective | None] = relationship(
        back_populates="incident", lazy="raise"
    )
    action_items: Mapped[list[ActionItem]] = relationship(back_populates="incident", lazy="raise")

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"


class TimelineEvent(TeamScoped, Base):
    __tablename__ = "timeline_events"
    __table_args__ = (
        # A message is stored once, however often Slack or backfill delivers it.
        UniqueConstraint("team_id", "channel_id", "ts"),
        Index("ix_timeline_events_incident_occurred", "incident_id", "occurred_at"),
        # App Home: the incidents a person took part in.
        Index("ix_timeline_events_author", "team_id", "author_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    source: Mapped[EventSource] = mapped_column(str_enum(EventSource))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))  # Slack message ts; None for manual/system
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    author_id: Mapped[str | None] = mapped_column(String(32))  # user, or bot id for integrations
    author_name: Mapped[str | None] = mapped_column(String(200))  # integrations without a user
    text: Mapped[str | None] = mapped_column(Text)  # None once the message was deleted
    files: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    occurred_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="events", lazy="raise")
    marks: Mapped[list[TimelineMark]] = relationship(back_populates="event", lazy="raise")


class TimelineMark(TeamScoped, Base):
    """One person's marking of an event (a reaction, the shortcut, or the retro's review)."""

    __tablename__ = "timeline_marks"
    __table_args__ = (UniqueConstraint("event_id", "marked_by", "reaction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("timeline_events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # key_event, detection, action, resolution, …
    reaction: Mapped[str] = mapped_column(String(100), default="")  # "" when not by a reaction
    marked_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[TimelineEvent] = relationship(back_populates="marks", lazy="raise")
