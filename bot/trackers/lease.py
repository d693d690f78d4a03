"""The outbox's lease: claim due intents the way the reminder sweep claims items (one
UPDATE … RETURNING over FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite runs one writer at a time),
and give back what a drain did not run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.trackers.shapes import IntentState
from models import TrackerIntent

Sessions = async_sessionmaker[AsyncSession]

LEASE = timedelta(minutes=5)  # far beyond a run's few calls at the client's timeout
INTENTS = TrackerIntent.__table__


class ClaimedIntent(NamedTuple):
    id: int
    team_id: str
    action_item_id: int
    kind: str
    attempts: int  # this one included
    last_error: str | None  # an earlier attempt's failure (kept when Retry starts it over)


async def claim(
    sessions: Sessions, *, now: datetime, claim_id: str, limit: int
) -> list[ClaimedIntent]:
    """Lease up to `limit` due intents, oldest due first, counting the attempt. An intent waits
    while an earlier one for the same item is pending, so an item's intents run in order."""
    earlier = aliased(TrackerIntent)
    blocked = exists().where(
        earlier.action_item_id == TrackerIntent.action_item_id,
        earlier.state == IntentState.PENDING.value,
        earlier.id < TrackerIntent.id,
    )
    due = (
        select(TrackerIntent.id)
        .where(
            TrackerIntent.state == IntentState.PENDING.value,
            TrackerIntent.next_attempt_at <= now,
            or_(TrackerIntent.claimed_until.is_(None), TrackerIntent.claimed_until <= now),
            ~blocked,
        )
        .order_by(TrackerIntent.next_attempt_at, TrackerIntent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with sessions() as session, session.begin():
        rows = await session.execute(
            update(INTENTS)
            .where(INTENTS.c.id.in_(due.scalar_subquery()))
            .values(claim=claim_id, claimed_until=now + LEASE, attempts=INTENTS.c.attempts + 1)
            .returning(
                INTENTS.c.id,
                INTENTS.c.team_id,
                INTENTS.c.action_item_id,
                INTENTS.c.kind,
                INTENTS.c.attempts,
                INTENTS.c.last_error,
            )
        )
        claimed = [ClaimedIntent._make(row) for row in rows]
    return sorted(claimed, key=lambda intent: intent.id)


async def release(
    sessions: Sessions, *, claim_id: str, ids: list[int], at: datetime, started: bool = False
) -> None:
    """Give claimed intents back, due at `at`. Their attempt is not counted unless `started`:
    one cut short while the tracker was asked may have reached it, and its next attempt must
    search for the marker before filing."""
    if not ids:
        return
    values: dict[str, Any] = {"claim": None, "claimed_until": None, "next_attempt_at": at}
    async with sessions() as session, session.begin():
        if not started:
            floor = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
            values["attempts"] = floor(INTENTS.c.attempts - 1, 0)
        await session.execute(
            update(INTENTS)
            .where(INTENTS.c.claim == claim_id, INTENTS.c.id.in_(ids))
            .values(**values)
        )
