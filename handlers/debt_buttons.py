"""The postmortem-debt DM's buttons: "Start retrospective" (the retrospective opens as
`/postmortem retro` opens it in the incident's channel) and "No postmortem needed" (a modal asks
why; the reason is checked before the ack, on its field; then the DM loses its buttons)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HindsightError
from bot.followup import debt_actions
from bot.followup.show import saved
from bot.ids import Debt, parse_row_id
from bot.ui.debt import (
    DebtPlace,
    already_settled_text,
    not_needed_modal,
    not_needed_reason,
    settled_message,
)
from bot.ui.feedback import error_modal
from handlers.context import CommandRequest, team_id_of
from handlers.item_buttons import who
from handlers.retro import open_retro
from models import Incident


def register(app: AsyncApp) -> None:
    """Wire this module's listeners onto the app."""
    app.action(Debt.START_RETRO)(start_retro)
    app.action(Debt.NOT_NEEDED)(open_not_needed)
    app.view(Debt.NOT_NEEDED_CALLBACK)(submit_not_needed)


def pressed(body: dict[str, Any], action: dict[str, Any]) -> DebtPlace:
    """The incident a button names, and the message it sits in."""
    incident_id = parse_row_id(action.get("value"))
    if incident_id is None:
        raise HindsightError("That button is out of date.")
    container = body.get("container") or {}
    if container.get("type") != "message":
        return DebtPlace(incident_id)
    return DebtPlace(incident_id, container.get("channel_id"), container.get("message_ts"))


async def start_retro(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Exactly what `/postmortem retro` does in the incident's channel (one quick read first)."""
    place, team_id = pressed(body, action), team_id_of(body)
    channel_id = await saved(
        context["sessions"],
        debt_actions.retro_channel,
        team_id=team_id,
        incident_id=place.incident_id,
    )
    command = {
        "team_id": team_id,
        "user_id": body["user"]["id"],
        "channel_id": channel_id,
        "trigger_id": body["trigger_id"],
    }
    request = CommandRequest.from_command(
        command, args="", ack=ack, respond=respond, client=client, context=context
    )
    await open_retro(request)


async def open_not_needed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    """Check the presser may decide (a refusal is the answer), then open the modal at once."""
    place, (team_id, user_id) = pressed(body, action), (team_id_of(body), body["user"]["id"])
    incident = await saved(
        context["sessions"],
        debt_actions.open_decision,
        team_id=team_id,
        incident_id=place.incident_id,
        actor_id=user_id,
    )
    if debt_actions.settled(incident):
        await ack()
        await respond(
            text=already_settled_text(incident), response_type="ephemeral", replace_original=False
        )
        return
    await client.views_open(trigger_id=body["trigger_id"], view=not_needed_modal(incident, place))
    await ack()


async def submit_not_needed(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The reason is checked before the ack (required, on its field); then the DM is redrawn."""
    place, (team_id, user_id) = DebtPlace.from_metadata(view.get("private_metadata")), who(body)
    now = context["clock"]()
    marked = await saved(
        context["sessions"],
        debt_actions.mark_not_needed,
        team_id=team_id,
        incident_id=place.incident_id,
        actor_id=user_id,
        reason=not_needed_reason(view),
        now=now,
        field=Debt.NOT_NEEDED_REASON,
    )
    if not marked.changed:
        notice = error_modal(already_settled_text(marked.incident))
        await ack(response_action="update", view=notice)
        return
    await ack()
    zone = context["settings"].working_hours.zone
    await redraw_dm(client, place, marked.incident, now=now, zone=zone)


async def redraw_dm(
    client: AsyncWebClient, place: DebtPlace, incident: Incident, *, now: datetime, zone: tzinfo
) -> None:
    """The DM the button was pressed in, without its buttons, saying what was decided."""
    if place.channel_id is None or place.ts is None:
        return
    blocks = settled_message(incident, now=now, zone=zone)
    text = f"{incident.ref}: no postmortem needed."
    await client.chat_update(channel=place.channel_id, ts=place.ts, text=text, blocks=blocks)
