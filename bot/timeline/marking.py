"""Marking a message by hand ("Add to timeline"): which message, in which incident, by whom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import NotFoundError, UserInputError
from bot.incidents.lifecycle import require_by_channel
from bot.timeline.events import MARK_KINDS, mark_event
from bot.timeline.messages import CapturedMessage, StoreMessage
from bot.timeline.query import resolve_names
from bot.timeline.writer import CaptureWriter
from models import Incident, TimelineEvent

NOT_CONTENT = (
    "Only what people and integrations post is part of the timeline; Hindsight's own messages "
    "and channel notices can't be added."
)


def mark_kinds(reaction_kinds: Mapping[str, str]) -> tuple[str, ...]:
    """The built-in kinds, then any other kind the TIMELINE_REACTIONS map gives."""
    return tuple(dict.fromkeys([*MARK_KINDS, *reaction_kinds.values()]))


@dataclass(frozen=True, slots=True)
class MarkTarget:
    incident: Incident
    message: CapturedMessage
    author: str  # a plain display name, for the modal


async def take_for_marking(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    capture: CaptureWriter,
    team_id: str,
    channel_id: str,
    message: CapturedMessage | None,
    now: datetime,
) -> MarkTarget:
    """The incident and the message to mark, the message stored (once, ever) in its timeline;
    refused outside an incident channel, and for what is not timeline content (`message` None:
    our own messages, channel notices). Quick enough for a trigger's 3 s: the store is one row
    through the group-commit writer, a name at most one users.info."""
    async with sessions() as session:
        incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    if message is None:
        raise UserInputError(NOT_CONTENT)
    author = await _author(
        sessions=sessions, client=client, team_id=team_id, message=message, now=now
    )
    await capture.submit(incident.id, StoreMessage(message))
    return MarkTarget(incident=incident, message=message, author=author)


async def _author(
    *,
    sessions: async_sessionmaker[AsyncSession],
    client: AsyncWebClient,
    team_id: str,
    message: CapturedMessage,
    now: datetime,
) -> str:
    """A plain display name for the modal: the integration's own, else the person's."""
    author_id = message.author_id or ""
    if message.author_name or not author_id.startswith(("U", "W")):
        return message.author_name or "an integration"
    names = await resolve_names(
        sessions=sessions, client=client, team_id=team_id, user_ids=[author_id], now=now
    )
    return names[author_id]


async def mark_by_hand(
    *,
    sessions: async_sessionmaker[AsyncSession],
    team_id: str,
    channel_id: str,
    ts: str,
    kind: str,
    note: str | None,
    marked_by: str,
) -> TimelineEvent:
    """Mark a stored message with a kind and note, committed; NotFoundError when the message is
    no longer in an incident's timeline."""
    async with sessions() as session, session.begin():
        event = await mark_event(
            session=session,
            team_id=team_id,
            channel_id=channel_id,
            ts=ts,
            kind=kind,
            marked_by=marked_by,
            reaction="",
            note=note,
        )
        if event is None:
            raise NotFoundError(
                "That message isn't in an incident timeline any more, so it couldn't be marked."
            )
    return event
