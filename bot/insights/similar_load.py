"""Similar past incidents, loaded and posted: the team's earlier incidents scored against one
(bot/insights/similar.py), the best matches filled with their retrospective's first factors
and their still-open action items, and, right after a declare, posted in the incident channel
(bot/ui/similar.py) by a task of the runtime's, after the declare was answered.

Candidates are the team's incidents declared before this one (a smaller number), the newest
MAX_CANDIDATES of them: a team with more than that has them scored against its recent history
(see bench/similar.py for the time it takes).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.insights.similar import (
    Doc,
    Match,
    OpenItem,
    PastFactor,
    SimilarIncident,
    rank,
)
from bot.publish.posting import Document
from bot.tasks import TaskSet
from bot.ui.similar import similar_message
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    Incident,
    PostmortemState,
    Retrospective,
)

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 10_000  # bench/similar.py: ~60 ms to load, ~125 ms to score at 10,000
SHOWN_FACTORS = 3
SHOWN_ITEMS = 3


def doc_of(incident: Incident) -> Doc:
    return Doc(incident.number, incident.title, incident.summary or "", incident.services or [])


async def similar_incidents(*, session: AsyncSession, incident: Incident) -> list[SimilarIncident]:
    """The earlier incidents of the team that look like `incident`, best first (at most three;
    none when nothing is a good match)."""
    candidates = await _candidates(session, incident)
    # Scoring is pure Python over the team's history: in a thread, so a large team's scoring
    # never holds up the event loop (and the acks it is serving).
    matches = await asyncio.to_thread(rank, doc_of(incident), candidates)
    if not matches:
        return []
    return await _details(session, incident.team_id, matches)


async def _candidates(session: AsyncSession, incident: Incident) -> list[Doc]:
    rows = await session.execute(
        select(Incident.number, Incident.title, Incident.summary, Incident.services)
        .where(Incident.team_id == incident.team_id, Incident.number < incident.number)
        .order_by(Incident.number.desc())
        .limit(MAX_CANDIDATES)
    )
    return [
        Doc(number, title, summary or "", services or [])
        for number, title, summary, services in rows
    ]


async def _details(
    session: AsyncSession, team_id: str, matches: Sequence[Match]
) -> list[SimilarIncident]:
    numbers = [match.key for match in matches]
    incidents = {
        incident.number: incident
        for incident in await session.scalars(
            select(Incident).where(Incident.team_id == team_id, Incident.number.in_(numbers))
        )
    }
    ids = [incident.id for incident in incidents.values()]
    retros = {
        retro.incident_id: retro
        for retro in await session.scalars(
            select(Retrospective).where(
                Retrospective.team_id == team_id, Retrospective.incident_id.in_(ids)
            )
        )
    }
    factors = await _factors(session, team_id, [retro.id for retro in retros.values()])
    items = await _open_items(session, team_id, ids)
    shown: list[SimilarIncident] = []
    for match in matches:
        incident = incidents.get(match.key)
        if incident is None:  # gone since it was scored
            continue
        retro = retros.get(incident.id)
        open_items = items.get(incident.id, [])
        shown.append(
            SimilarIncident(
                ref=incident.ref,
                title=incident.title,
                started_at=incident.started_at,
                channel_id=incident.channel_id,
                published=incident.postmortem_state == PostmortemState.PUBLISHED,
                postmortem_link=_document_link(retro),
                shared_services=match.shared_services,
                factors=tuple(factors.get(retro.id, [])[:SHOWN_FACTORS]) if retro else (),
                open_items=tuple(open_items[:SHOWN_ITEMS]),
                open_count=len(open_items),
            )
        )
    return shown


async def _factors(
    session: AsyncSession, team_id: str, retro_ids: list[int]
) -> dict[int, list[PastFactor]]:
    found: dict[int, list[PastFactor]] = defaultdict(list)
    rows = await session.scalars(
        select(ContributingFactor)
        .where(
            ContributingFactor.team_id == team_id,
            ContributingFactor.retrospective_id.in_(retro_ids),
        )
        .order_by(ContributingFactor.position, ContributingFactor.id)
    )
    for factor in rows:
        category = factor.category.value if factor.category else None
        found[factor.retrospective_id].append(PastFactor(category, factor.description))
    return found


async def _open_items(
    session: AsyncSession, team_id: str, incident_ids: list[int]
) -> dict[int, list[OpenItem]]:
    """Each incident's open items, the soonest due first (those without a date last)."""
    rows = await session.scalars(
        select(ActionItem).where(
            ActionItem.team_id == team_id,
            ActionItem.incident_id.in_(incident_ids),
            ActionItem.status == ActionStatus.OPEN,
        )
    )
    found: dict[int, list[ActionItem]] = defaultdict(list)
    for item in rows:
        found[item.incident_id].append(item)
    last = date.max
    return {
        incident_id: [
            OpenItem(item.title, item.due_date)
            for item in sorted(its, key=lambda item: (item.due_date or last, item.id))
        ]
        for incident_id, its in found.items()
    }


def _document_link(retro: Retrospective | None) -> str | None:
    if retro is None or retro.published_at is None:
        return None
    document = Document.parse(retro.document_ref)
    return document.link if document is not None else None


# ---- after a declare -----------------------------------------------------------------------


async def post_similar(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
) -> bool:
    """Post the similar past incidents in the incident's channel; False when there are none
    (nothing is posted) or Slack refused the post (logged: the declare stands without it)."""
    async with sessions() as session:
        incident = await session.scalar(
            select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
        )
        if incident is None or incident.channel_id is None:
            return False
        similar = await similar_incidents(session=session, incident=incident)
    if not similar:
        return False
    text, blocks = similar_message(similar)
    try:
        await client.chat_postMessage(
            channel=incident.channel_id, text=text, blocks=blocks, unfurl_links=False
        )
    except SlackApiError as error:
        code = error.response.get("error") or error.response.status_code
        logger.warning("could not post similar incidents for %s: %s", incident.ref, code)
        return False
    return True


def start_similar(
    tasks: TaskSet,
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    incident: Incident,
) -> asyncio.Task[bool]:
    """`post_similar` for a just-declared incident, after its declare is answered."""
    task = tasks.start(
        post_similar(
            sessions=sessions, client=client, team_id=incident.team_id, incident_id=incident.id
        ),
        name=f"similar incidents {incident.team_id} {incident.ref}",
    )
    task.add_done_callback(_similar_done)
    return task


def _similar_done(task: asyncio.Task[bool]) -> None:
    if task.cancelled():
        logger.warning("%s was cancelled before it finished", task.get_name())
    elif (error := task.exception()) is not None:
        logger.error("%s failed", task.get_name(), exc_info=error)
    else:
        logger.info("%s: %s", task.get_name(), "posted" if task.result() else "none posted")
