"""Marking a message by hand ("Add to timeline"): which message, in which incident, by whom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserInputError
from bot.incidents.lifecycle import require_by_channel
from bot.timeline.events import MARK_KINDS
from bot.timeline.messages import CapturedMessage, captured_from_slack
from bot.timeline.query import resolve_names
from models import Incident

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


async def mark_target(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    channel_id: str,
    message: dict[str, Any],
    bot_user_id: str | None,
    bot_id: str | None,
) -> MarkTarget:
    """The incident and the message to mark; refused outside an incident channel, and for what is
    not timeline content (our own messages, channel notices)."""
    incident = await require_by_channel(session=session, team_id=team_id, channel_id=channel_id)
    captured = captured_from_slack(
        message, team_id=team_id, channel_id=channel_id, bot_user_id=bot_user_id, bot_id=bot_id
    )
    if captured is None:
        raise UserInputError(NOT_CONTENT)
    author_id = captured.author_id or ""
    if captured.author_name or not author_id.startswith(("U", "W")):
        author = captured.author_name or "an integration"
    else:
        names = await resolve_names(
            session=session, client=client, team_id=team_id, user_ids=[author_id]
        )
        author = names[author_id]
    return MarkTarget(incident=incident, message=captured, author=author)
