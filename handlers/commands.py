"""`/postmortem …`: parse the subcommand and hand it to its handler; help for anything else."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import parse_command
from bot.ids import COMMAND
from bot.ui.help import help_blocks, help_text
from handlers import incident_commands, timeline_commands
from handlers.context import CommandHandler, CommandRequest

ROUTES: dict[str, CommandHandler] = {**incident_commands.ROUTES, **timeline_commands.ROUTES}


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(postmortem)


async def postmortem(
    ack: AsyncAck,
    respond: AsyncRespond,
    command: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    parsed = parse_command(command.get("text"))
    route = ROUTES.get(parsed.name)
    if route is not None:
        await route(
            CommandRequest(
                args=parsed.args,
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
            )
        )
        return
    if parsed.known and parsed.name != "help":
        await ack(
            response_type="ephemeral",
            text=f"`{COMMAND} {parsed.name}` is not available in this version of Hindsight yet.",
        )
        return
    unknown = parsed.name if parsed.name and not parsed.known else None
    await ack(
        response_type="ephemeral",
        text=help_text(unknown=unknown),
        blocks=help_blocks(unknown=unknown),
    )
