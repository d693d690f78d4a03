"""What a subcommand handler gets: the parsed command and the tools to answer it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.incidents.lifecycle import require_by_channel
from bot.installation import payload_team_id
from bot.tasks import TaskSet
from bot.users import Rosters
from models import Incident


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
    background: TaskSet  # the runtime's tasks for work after the ack (Runtime.backfills)
    rosters: Rosters  # the runtime's users.list fills

    @classmethod
    def from_command(
        cls,
        command: dict[str, Any],
        *,
        args: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> CommandRequest:
        """A slash command's payload and the runtime's tools (from the Bolt context)."""
        return cls(
            args=args,
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            trigger_id=command.get("trigger_id", ""),
            ack=ack,
            respond=respond,
            client=client,
            sessions=context["sessions"],
            settings=context["settings"],
            clock=context["clock"],
            background=context["backfills"],
            rosters=context["rosters"],
        )


CommandHandler = Callable[[CommandRequest], Awaitable[None]]


def team_id_of(body: dict[str, Any]) -> str:
    """The workspace an interaction came from, also when Slack sends `team: null` (org-wide
    installs); requests without one were refused before any listener ran."""
    return payload_team_id(body) or ""


async def incident_here(request: CommandRequest) -> Incident:
    """The incident of the channel the command was typed in; refused (answered in the ack)
    anywhere else."""
    async with request.sessions() as session:
        return await require_by_channel(
            session=session, team_id=request.team_id, channel_id=request.channel_id
        )
