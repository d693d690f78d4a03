"""Everything a postmortem document shows, loaded in a few queries, and its response times.

`load_postmortem` reads the incident's retrospective (its contributing factors eagerly), action
items, timeline (the marked and hand-added events, or the full log) with every mark, and the
cached names of everyone it mentions. Every query filters on the incident's team. The timeline
is read as plain rows into small frozen records (`Event`, `Mark`), not ORM objects: an export of
10,000 events spends its time on the rows, not on identity maps and instrumented attributes.
The shapes themselves, and the response times worked out from them, are in bot/publish/shapes.py.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Select, Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload, with_loader_criteria

from bot.publish.shapes import (
    AFTER_CHANGE,
    ALERT,
    BEFORE_CHANGE,
    FIRST_REPORT,
    PICKS_AT_MOST,
    Event,
    Mark,
    Postmortem,
    in_time_order,
    milestones,
    needs_condensing,
    people_in,
    pick_from_channel,
)
from bot.timeline.query import cached_names, marked_or_manual, permalink_format
from bot.users import store_user
from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
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
ORDER = (TimelineEvent.occurred_at, TimelineEvent.ts, TimelineEvent.id)
NEWEST_FIRST = (TimelineEvent.occurred_at.desc(), TimelineEvent.ts.desc(), TimelineEvent.id.desc())
CHANGES_LOOKED_AROUND = 10  # status changes whose neighbouring messages the condensed view shows
logger = logging.getLogger(__name__)
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
    picked: dict[int, str] = {}
    if not everything and needs_condensing(events):
        picks = await _channel_view(session=session, incident=incident, shown=events)
        picked = {event.id: why for event, why in picks}
        events = in_time_order([*events, *(event for event, _ in picks)])
    wanted = _people(incident, retro, action_items) | people_in(events)
    return Postmortem(
        incident=incident,
        retro=retro,
        factors=sorted(retro.factors, key=lambda f: (f.position, f.id)) if retro else [],
        action_items=action_items,
        events=events,
        milestones=milestones(incident, events),
        names=await cached_names(session=session, team_id=team_id, user_ids=wanted),
        picked=picked,
    )


async def load_events(
    *, session: AsyncSession, incident: Incident, everything: bool
) -> list[Event]:
    """The timeline, however long, in two queries: the events (all, or those the document
    shows: marked, added by hand or recorded by the bot) in time order, then their marks.

    Shapes chosen to stay fast without planner statistics (a fresh PostgreSQL table; SQLite,
    never analyzed): a correlated EXISTS, or a join from marks to events, made both backends
    probe every mark of the team once per event (seconds for 10,000 events)."""
    team_id = incident.team_id
    query = select(*EVENT_COLUMNS).where(
        TimelineEvent.team_id == team_id, TimelineEvent.incident_id == incident.id
    )
    if not everything:
        query = query.where(
            or_(marked_or_manual(incident), TimelineEvent.source == EventSource.SYSTEM)
        )
    rows = (await session.execute(query.order_by(*ORDER))).all()
    marks = await _marks_of(session=session, team_id=team_id, ids=[row[0] for row in rows])
    return [_event(row, marks) for row in rows]


def _event(row: Any, marks: dict[int, list[Mark]]) -> Event:
    *head, files, occurred_at, edited_at, deleted_at = row
    return Event(
        *head,
        json.loads(files) if files and files != "[]" else [],
        occurred_at,
        edited_at,
        deleted_at,
        tuple(marks[head[0]]) if head[0] in marks else (),
    )


async def _channel_view(
    *, session: AsyncSession, incident: Incident, shown: list[Event]
) -> list[tuple[Event, str]]:
    """Messages that tell the story when few were marked: the first report (the first person's
    message), the last message before and the first after each status change, and the alerts
    (messages from other apps), in that order of priority, each a query of a row or a few."""
    live = select(*EVENT_COLUMNS).where(
        TimelineEvent.team_id == incident.team_id,
        TimelineEvent.incident_id == incident.id,
        TimelineEvent.source == EventSource.MESSAGE,
        TimelineEvent.deleted_at.is_(None),
    )
    by_app = or_(TimelineEvent.author_name.is_not(None), TimelineEvent.author_id.like("B%"))
    person = live.where(TimelineEvent.author_name.is_(None), ~TimelineEvent.author_id.like("B%"))
    queries: list[tuple[Select[Any], str]] = [(person.order_by(*ORDER), FIRST_REPORT)]
    changes = [event for event in shown if event.is_status_change][:CHANGES_LOOKED_AROUND]
    for change in changes:
        before = live.where(TimelineEvent.occurred_at < change.occurred_at)
        after = live.where(TimelineEvent.occurred_at >= change.occurred_at)
        queries += [(before.order_by(*NEWEST_FIRST), BEFORE_CHANGE)]
        queries += [(after.order_by(*ORDER), AFTER_CHANGE)]
    candidates: list[tuple[Event, str]] = []
    for query, why in queries:
        row = (await session.execute(query.limit(1))).first()
        candidates += [(_event(row, {}), why)] if row is not None else []
    alerts = await session.execute(live.where(by_app).order_by(*ORDER).limit(PICKS_AT_MOST))
    candidates += [(_event(row, {}), ALERT) for row in alerts]
    return pick_from_channel(shown, candidates)


async def with_links(*, client: AsyncWebClient, pm: Postmortem) -> Postmortem:
    """The postmortem with message links, learned from one chat.getPermalink; without them
    when Slack won't say (the document goes out all the same)."""
    try:
        links = await permalink_format(client=client, messages=pm.events)
    except SlackApiError as error:
        logger.warning("no message links in %s: %s", pm.incident.ref, error.response.get("error"))
        links = None
    return dataclasses.replace(pm, links=links)


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


MAX_NAME_LOOKUPS = 50  # users.info calls one publish may make for names nobody looked up yet


async def learn_missing_names(
    *, session: AsyncSession, client: AsyncWebClient, pm: Postmortem, now: datetime
) -> None:
    """Names for the people the document shows who aren't in the users cache yet (a declarer
    nobody looked up, a quiet responder): asked from users.info first, then stored together,
    so no write waits on Slack. Someone Slack can't tell us about keeps their id."""
    wanted = _people(pm.incident, pm.retro, pm.action_items) | people_in(pm.events)
    missing = sorted(wanted - pm.names.keys())[:MAX_NAME_LOOKUPS]
    found: list[dict[str, Any]] = []
    for user_id in missing:
        try:
            found.append(dict((await client.users_info(user=user_id))["user"]))
        except SlackApiError as error:
            logger.info("no name for %s in the document: %s", user_id, error.response.get("error"))
    for user in found:
        await store_user(session=session, team_id=pm.incident.team_id, user=user, now=now)
    if found:
        names = await cached_names(session=session, team_id=pm.incident.team_id, user_ids=missing)
        pm.names.update(names)


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
