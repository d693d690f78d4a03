"""Reading an incident's timeline back: for `/postmortem timeline` and for export.

Every query filters on the incident's team. Names come from the user cache (bot.users); links
come from one chat.getPermalink call whose answer shows the workspace's permalink format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFoundError, UserInputError
from bot.timeline.shapes import Message, Permalinks, Timeline, TimelineEntry
from bot.timeline.timeparse import user_zone
from bot.users import display_name, get_user
from models import EventSource, Incident, SlackUser, TimelineEvent, TimelineMark

logger = logging.getLogger(__name__)

IN_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit
PERMALINK_PROBES = 3  # messages tried for the permalink format before giving up on links
# chat.getPermalink errors that mean "no link here", not "something is broken".
LINKLESS = frozenset({"message_not_found", "channel_not_found", "not_in_channel", "is_archived"})
USER_LOOKUP_SECONDS = 2.0  # users.info inside a request Slack wants answered within 3 s


def marked_or_manual(incident: Incident) -> ColumnElement[bool]:
    """Events someone marked, or added by hand (put there on purpose, so they count as marked).

    An IN over the incident's marks, not a correlated EXISTS: without planner statistics (SQLite,
    a fresh PostgreSQL table) EXISTS probed every mark of the team once per event (seconds for
    10,000 events, inside Slack's 3-second window)."""
    marked = (
        select(TimelineMark.event_id)
        .join(TimelineEvent, TimelineEvent.id == TimelineMark.event_id)
        .where(
            TimelineMark.team_id == incident.team_id,
            TimelineEvent.team_id == incident.team_id,
            TimelineEvent.incident_id == incident.id,
        )
    )
    return or_(TimelineEvent.id.in_(marked), TimelineEvent.source == EventSource.MANUAL)


def _selection(incident: Incident, *, everything: bool) -> list[ColumnElement[bool]]:
    conditions = [
        TimelineEvent.team_id == incident.team_id,
        TimelineEvent.incident_id == incident.id,
    ]
    if not everything:
        conditions.append(marked_or_manual(incident))
    return conditions


async def load_timeline(
    *, session: AsyncSession, incident: Incident, everything: bool, limit: int | None = None
) -> Timeline:
    """The incident's events (all, or the marked ones) in time order, each with its marks."""
    conditions = _selection(incident, everything=everything)
    total = await session.scalar(select(func.count(TimelineEvent.id)).where(*conditions))
    query = (
        select(TimelineEvent)
        .where(*conditions)
        .order_by(TimelineEvent.occurred_at, TimelineEvent.ts, TimelineEvent.id)
        .limit(limit)
    )
    events = list(await session.scalars(query))
    marks = await _marks_of(session=session, team_id=incident.team_id, events=events)
    entries = [TimelineEntry(event, tuple(marks.get(event.id, ()))) for event in events]
    return Timeline(
        incident=incident, entries=entries, total=int(total or 0), everything=everything
    )


async def _marks_of(
    *, session: AsyncSession, team_id: str, events: Sequence[TimelineEvent]
) -> dict[int, list[TimelineMark]]:
    found: dict[int, list[TimelineMark]] = {}
    ids = [event.id for event in events]
    for start in range(0, len(ids), IN_CHUNK):
        query = (
            select(TimelineMark)
            .where(
                TimelineMark.team_id == team_id,
                TimelineMark.event_id.in_(ids[start : start + IN_CHUNK]),
            )
            .order_by(TimelineMark.created_at, TimelineMark.id)
        )
        for mark in await session.scalars(query):
            found.setdefault(mark.event_id, []).append(mark)
    return found


def people_in(timeline: Timeline) -> set[str]:
    """User ids worth a name: authors and markers (bot ids and integrations excluded)."""
    ids: set[str] = set()
    for entry in timeline.entries:
        if entry.event.author_id and not entry.event.author_name:
            ids.add(entry.event.author_id)
        ids.update(mark.marked_by for mark in entry.marks)
    return {user_id for user_id in ids if user_id[:1] in ("U", "W")}


async def resolve_names(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    user_ids: Iterable[str],
    now: datetime,
) -> dict[str, str]:
    """Display names through users.info, cached in slack_users; an unknown user keeps its id.
    Each refreshed cache row is its own short transaction: no write lock is held across the
    next users.info."""
    return {
        user.user_id: display_name(user.found, user.user_id)
        for user in await _people(
            sessions=sessions, client=client, team_id=team_id, user_ids=user_ids, now=now
        )
    }


@dataclass(frozen=True, slots=True)
class _Person:
    user_id: str
    found: SlackUser | None  # None: left the workspace or never existed


async def _people(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    user_ids: Iterable[str],
    now: datetime,
) -> list[_Person]:
    people = []
    for user_id in sorted(set(user_ids)):
        async with sessions() as session:
            try:
                user = await get_user(
                    session=session, client=client, team_id=team_id, user_id=user_id, now=now
                )
            except NotFoundError:
                user = None  # show the id, not an error
            await session.commit()
        people.append(_Person(user_id, user))
    return people


async def cached_names(
    *, session: AsyncSession, team_id: str, user_ids: Iterable[str]
) -> dict[str, str]:
    """Names from the cache alone (export runs without Slack); missing users are left out."""
    wanted = sorted(set(user_ids))
    names: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(SlackUser).where(
            SlackUser.team_id == team_id, SlackUser.user_id.in_(wanted[start : start + IN_CHUNK])
        )
        for user in await session.scalars(query):
            names[user.user_id] = display_name(user, user.user_id)
    return names


async def learn_permalinks(*, client: AsyncWebClient, timeline: Timeline) -> Permalinks | None:
    """Ask Slack for one message's permalink and build the rest from it (not one call each)."""
    return await permalink_format(
        client=client, messages=[entry.event for entry in timeline.entries]
    )


async def permalink_format(
    *, client: AsyncWebClient, messages: Iterable[Message]
) -> Permalinks | None:
    """The workspace's permalink format, from one chat.getPermalink about one of these messages.

    A message deleted in Slack since it was captured answers `message_not_found`; the next one
    is tried. None (no links) when no captured message is left to ask about."""
    probes = [m for m in messages if m.ts and m.channel_id and m.deleted_at is None]
    for message in probes[:PERMALINK_PROBES]:
        try:
            response = await client.chat_getPermalink(
                channel=message.channel_id, message_ts=message.ts
            )
        except SlackApiError as error:
            code = error.response.get("error")
            if code not in LINKLESS:
                raise
            logger.info("no permalink for %s %s: %s", message.channel_id, message.ts, code)
            if code == "message_not_found":
                continue  # deleted in Slack since: ask about the next one
            return None  # the channel itself is out of reach: show the timeline without links
        return Permalinks.from_permalink(str(response.get("permalink") or ""))
    return None


async def viewer_zone(
    *, session: AsyncSession, client: AsyncWebClient, team_id: str, user_id: str, now: datetime
) -> ZoneInfo:
    """The person's zone (users.info, cached); UTC when Slack doesn't know it. Used before an
    ack, so a slow users.info is given up on with an answer rather than a missed 3 s."""
    try:
        async with asyncio.timeout(USER_LOOKUP_SECONDS):
            person = await get_user(
                session=session, client=client, team_id=team_id, user_id=user_id, now=now
            )
    except TimeoutError:
        raise UserInputError(
            "Slack took too long to tell me your time zone. Please try again."
        ) from None
    return user_zone(person.tz)


@dataclass(frozen=True, slots=True)
class ViewerTimeline:
    """Everything `/postmortem timeline` renders for one person."""

    timeline: Timeline
    names: dict[str, str]
    links: Permalinks | None
    zone: ZoneInfo


async def timeline_for_viewer(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    incident: Incident,
    viewer_id: str,
    everything: bool,
    limit: int,
    now: datetime,
) -> ViewerTimeline:
    """The timeline with names resolved (cached), one permalink call, and the viewer's zone."""
    async with sessions() as session:
        timeline = await load_timeline(
            session=session, incident=incident, everything=everything, limit=limit
        )
    links = await learn_permalinks(client=client, timeline=timeline)
    people = await _people(
        sessions=sessions,
        client=client,
        team_id=incident.team_id,
        user_ids=people_in(timeline) | {viewer_id},
        now=now,
    )
    names = {person.user_id: display_name(person.found, person.user_id) for person in people}
    viewer = next(person.found for person in people if person.user_id == viewer_id)
    zone = user_zone(viewer.tz if viewer is not None else None)
    return ViewerTimeline(timeline=timeline, names=names, links=links, zone=zone)
