"""The one place audit rows are written: who changed what, and when (the caller's clock)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry


def record(
    session: AsyncSession,
    *,
    team_id: str,
    incident_id: int | None,
    actor_id: str | None,
    action: str,
    detail: Mapping[str, object],
    at: datetime,
) -> None:
    """Add one audit row to the caller's transaction (the caller commits it)."""
    session.add(
        AuditEntry(
            team_id=team_id,
            incident_id=incident_id,
            actor_id=actor_id,
            action=action,
            detail=dict(detail),
            created_at=at,
        )
    )
