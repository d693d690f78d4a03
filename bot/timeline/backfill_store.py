"""Backfill runs in the database: create, lease, record each page with its cursor in one
transaction (so a restart resumes after the last page stored, and reads none twice), finish.

Leases run on the wall clock, not the runtime's: they measure how long a process may go
silent before another takes its run over, whatever "now" a test holds for reminders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.timeline.events import dialect_of, store_messages, upsert_insert
from bot.timeline.messages import CapturedMessage
from models import BackfillRun, BackfillThread

Sessions = async_sessionmaker[AsyncSession]

# Renewed with every page and every 10 s by the runner's heartbeat: a crashed process's run is
# taken over half a minute after it went silent.
LEASE = timedelta(seconds=30)
RUNS = BackfillRun.__table__


class LeaseLost(Exception):
    """Another runner holds this run now (ours ran out); stop without writing."""


@dataclass(frozen=True, slots=True)
class RunState:
    """What a runner knows of its run between pages (the row, as last written)."""

    id: int
    team_id: str
    incident_id: int
    channel_id: str
    bot_user_id: str | None
    bot_id: str | None
    owner: str
    history_cursor: str | None
    history_done: bool
    channel_created: int | None
    newest_ts: str | None
    oldest_ts: str | None
    read_count: int
    history_read: int
    replies_expected: int
    stored_count: int
    calls: int
    progress_ts: str | None


@dataclass(frozen=True, slots=True)
class PendingThread:
    id: int
    thread_ts: str
    cursor: str | None


def new_owner() -> str:
    return str(uuid.uuid4())


def _state(row: BackfillRun, owner: str) -> RunState:
    fields = {name: getattr(row, name) for name in RunState.__slots__ if name != "owner"}
    return RunState(owner=owner, **fields)


async def create_run(
    sessions: Sessions,
    *,
    team_id: str,
    incident_id: int,
    channel_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    now: datetime,
) -> RunState:
    """A new run, leased at once by the caller (who starts reading it)."""
    owner = new_owner()
    async with sessions() as session, session.begin():
        row = BackfillRun(
            team_id=team_id,
            incident_id=incident_id,
            channel_id=channel_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            history_done=False,
            read_count=0,
            history_read=0,
            replies_expected=0,
            stored_count=0,
            calls=0,
            lease_owner=owner,
            leased_until=now + LEASE,
        )
        session.add(row)
        await session.flush()
        return _state(row, owner)


async def claim_due(sessions: Sessions, *, now: datetime, limit: int = 20) -> list[RunState]:
    """Lease unfinished runs nobody holds (a stopped or crashed process's), one owner each."""
    due = (
        select(BackfillRun.id)
        .where(
            BackfillRun.finished_at.is_(None),
            or_(BackfillRun.leased_until.is_(None), BackfillRun.leased_until <= now),
        )
        .order_by(BackfillRun.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed: list[RunState] = []
    async with sessions() as session, session.begin():
        for run_id in list(await session.scalars(due)):
            owner = new_owner()
            taken = await session.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id, RUNS.c.finished_at.is_(None))
                .where(or_(RUNS.c.leased_until.is_(None), RUNS.c.leased_until <= now))
                .values(lease_owner=owner, leased_until=now + LEASE)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                row = await session.get(BackfillRun, run_id, populate_existing=True)
                assert row is not None
                claimed.append(_state(row, owner))
    return claimed


def _held(run: RunState) -> Any:
    """The run's row, while `run.owner` still holds it."""
    return (
        (RUNS.c.id == run.id) & (RUNS.c.team_id == run.team_id) & (RUNS.c.lease_owner == run.owner)
    )


async def _renew(session: AsyncSession, run: RunState, until: datetime, **values: Any) -> None:
    result = await session.execute(
        update(RUNS).where(_held(run)).values(leased_until=until, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"backfill run {run.id} is held by another runner now")


async def hold(sessions: Sessions, run: RunState, *, until: datetime, **values: Any) -> None:
    """Keep the lease until `until` (before a long wait), writing `values` too."""
    async with sessions() as session, session.begin():
        await _renew(session, run, until, **values)


async def record_page(
    sessions: Sessions,
    run: RunState,
    *,
    now: datetime,
    messages: list[CapturedMessage],
    threads: Sequence[tuple[str, int]] = (),
    thread: PendingThread | None = None,
    thread_cursor: str | None = None,
    **progress: Any,
) -> tuple[RunState, int]:
    """Store a page's messages, queue the threads it found, and move the cursor (the run's,
    or `thread`'s) — one transaction, lease checked. The new state and how many were new."""
    async with sessions() as session, session.begin():
        stored = 0
        if messages:
            stored = await store_messages(
                session=session, incident_id=run.incident_id, team_id=run.team_id, messages=messages
            )
        if threads:
            rows = [
                {"team_id": run.team_id, "run_id": run.id, "thread_ts": ts, "reply_count": count}
                for ts, count in threads
            ]
            insert = upsert_insert(dialect_of(session), BackfillThread)
            await session.execute(insert.on_conflict_do_nothing(), rows)
        if thread is not None:
            await session.execute(
                update(BackfillThread)
                .where(BackfillThread.id == thread.id, BackfillThread.run_id == run.id)
                .values(cursor=thread_cursor, done=thread_cursor is None)
            )
        new = replace(run, stored_count=run.stored_count + stored, calls=run.calls + 1, **progress)
        values = {name: getattr(new, name) for name in ("stored_count", "calls", *progress)}
        await _renew(session, run, now + LEASE, **values)
    return new, stored


async def next_thread(sessions: Sessions, run: RunState) -> PendingThread | None:
    """The oldest-found thread not read to its end yet."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(BackfillThread.id, BackfillThread.thread_ts, BackfillThread.cursor)
                .where(
                    BackfillThread.team_id == run.team_id,
                    BackfillThread.run_id == run.id,
                    BackfillThread.done.is_(False),
                )
                .order_by(BackfillThread.id)
                .limit(1)
            )
        ).first()
    return None if row is None else PendingThread(*row)


async def finish(
    sessions: Sessions, run: RunState, *, now: datetime, error: str | None = None
) -> None:
    """Done (or failed, with `error`): no runner takes it up again."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(RUNS)
            .where(_held(run))
            .values(finished_at=now, error=error, lease_owner=None, leased_until=None)
        )


async def release(sessions: Sessions, run: RunState) -> None:
    """Give the lease back (a clean stop): the next runner may resume at once."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(RUNS).where(_held(run)).values(lease_owner=None, leased_until=None)
        )
