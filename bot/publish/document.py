"""Everything a postmortem document shows, loaded in a few queries, and its response times.

`load_postmortem` reads the incident's retrospective (its contributing factors eagerly), action
items, timeline (the marked and hand-added events, or the full log) with every mark, and the
cached names of everyone it mentions. Every query filters on the incident's team. The timeline
is read as plain rows into small frozen records (`Event`, `Mark`), not ORM objects: an export of
10,000 events spends its time on the rows, not on identity maps and instrumented attributes.
The shapes themselves, and the response times worked out from them, are in bot/publish/shapes.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload, with_loader_criteria

from bot.publish.shapes import Event, Mark, Postmortem, milestones, people_in
from bot.timeline.query import cached_names, marked_or_manual
from models import (
    ActionItem,
    ContributingFactor,
    Incident,
    Retrospective,
    TimelineEvent,
    TimelineMark,
)

EVENT_COLUMNS = (
    TimelineEvent.id,
    TimelineEvent.source,
    TimelineEvent.channel_id,
    TimelineEvent.ts,
    TimelineEvent.thread_ts,
    TimelineEvent.author_id,
    TimelineEvent.author_name,
    TimelineEvent.text,
    # As text: decoding 10,000 empty lists is most of the load; `Event` decodes the others.
    cast(TimelineEvent.files, Text).label("files"),
    TimelineEvent.occurred_at,
    TimelineEvent.edited_at,
    TimelineEvent.deleted_at,
)
MARK_COLUMNS = (
    TimelineMark.event_id,
    TimelineMark.kind,
    TimelineMark.reaction,
    TimelineMark.marked_by,
    TimelineMark.note,
    TimelineMark.created_at,
)


async def load_postmortem(
    *, session: AsyncSession, incident: Incident, everything: bool = False
) -> Postmortem:
    """The incident's whole postmortem; `everything` loads the full log instead of the
    marked (and hand-added) events the document shows."""
    team_id = incident.team_id
    retro = await session.scalar(
        select(Retrospective)
        .where(Retrospective.team_id == team_id, Retrospective.incident_id == incident.id)
        .options(
            selectinload(Retrospective.factors),
            with_loader_criteria(ContributingFactor, ContributingFactor.team_id == team_id),
        )
    )
    items = await session.scalars(
        select(ActionItem)
        .where(ActionItem.team_id == team_id, ActionItem.incident_id == incident.id)
        .order_by(ActionItem.id)
    )
    action_items = list(items)
    events = await load_events(session=session, incident=incident, everything=everything)
    wanted = _people(incident, retro, action_items) | people_in(events)
    return Postmortem(
        incident=incident,
        retro=retro,
        factors=sorted(retro.factors, key=lambda f: (f.position, f.id)) if retro else [],
        action_items=action_items,
        events=events,
        milestones=milestones(incident, events),
        names=await cached_names(session=session, team_id=team_id, user_ids=wanted),
    )


async def load_events(
    *, session: AsyncSession, incident: Incident, everything: bool
) -> list[Event]:
    """The timeline, however long, in two queries: the events (all, or those marked or added by
    hand) in time order, then their marks.

    Shapes chosen to stay fast without planner statistics (a fresh PostgreSQL table; SQLite,
    never analyzed): a correlated EXISTS, or a join from marks to events, made both backends
    probe every mark of the team once per event (seconds for 10,000 events)."""
    team_id = incident.team_id
    query = select(*EVENT_COLUMNS).where(
        TimelineEvent.team_id == team_id, TimelineEvent.incident_id == incident.id
    )
    if not everything:
        query = query.where(marked_or_manual(incident))
    order = (TimelineEvent.occurred_at, TimelineEvent.ts, TimelineEvent.id)
    rows = (await session.execute(query.order_by(*order))).all()
    marks = await _marks_of(session=session, team_id=team_id, ids=[row[0] for row in rows])
    no_marks: tuple[Mark, ...] = ()
    return [
        Event(
            *head,
            json.loads(files) if files and files != "[]" else [],
            occurred_at,
            edited_at,
            deleted_at,
            tuple(marks[head[0]]) if head[0] in marks else no_marks,
        )
        for *head, files, occurred_at, edited_at, deleted_at in rows
    ]


async def _marks_of(
    *, session: AsyncSession, team_id: str, ids: list[int]
) -> dict[int, list[Mark]]:
    """The marks of these events in one query over their id range (two parameters, where an
    IN list of 10,000 ids costs more to send than to run); marks of other events in the range
    are dropped here."""
    if not ids:
        return {}
    wanted = set(ids)
    found: dict[int, list[Mark]] = {}
    rows = await session.execute(
        select(*MARK_COLUMNS)
        .where(TimelineMark.team_id == team_id, TimelineMark.event_id.between(min(ids), max(ids)))
        .order_by(TimelineMark.created_at, TimelineMark.id)
    )
    for event_id, kind, reaction, marked_by, note, created_at in rows:
        if event_id in wanted:
            mark = Mark(kind, reaction, marked_by, note, created_at)
            found.setdefault(event_id, []).append(mark)
    return found


def _people(
    incident: Incident, retro: Retrospective | None, items: Sequence[ActionItem]
) -> set[str]:
    """Everyone the incident, its retrospective and its action items name."""
    ids = [incident.declared_by, incident.commander_id, incident.facilitator_id]
    for item in items:
        ids += [item.owner_id, item.created_by, item.closed_by]
    if retro is not None:
        ids += [retro.last_edited_by, retro.published_by]
    return {user_id for user_id in ids if user_id}
