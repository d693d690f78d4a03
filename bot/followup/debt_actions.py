"""What the postmortem-debt DM's buttons do, and the owed postmortems a team has (for the
digest and App Home). Services given a `session` never commit; their caller does.

- "Start retrospective": the incident's channel, so the retrospective opens as `/postmortem
  retro` there opens it.
- "No postmortem needed": the incident marked with the reason, who and when, audited, its claim
  given up (a sweep holding it then records nothing): the chase stops for good. Only the people
  who may edit its retrospective (declarer, facilitator, commander) may decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit as audit_log
from bot.errors import NotFoundError, PermissionDeniedError, UserInputError
from bot.followup.debt_claim import owing
from bot.followup.shapes import MAX_REASON
from bot.retro.draft import editors
from models import Incident, PostmortemState


@dataclass(frozen=True, slots=True)
class Marked:
    """The incident after "No postmortem needed"; `changed` False when it was settled already
    (published, or marked before) and nothing was written."""

    incident: Incident
    changed: bool


def settled(incident: Incident) -> bool:
    """Its postmortem is published, or it was marked as needing none: nothing is owed."""
    published = incident.postmortem_state is PostmortemState.PUBLISHED
    return published or incident.no_postmortem_at is not None


async def load_incident(*, session: AsyncSession, team_id: str, incident_id: int) -> Incident:
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    if incident is None:
        raise NotFoundError("This incident no longer exists.")
    return incident


async def retro_channel(*, session: AsyncSession, team_id: str, incident_id: int) -> str:
    """The incident channel where "Start retrospective" opens the retrospective."""
    incident = await load_incident(session=session, team_id=team_id, incident_id=incident_id)
    if incident.channel_id is None:
        raise NotFoundError(f"{incident.ref} has no channel, so its retrospective can't open.")
    return incident.channel_id


async def open_decision(
    *, session: AsyncSession, team_id: str, incident_id: int, actor_id: str
) -> Incident:
    """The incident, once the presser may decide it needs no postmortem (settled or not)."""
    incident = await load_incident(session=session, team_id=team_id, incident_id=incident_id)
    if actor_id not in editors(incident):
        who = ", ".join(f"<@{person}>" for person in editors(incident))
        raise PermissionDeniedError(
            f"Only the declarer, the facilitator and the commander ({who}) can decide that "
            f"{incident.ref} needs no postmortem."
        )
    return incident


def check_reason(text: str | None, *, field: str | None = None) -> str:
    """Why no postmortem is needed: required, at most MAX_REASON characters once trimmed."""
    reason = (text or "").strip()
    if not reason:
        raise UserInputError("Say briefly why this incident needs no postmortem.", field=field)
    if len(reason) > MAX_REASON:
        raise UserInputError(f"Keep the reason within {MAX_REASON} characters.", field=field)
    return reason


async def mark_not_needed(
    *,
    session: AsyncSession,
    team_id: str,
    incident_id: int,
    actor_id: str,
    reason: str | None,
    now: datetime,
    field: str | None = None,
) -> Marked:
    """Mark the incident as needing no postmortem (checked first: the reason, then who)."""
    text = check_reason(reason, field=field)
    incident = await open_decision(
        session=session, team_id=team_id, incident_id=incident_id, actor_id=actor_id
    )
    if settled(incident):
        return Marked(incident, changed=False)
    incident.no_postmortem_reason = text
    incident.no_postmortem_by = actor_id
    incident.no_postmortem_at = now
    incident.debt_next_at = None
    incident.debt_claim = None  # a sweep holding it must not write its schedule back
    incident.debt_claimed_until = None
    audit_log.record(
        session,
        team_id=team_id,
        incident_id=incident.id,
        actor_id=actor_id,
        action="postmortem.not_needed",
        detail={"reason": text},
        at=now,
    )
    return Marked(incident, changed=True)


def _owed(team_id: str, now: datetime) -> Any:
    return (Incident.team_id == team_id, *owing(), Incident.debt_due_at <= now)


async def owed_postmortems(
    *, session: AsyncSession, team_id: str, now: datetime, limit: int | None = None
) -> list[Incident]:
    """The team's incidents whose postmortem is owed now (past its due moment, as the debt
    sweep last computed it), the longest owed first."""
    query = select(Incident).where(*_owed(team_id, now))
    query = query.order_by(Incident.debt_due_at, Incident.number).limit(limit)
    return list(await session.scalars(query))


async def count_owed(*, session: AsyncSession, team_id: str, now: datetime) -> int:
    return int(await session.scalar(select(func.count()).where(*_owed(team_id, now))) or 0)
