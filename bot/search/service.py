"""`/postmortem search` for one team: a page of ranked incidents, each with its best excerpt
and links. Runs in the session it is given (reads only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.publish.posting import Document
from bot.search import postgres, sqlite
from bot.search.fields import DOCUMENT_FIELDS, TIMELINE_LABEL
from bot.search.query import SearchQuery
from bot.search.ranking import (
    Dialect,
    filter_parameters,
    found_count,
    found_page,
    timeline_page,
    timeline_walk_page,
)
from bot.search.shapes import HIT_END, HIT_START, PAGE_SIZE, Hit, SearchPage, Snippet
from bot.timeline.query import cached_names
from models import Incident, Retrospective

MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


async def search(
    *, session: AsyncSession, team_id: str, query: SearchQuery, offset: int = 0
) -> SearchPage:
    """The page of `query`'s results starting at `offset` (at most PAGE_SIZE), for `team_id`."""
    dialect = postgres if session.get_bind().dialect.name == "postgresql" else sqlite
    found = dialect.parameters(query)
    if found is None:
        return SearchPage(query=query, offset=offset, hits=(), more=False)
    parameters = {**found, **filter_parameters(query.filters), "team_id": team_id}
    rows = await _ranked(session, dialect, query, parameters, offset)
    shown = rows[:PAGE_SIZE]
    snippets = [await _snippet(session, dialect, found, row) for row in shown]
    hits = await _hits(session, team_id, [row.incident_id for row in shown], snippets)
    mentioned = {m for s in snippets if s and s.formatted for m in MENTION.findall(s.text)}
    names = await cached_names(session=session, team_id=team_id, user_ids=mentioned)
    return SearchPage(query, offset, tuple(hits), more=len(rows) > PAGE_SIZE, names=names)


async def _ranked(
    session: AsyncSession,
    dialect: Dialect,
    query: SearchQuery,
    parameters: dict[str, Any],
    offset: int,
) -> list[Row[Any]]:
    """Up to PAGE_SIZE + 1 rows from `offset` (one more tells another page follows): the
    incident-level finds first; the timeline's only for what they leave of the page."""
    filters, wanted = query.filters, PAGE_SIZE + 1
    paging = {"limit": wanted, "offset": offset}
    rows = list((await session.execute(found_page(dialect, filters), parameters | paging)).all())
    if len(rows) == wanted:
        return rows
    total = (
        rows[0].total if rows else await session.scalar(found_count(dialect, filters), parameters)
    )
    paging = {"limit": wanted - len(rows), "offset": max(0, offset - int(total or 0))}
    page = timeline_page(dialect, filters)
    # The walk visits the team's incidents newest first: with a filter passing few of them, only
    # a word in most incidents' messages is found soon enough.
    common = dialect.COMMON_MESSAGES_FILTERED if filters.any else dialect.COMMON_MESSAGES
    if common is not None:
        probe = parameters | {"probe_limit": common}
        if (await session.scalar(text(dialect.TIMELINE_PROBE), probe) or 0) >= common:
            page = timeline_walk_page(dialect, filters)
    more = await session.execute(page, parameters | paging)
    return rows + list(more.all())


async def _snippet(
    session: AsyncSession, dialect: Dialect, found: dict[str, Any], row: Row[Any]
) -> Snippet | None:
    """The excerpt that shows why the incident was found: from the first field of its document
    with a matched word (fields in weight order), or from its best timeline message."""
    markers = {"start": HIT_START, "end": HIT_END, "incident_id": row.incident_id}
    if row.best == "timeline":
        excerpt = await session.scalar(dialect.timeline_snippet(), found | markers)
        return Snippet(str(excerpt), TIMELINE_LABEL, formatted=True) if excerpt else None
    excerpts = (await session.execute(dialect.document_snippets(), found | markers)).first()
    for field, excerpt in zip(DOCUMENT_FIELDS, excerpts or (), strict=False):
        if excerpt and HIT_START in excerpt:
            return Snippet(str(excerpt), field.label, formatted=False)
    return None


async def _hits(
    session: AsyncSession,
    team_id: str,
    incident_ids: Sequence[int],
    snippets: Sequence[Snippet | None],
) -> list[Hit]:
    """The page's incidents in rank order, with their retrospective's document, if any."""
    query = (
        select(Incident, Retrospective.document_ref)
        .outerjoin(Retrospective, Retrospective.incident_id == Incident.id)
        .where(Incident.team_id == team_id, Incident.id.in_(incident_ids))
    )
    loaded = {incident.id: (incident, ref) for incident, ref in await session.execute(query)}
    hits = []
    for incident_id, snippet in zip(incident_ids, snippets, strict=True):
        incident, ref = loaded[incident_id]
        document = Document.parse(ref)
        hits.append(
            Hit(
                incident_id=incident.id,
                ref=incident.ref,
                title=incident.title,
                severity=incident.severity.value,
                started_at=incident.started_at,
                postmortem_state=incident.postmortem_state.value,
                channel_id=incident.channel_id,
                document_kind=document.kind if document else None,
                document_link=document.link if document else None,
                snippet=snippet,
            )
        )
    return hits


async def search_page(
    *, sessions: async_sessionmaker[AsyncSession], team_id: str, query: SearchQuery, offset: int
) -> SearchPage:
    """`search` in a short read transaction of its own."""
    async with sessions() as session:
        return await search(session=session, team_id=team_id, query=query, offset=offset)
