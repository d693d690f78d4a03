"""Bolt listeners for actions."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.ids import Header, Publish
from bot.incidents import channels
from bot.incidents.lifecycle import Field
from handlers.context import CommandRequest, team_id_of
from handlers.retro import open_retro

# The header message's controls and what each changes.
HEADER_FIELDS = {
    Header.STATUS: Field.STATUS,
    Header.SEVERITY: Field.SEVERITY,
    Header.COMMANDER: Field.COMMANDER,
    Header.FACILITATOR: Field.FACILITATOR,
}


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    for action_id in HEADER_FIELDS:
        app.action(action_id)(change_from_header)
    app.action(Publish.START_RETRO)(start_retro)


def header_choice(action: dict[str, Any]) -> tuple[Field, str]:
    """What a header control was set to: a status or severity value, or a user id."""
    chosen = action.get("selected_user") or (action.get("selected_option") or {}).get("value")
    return HEADER_FIELDS[Header(action["action_id"])], str(chosen or "")


async def change_from_header(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """The same change as the slash commands, saved before the ack; then the header follows."""
    team_id, channel_id, sessions = team_id_of(body), body["channel"]["id"], context["sessions"]
    saved = await channels.change_in_channel(
        sessions=sessions,
        client=client,
        team_id=team_id,
        channel_id=channel_id,
        actor_id=body["user"]["id"],
        read=lambda: header_choice(body["actions"][0]),
        now=context["clock"](),
    )
    await ack()
    await channels.show_change(
        client=client, sessions=sessions, team_id=team_id, channel_id=channel_id, change=saved
    )


async def start_retro(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """The header's "Start retrospective": exactly what `/postmortem retro` does."""
    command = {
        "team_id": team_id_of(body),
        "user_id": body["user"]["id"],
        "channel_id": body["channel"]["id"],
        "trigger_id": body["trigger_id"],
    }
    await open_retro(
        CommandRequest.from_command(
            command, args="", ack=ack, respond=respond, client=client, context=context
        )
    )
