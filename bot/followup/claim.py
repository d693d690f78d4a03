"""The sweep's first stage: claim the due items, and give back what it didn't record.

`claim_batch` reads every team's rows (one workspace's token) or one team's (many workspaces:
each team is swept with its own token); `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two `serve`
processes never take the same row. A claim is a lease in its own unindexed column,
`claimed_until`, ten minutes ahead, so a sweep that dies leaves the item due once the lease is
over: never a miss. Nor a repeat: a DM that went out before the sweep died is found in Slack by
its pending delivery row (bot/followup/pending.py) and recorded instead of sent again.

The lease must outlast a live sweep's claim-to-record time (its send budget, 70% of the lease,
then the last owner's look-up, DM and escalations, each up to the client's timeout and retries
or Slack's Retry-After): a shorter one would let a second sweep take an owner whose DM is still
on its way, which no look-up can tell from a DM that never went out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import any_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.after_send import ClaimedItem
from models import ActionItem, ActionStatus

Sessions = async_sessionmaker[AsyncSession]

LEASE = timedelta(minutes=10)
# All that is due at once, up to this many: each batch costs statements and round trips, and
# the lease runs from the sweep's `now` whatever the batch size.
BATCH_SIZE = 20_000
# Serialises the claim statements (not the sends) of concurrent sweeps on PostgreSQL, so an
# owner's due items are never split between two sweeps (which would mean two DMs).
CLAIM_LOCK_KEY = 7_262_515_305
ITEMS = ActionItem.__table__
_CLAIMED_COLUMNS = tuple(ITEMS.c[name] for name in ClaimedItem._fields)


async def claim_batch(
    sessions: Sessions,
    *,
    now: datetime,
    claim: str,
    limit: int = BATCH_SIZE,
    team_id: str | None = None,
) -> list[ClaimedItem]:
    """Claim up to `limit` due items, longest due first (the due index's order, so each batch
    reads only what it takes; items due at the same moment come in any order), and, when the
    batch is full, every other due item of the owners in it, so an owner still gets one DM.
    Claiming writes only `reminder_claim` and `claimed_until`, which no index covers (on
    PostgreSQL the updates can stay on their page, HOT). `team_id`: that team's items only
    (None: every team's). Returns what was claimed."""
    lease_until = now + LEASE
    async with sessions() as session, session.begin():
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY}
            )
        # Index order only (no tie-break on id): many items share a moment (09:00 in a zone),
        # and a tie-break would make PostgreSQL read and sort every due row for each batch.
        due = _due_ids(now, team_id).order_by(ActionItem.next_reminder_at).limit(limit)
        rows = await session.execute(_claim(due, claim, lease_until, postgresql))
        items = list(map(ClaimedItem._make, rows))
        if len(items) == limit:
            # Plain IN lists plan far faster than a list of (team, owner) pairs; the few extra
            # rows they may match (the same person in another workspace) are due anyway.
            owned = [item for item in items if item.owner_id is not None]
            rest = _due_ids(now, team_id).where(
                ActionItem.team_id.in_(sorted({item.team_id for item in owned})),
                ActionItem.owner_id.in_(sorted({item.owner_id for item in owned})),
            )
            if owned:
                rows = await session.execute(_claim(rest, claim, lease_until, postgresql))
                items += map(ClaimedItem._make, rows)
    return items


def _due_ids(now: datetime, team_id: str | None) -> Any:
    """Open items (of `team_id`, or of every team) whose nudge is due and that no live lease
    holds."""
    due = select(ActionItem.id).where(
        ActionItem.status == ActionStatus.OPEN,
        ActionItem.next_reminder_at <= now,
        or_(ActionItem.claimed_until.is_(None), ActionItem.claimed_until <= now),
    )
    if team_id is not None:
        due = due.where(ActionItem.team_id == team_id)
    return due.with_for_update(skip_locked=True)


def _claim(due: Any, claim: str, lease_until: datetime, postgresql: bool) -> Any:
    # `id = ANY(ARRAY(…))` on PostgreSQL: the locked ids are looked up by primary key. With
    # `id IN (…)` it expects as many rows as the LIMIT and plans a hash join over a scan of the
    # whole table (3 to 4 times slower at 10,000 due of 100,000).
    claimed = (
        ITEMS.c.id == any_(func.array(due.scalar_subquery())) if postgresql else ITEMS.c.id.in_(due)
    )
    return (
        update(ITEMS)
        .where(claimed)
        .values(reminder_claim=claim, claimed_until=lease_until)
        .returning(*_CLAIMED_COLUMNS)  # what was claimed: no second query to load it
    )


async def release(
    sessions: Sessions, *, claim: str, at: datetime | None = None, ids: Sequence[int] | None = None
) -> None:
    """Give claimed items back (all of this sweep's unrecorded ones by default): due again at
    once, as they were, or at `at`."""
    statement = update(ITEMS).where(ITEMS.c.reminder_claim == claim)
    if ids is not None:
        if not ids:
            return
        statement = statement.where(ITEMS.c.id.in_(ids))
    values: dict[str, Any] = {"reminder_claim": None, "claimed_until": None}
    if at is not None:
        values["next_reminder_at"] = at
    async with sessions() as session, session.begin():
        await session.execute(statement.values(**values))
