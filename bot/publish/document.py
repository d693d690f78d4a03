"""Everything a postmortem document shows, loaded in a few queries, and its response times.

`load_postmortem` reads the incident's retrospective (its contributing factors eagerly), action
items, timeline (the marked and hand-added events, or the full log) with every mark, and the
cached names of everyone it mentions. Every query filters on the incident's team. The timeline
is read as plain rows into small frozen records (`Event`, `Mark`), not ORM objects: an export of
10,000 events spends its time on the rows, not on identity maps and instrumented attributes.

Time to detect / mitigate / resolve are measured from the incident's start to a moment taken,
in this order, from: the event the retrospective picked for that kind (a `retro:<kind>` mark),
the earliest event marked with that kind, or the incident's own `detected_at` / `mitigated_at` /
`resolved_at` (set when the status moves to monitoring or resolved). The first two are what the
retrospective's timeline step shows, so the document and the modal agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload, with_loader_criteria

from bot.timeline.query import cached_names, marked_or_manual
from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
    Incident,
    Retrospective,
    TimelineEvent,
    TimelineMark,
)

# kind of mark → (the incident's column, the verb in "time to …")
MILESTONES: dict[str, tuple[str, str]] = {
    "detection": ("detected_at", "detect"),
    "mitigation": ("mitigated_at", "mitigate"),
    "resolution": ("resolved_at", "resolve"),
}
RETRO_PICK = "retro:"  # the reaction of a mark made by the retrospective's timeline step
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
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


class Mark(NamedTuple):
    kind: str  # key_event, detection, mitigation, …
    reaction: str  # "" when not by a reaction; `retro:<kind>` when picked in the retro
    marked_by: str
    note: str | None
    created_at: datetime


class Event(NamedTuple):
    """One timeline event with its marks (oldest first). `text` and `files` may still hold a
    deleted message's content in a row: readers go by `deleted`, never by `text is None`.
    Named tuples: built 10,000 at a time, several times faster than frozen dataclasses."""

    id: int
    source: EventSource
    channel_id: str | None
    ts: str | None
    thread_ts: str | None
    author_id: str | None
    author_name: str | None
    text: str | None
    files: list[dict[str, str]]
    occurred_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    marks: tuple[Mark, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The distinct kinds this event was marked with, in marking order."""
        return tuple(dict.fromkeys(mark.kind for mark in self.marks))

    @property
    def shown_in_document(self) -> bool:
        """Marked, or added by hand (put there on purpose)."""
        return bool(self.marks) or self.source == EventSource.MANUAL


@dataclass(frozen=True, slots=True)
class Milestone:
    """When the incident was detected, mitigated or resolved, and how long after the start."""

    kind: str  # detection, mitigation, resolution
    verb: str  # detect, mitigate, resolve
    at: datetime | None
    basis: str | None  # "retrospective", "marked" or "incident"; None when unknown
    since_start: timedelta | None


@dataclass(frozen=True, slots=True)
class Postmortem:
    incident: Incident
    retro: Retrospective | None
    factors: list[ContributingFactor]
    action_items: list[ActionItem]
    events: list[Event]  # in time order: the marked and hand-added ones, or all
    milestones: dict[str, Milestone]  # by kind, in MILESTONES order
    names: dict[str, str]  # user id → display name, for the cached users only

    def name(self, user_id: str | None, *, default: str = "—") -> str:
        """A person's display name, their raw id when the cache doesn't know them."""
        if not user_id:
            return default
        return self.names.get(user_id, user_id)


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


def people_in(events: Iterable[Event]) -> set[str]:
    """User ids worth a name: authors (not integrations), markers, and `<@U…>` mentions in the
    texts still shown (a deleted message's are not)."""
    found: set[str] = set()
    for event in events:
        if event.author_id and not event.author_name:
            found.add(event.author_id)
        found.update(mark.marked_by for mark in event.marks)
        if event.text and not event.deleted and "<@" in event.text:
            found.update(MENTIONED.findall(event.text))
    return {user_id for user_id in found if user_id[:1] in ("U", "W")}


def milestones(incident: Incident, events: Sequence[Event]) -> dict[str, Milestone]:
    """Detection, mitigation and resolution, each with its time since the start (pure)."""
    picked: dict[str, datetime] = {}
    marked: dict[str, datetime] = {}
    for event in events:  # in time order: the first seen is the earliest
        for mark in event.marks:
            if mark.kind not in MILESTONES:
                continue
            marked.setdefault(mark.kind, event.occurred_at)
            if mark.reaction == RETRO_PICK + mark.kind:
                picked.setdefault(mark.kind, event.occurred_at)
    found: dict[str, Milestone] = {}
    for kind, (column, verb) in MILESTONES.items():
        at, basis = picked.get(kind), "retrospective"
        if at is None:
            at, basis = marked.get(kind), "marked"
        if at is None:
            at, basis = getattr(incident, column), "incident"
        found[kind] = Milestone(
            kind=kind,
            verb=verb,
            at=at,
            basis=basis if at is not None else None,
            since_start=None if at is None else max(at - incident.started_at, timedelta(0)),
        )
    return found


def duration_text(span: timedelta | None) -> str:
    """`1 h 12 min`, `2 d 3 h`, `0 min`; `—` when unknown."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    return " ".join([*parts, f"{mins} min"]) if mins or not parts else " ".join(parts)
