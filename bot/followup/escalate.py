"""Asking for help with an action item that has waited too long (the reminder sweep's
escalation, bot/followup/deliver.py): a DM to the incident's facilitator (or commander) and a
note in the incident channel, each logged as a delivery of kind ESCALATION."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.followup.after_send import working_days_between
from bot.followup.cadence import WorkingHours
from bot.followup.pending import Sent
from bot.followup.send_failures import SEND_ERRORS, classify
from bot.ui.reminder import escalation_message, escalation_note
from models import ActionItem, DeliveryKind, Incident, ReminderDelivery

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Escalation:
    escalated: bool = False
    rate_limited: timedelta | None = None
    rows: list[ReminderDelivery] = field(default_factory=list)


async def post(client: AsyncWebClient, **arguments: Any) -> Sent:
    try:
        response = await client.chat_postMessage(**arguments)
    except SEND_ERRORS as error:
        return Sent(failure=classify(error))
    return Sent(response.get("channel"), response.get("ts"))


def _delivery(
    team_id: str, item_id: int, recipient_id: str, sent: Sent, now: datetime
) -> ReminderDelivery:
    return ReminderDelivery(
        team_id=team_id,
        action_item_id=item_id,
        recipient_id=recipient_id,
        kind=DeliveryKind.ESCALATION,
        channel_id=sent.channel_id,
        message_ts=sent.message_ts,
        error=sent.failure.code if sent.failure else None,
        sent_at=now,
    )


async def escalate(
    client: AsyncWebClient,
    item: ActionItem,
    incident: Incident,
    *,
    hours: WorkingHours,
    today: date,
    now: datetime,
) -> Escalation:
    """Ask the facilitator (or the commander) to help, and say so in the incident channel.
    Escalated when either message went out; otherwise it is tried again at the next nudge."""
    escalation = Escalation()
    for recipient, arguments in _escalation_messages(item, incident, hours, today, now):
        sent = await post(client, **arguments)
        escalation.rows.append(_delivery(item.team_id, item.id, recipient, sent, now))
        if sent.failure is None:
            escalation.escalated = True
            continue
        log.warning("escalation of item %s to %s failed: %s", item.id, recipient, sent.failure.code)
        if sent.failure.rate_limited:
            escalation.rate_limited = timedelta(seconds=sent.failure.retry_after)
    return escalation


def _escalation_messages(
    item: ActionItem, incident: Incident, hours: WorkingHours, today: date, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """(recipient, chat.postMessage arguments): the helper's DM, and the channel's note."""
    helper = next(
        (
            person
            for person in (incident.facilitator_id, incident.commander_id)
            if person and person != item.owner_id
        ),
        None,
    )
    assert item.due_date is not None
    late = working_days_between(item.due_date, today, hours.weekdays)
    sends: list[tuple[str, dict[str, Any]]] = []
    if helper is not None:
        text_, blocks = escalation_message(
            item=item, incident=incident, working_days_late=late, today=today, now=now
        )
        sends.append((helper, {"channel": helper, "text": text_, "blocks": blocks}))
    if incident.channel_id:
        note = escalation_note(
            item=item, incident=incident, helper_id=helper, working_days_late=late
        )
        sends.append((incident.channel_id, {"channel": incident.channel_id, "text": note}))
    return sends
