"""The no-blame retrospective of one incident."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TeamScoped, Timestamps, str_enum

if TYPE_CHECKING:
    from models.incident import Incident


class FactorCategory(enum.StrEnum):
    CODE_CHANGE = "code_change"
    CONFIGURATION = "configuration"
    CAPACITY = "capacity"
    DEPENDENCY = "dependency"
    MONITORING_GAP = "monitoring_gap"
    PROCESS = "process"
    COMMUNICATION = "communication"
    EXTERNAL = "external"


class Retrospective(TeamScoped, Timestamps, Base):
    __tablename__ = "retrospectives"
    __table_args__ = (UniqueConstraint("incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(Text, default="")
    customer_impact: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[str] = mapped_column(String(200), default="")
    detection: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    got_lucky: Mapped[str] = mapped_column(Text, default="")
    completed_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Bumped on every save so a stale editor is told instead of overwriting silently.
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_edited_by: Mapped[str | None] = mapped_column(String(32))
    last_edited_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(32))
    summary_channel_id: Mapped[str | None] = mapped_column(String(32))
    summary_ts: Mapped[str | None] = mapped_column(String(32))
    announcement_ts: Mapped[str | None] = mapped_column(String(32))
    document_ref: Mapped[str | None] = mapped_column(String(200))  # canvas id or file id
    # The last save's identity (view, step, version it was based on): a resubmitted view is
    # the same save, not a conflict with oneself.
    last_save_key: Mapped[str | None] = mapped_column(String(120))
    # Set (and committed) just before a publish call, cleared with its result: a crash in
    # between leaves a mark, and the next Publish looks the post up instead of doubling it.
    document_pending_at: Mapped[datetime | None]
    announcement_pending_at: Mapped[datetime | None]
    summary_pending_at: Mapped[datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="retrospective", lazy="raise")
    factors: Mapped[list[ContributingFactor]] = relationship(
        back_populates="retrospective",
        lazy="raise",
        order_by="ContributingFactor.position",
        cascade="all, delete-orphan",
    )


class ContributingFactor(TeamScoped, Base):
    __tablename__ = "contributing_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    retrospective_id: Mapped[int] = mapped_column(
        ForeignKey("retrospectives.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # None only in a draft saved on close before a category was picked; the step requires one.
    category: Mapped[FactorCategory | None] = mapped_column(str_enum(FactorCategory))
    description: Mapped[str] = mapped_column(Text)
    whys: Mapped[list[str]] = mapped_column(JSON, default=list)  # the chain, at most five

    retrospective: Mapped[Retrospective] = relationship(back_populates="factors", lazy="raise")
