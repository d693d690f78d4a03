"""`/postmortem declare|status|severity|role`."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.errors import SlackCallError
from bot.incidents import channels
from bot.incidents import lifecycle as incidents
from bot.incidents.lifecycle import Field
from bot.ui.declare import declare_modal, prefill_title
from handlers.action_items import action_command
from handlers.context import CommandHandler, CommandRequest
from handlers.retro import open_retro

ReadChange = Callable[[str], tuple[Field, str]]


async def declare(request: CommandRequest) -> None:
    """Open the declare form first: the trigger_id is only good for 3 seconds."""
    modal = declare_modal(
        title=prefill_title(request.args),
        declared_by=request.user_id,
        channel_id=request.channel_id,
        key=request.settings.slack_signing_secret or "",
    )
    try:
        await request.client.views_open(trigger_id=request.trigger_id, view=modal)
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackCallError(
            f"I couldn't open the declare form (Slack answered `{code}`). Please run "
            "`/postmortem declare` again."
        ) from error
    await request.ack()


async def change(request: CommandRequest, read: ReadChange) -> None:
    """Check and save before the ack (so a refusal is the answer), then update the header."""
    saved = await channels.change_in_channel(
        sessions=request.sessions,
        client=request.client,
        team_id=request.team_id,
        channel_id=request.channel_id,
        actor_id=request.user_id,
        read=lambda: read(request.args),
        now=request.clock(),
    )
    await request.ack(response_type="ephemeral", text=saved.describe())
    await channels.show_change(
        client=request.client,
        sessions=request.sessions,
        team_id=request.team_id,
        channel_id=request.channel_id,
        change=saved,
    )


async def status(request: CommandRequest) -> None:
    await change(request, lambda args: (Field.STATUS, args))


async def severity(request: CommandRequest) -> None:
    await change(request, lambda args: (Field.SEVERITY, args))


async def role(request: CommandRequest) -> None:
    await change(request, incidents.parse_role_command)


ROUTES: dict[str, CommandHandler] = {
    "declare": declare,
    "status": status,
    "severity": severity,
    "role": role,
    "retro": open_retro,
    "action": action_command,
}
