"""Backfill runs: reading a reviewed channel's history into an incident's timeline, kept in the
database so a restart resumes where it stopped, and leased so two replicas never read one
channel at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TeamScoped, Timestamps


class BackfillRun(TeamScoped, Timestamps, Base):
    """One reading of a channel's history. `history_cursor` is the next page of
    conversations.history (None with `history_done` False: not started); threads found on the
    way wait in backfill_threads. `lease_owner`/`leased_until` name the runner reading it now;
    `finished_at` is set when it is done or has failed (`error`)."""

    __tablename__ = "backfill_runs"
    __table_args__ = (
        # The resume job's query: unfinished runs whose lease has run out.
        Index("ix_backfill_runs_unfinished", "finished_at", "leased_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))  # our own messages are skipped
    bot_id: Mapped[str | None] = mapped_column(String(32))
    history_cursor: Mapped[str | None] = mapped_column(Text)
    history_done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel_created: Mapped[int | None] = mapped_column(Integer)  # epoch seconds, for "about"
    newest_ts: Mapped[str | None] = mapped_column(String(32))  # the history's newest message
    oldest_ts: Mapped[str | None] = mapped_column(String(32))  # the oldest one read so far
    # Messages read (top-level and replies), top-level ones alone, and the replies the threads
    # found so far announce (their reply_count): what "read 450 of about 1,200" is made of.
    read_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    history_read: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replies_expected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stored_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_ts: Mapped[str | None] = mapped_column(String(32))  # the one message we update
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    leased_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class BackfillThread(TeamScoped, Base):
    """A thread found in a run's history, waiting to be read (`cursor`: its next page)."""

    __tablename__ = "backfill_threads"
    __table_args__ = (UniqueConstraint("run_id", "thread_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("backfill_runs.id", ondelete="CASCADE"))
    thread_ts: Mapped[str] = mapped_column(String(32))
    reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cursor: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
