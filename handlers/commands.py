"""`/postmortem …`: parse the subcommand and answer; the work happens in bot services."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands import parse_command
from bot.ids import COMMAND
from bot.ui.help import help_blocks, help_text


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(postmortem)


async def postmortem(ack: AsyncAck, command: dict[str, str]) -> None:
    parsed = parse_command(command.get("text"))
    if parsed.name in ("", "help") or not parsed.known:
        unknown = parsed.name if parsed.name and not parsed.known else None
        await ack(
            response_type="ephemeral",
            text=help_text(unknown=unknown),
            blocks=help_blocks(unknown=unknown),
        )
        return
    await ack(
        response_type="ephemeral",
        text=f"`{COMMAND} {parsed.name}` is not available in this version of Hindsight yet.",
    )
