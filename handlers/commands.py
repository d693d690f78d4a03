"""`/postmortem …`: parse the subcommand and hand it to its handler; help for anything else."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import ParsedCommand, parse_command
from bot.ids import COMMAND
from bot.ui.help import help_blocks, help_text
from handlers import incident_commands, search_commands, stats_commands, timeline_commands
from handlers.context import CommandHandler, CommandRequest

ROUTES: dict[str, CommandHandler] = {
    **incident_commands.ROUTES,
    **timeline_commands.ROUTES,
    **stats_commands.ROUTES,
    **search_commands.ROUTES,
}


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
    if route is None:
        await ack(**not_routed(parsed))
        return
    request = CommandRequest.from_command(
        command, args=parsed.args, ack=ack, respond=respond, client=client, context=context
    )
    await route(request)


def not_routed(parsed: ParsedCommand) -> dict[str, Any]:
    """The ack's answer: a known subcommand that this version lacks, or help."""
    if parsed.known and parsed.name != "help":
        text = f"`{COMMAND} {parsed.name}` is not available in this version of Hindsight yet."
        return {"response_type": "ephemeral", "text": text}
    unknown = parsed.name if parsed.name and not parsed.known else None
    return {
        "response_type": "ephemeral",
        "text": help_text(unknown=unknown),
        "blocks": help_blocks(unknown=unknown),
    }
