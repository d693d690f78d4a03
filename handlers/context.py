"""What a subcommand handler gets: the parsed command and the tools to answer it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.installation import payload_team_id


@dataclass(frozen=True, slots=True)
class CommandRequest:
    args: str  # the text after the subcommand
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Callable[[], datetime]


CommandHandler = Callable[[CommandRequest], Awaitable[None]]


def team_id_of(body: dict[str, Any]) -> str:
    """The workspace an interaction came from, also when Slack sends `team: null` (org-wide
    installs); requests without one were refused before any listener ran."""
    return payload_team_id(body) or ""
