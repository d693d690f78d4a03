"""Incidents: finding them by channel or reference, and numbering them per team.

Every function takes the session keyword-only and filters on the team id.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFoundError, NotInIncidentChannelError
from models import Incident

REF_PATTERN = re.compile(r"^INC-(\d+)$", re.IGNORECASE)


async def find_by_channel(
    *, session: AsyncSession, team_id: str, channel_id: str
) -> Incident | None:
    return await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.channel_id == channel_id)
    )


async def require_by_channel(*, session: AsyncSession, team_id: str, channel_id: str) -> Incident:
    """The incident this channel belongs to, or an error that tells the person how to declare."""
    incident = await find_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    if incident is None:
        raise NotInIncidentChannelError(
            "This isn't an incident channel. Run `/postmortem declare [title]` to declare an "
            "incident (with a new channel, or to review this one)."
        )
    return incident


async def find_by_ref(*, session: AsyncSession, team_id: str, ref: str) -> Incident:
    """`INC-<n>` or the incident channel's id."""
    match = REF_PATTERN.match(ref.strip())
    condition = (
        Incident.number == int(match.group(1)) if match else Incident.channel_id == ref.strip()
    )
    incident = await session.scalar(select(Incident).where(Incident.team_id == team_id, condition))
    if incident is None:
        raise NotFoundError(f"No incident {ref} in this workspace.")
    return incident


async def next_number(*, session: AsyncSession, team_id: str) -> int:
    """The next INC number for the team; the (team_id, number) unique key settles races."""
    highest = await session.scalar(
        select(func.max(Incident.number)).where(Incident.team_id == team_id)
    )
    return (highest or 0) + 1
