"""The debt sweep's claim: lease the incidents whose postmortem debt is due for a look, and give
back what a sweep didn't record. The same lease as action items' (bot/followup/claim.py): one
UPDATE … RETURNING, `FOR UPDATE SKIP LOCKED` under an advisory lock on PostgreSQL, SQLite's one
writer elsewhere, so two sweeps (two processes) never take the same incident, and a sweep that
dies leaves it due again once the lease is over.

Due for a look: resolved (or closed after it), its postmortem not published, not marked "no
postmortem needed", and its next look (`debt_next_at`; never looked at: its resolution) passed.
Published or marked incidents simply stop matching, whatever their schedule says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import any_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.followup.claim import LEASE
from bot.followup.debt import ClaimedDebt
from models import Incident, IncidentStatus, PostmortemState

Sessions = async_sessionmaker[AsyncSession]

BATCH_SIZE = 500
# Serialises concurrent sweeps' debt claims on PostgreSQL (not their sends), as items' claims.
CLAIM_LOCK_KEY = 7_262_515_306
INCIDENTS = Incident.__table__
_CLAIMED_COLUMNS = tuple(INCIDENTS.c[name] for name in ClaimedDebt._fields)
FINISHED = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


def owing() -> Any:
    """Incidents whose postmortem is still owed or may become so (any team: add the team)."""
    return (
        Incident.status.in_(FINISHED),
        Incident.resolved_at.is_not(None),
        Incident.postmortem_state != PostmortemState.PUBLISHED,
        Incident.no_postmortem_at.is_(None),
    )


async def claim_debts(
    sessions: Sessions,
    *,
    now: datetime,
    claim: str,
    limit: int = BATCH_SIZE,
    team_id: str | None = None,
) -> list[ClaimedDebt]:
    """Claim up to `limit` incidents due for a look, of `team_id` (None: of every team, the one
    cross-team query of the debt sweep), the longest waiting first. The UPDATE is the
    transaction's first statement, so SQLite takes its write lock before reading."""
    async with sessions() as session, session.begin():
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY}
            )
        next_look = func.coalesce(Incident.debt_next_at, Incident.resolved_at)
        due = select(Incident.id).where(
            *owing(),
            next_look <= now,
            or_(Incident.debt_claimed_until.is_(None), Incident.debt_claimed_until <= now),
        )
        if team_id is not None:
            due = due.where(Incident.team_id == team_id)
        due = due.order_by(next_look, Incident.id).limit(limit).with_for_update(skip_locked=True)
        claimed = (
            INCIDENTS.c.id == any_(func.array(due.scalar_subquery()))
            if postgresql
            else INCIDENTS.c.id.in_(due)
        )
        rows = await session.execute(
            update(INCIDENTS)
            .where(claimed)
            .values(debt_claim=claim, debt_claimed_until=now + LEASE)
            .returning(*_CLAIMED_COLUMNS)
        )
        return sorted(map(ClaimedDebt._make, rows), key=lambda debt: debt.id)


def guarded(claim: str, incident_id: int) -> Any:
    """An UPDATE of one incident that changes nothing unless this sweep's claim still holds it
    (marking it as needing no postmortem gives the claim up)."""
    return update(INCIDENTS).where(INCIDENTS.c.id == incident_id, INCIDENTS.c.debt_claim == claim)


async def release_debts(
    sessions: Sessions, *, claim: str, at: datetime | None = None, ids: Sequence[int] | None = None
) -> None:
    """Give claimed incidents back (all of this sweep's by default): due again at once, as they
    were, or at `at`."""
    statement = update(INCIDENTS).where(INCIDENTS.c.debt_claim == claim)
    if ids is not None:
        if not ids:
            return
        statement = statement.where(INCIDENTS.c.id.in_(ids))
    values: dict[str, Any] = {"debt_claim": None, "debt_claimed_until": None}
    if at is not None:
        values["debt_next_at"] = at
    async with sessions() as session, session.begin():
        await session.execute(statement.values(**values))
