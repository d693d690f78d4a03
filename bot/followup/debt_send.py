"""Sending for the postmortem-debt pass: one message tried, and the escalation. An escalation
asks the commander by DM (with the same buttons), or, when the commander is the owner (or there
is none), says it in POSTMORTEM_CHANNEL. It counts as done when its message went out, or when
there is nobody to ask (no other commander, no POSTMORTEM_CHANNEL); a failed send is tried again
with the next nudge."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.followup.debt import ClaimedDebt, helper_of
from bot.followup.send_failures import SEND_ERRORS, SendFailure, classify
from bot.ui.debt import escalation_message, escalation_note

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    """A message tried: where it landed, or why not."""

    channel_id: str | None = None
    message_ts: str | None = None
    failure: SendFailure | None = None


async def post(client: AsyncWebClient, **arguments: Any) -> Sent:
    try:
        response = await client.chat_postMessage(**arguments)
    except SEND_ERRORS as error:
        return Sent(failure=classify(error))
    return Sent(response.get("channel"), response.get("ts"))


async def escalate(
    client: AsyncWebClient,
    debt: ClaimedDebt,
    *,
    postmortem_channel: str | None,
    nudges: int,
    zone: tzinfo,
    now: datetime,
) -> tuple[bool, timedelta | None]:
    """Ask for help once the owner has had `nudges` reminders: (escalated, pause when Slack
    rate limited the send)."""
    incident = debt.as_incident()
    helper = helper_of(debt)
    if helper is not None:
        text, blocks = escalation_message(incident, nudges=nudges, now=now, zone=zone)
        arguments: dict[str, Any] = {"channel": helper, "text": text, "blocks": blocks}
    elif postmortem_channel:
        note = escalation_note(incident, nudges=nudges, now=now, zone=zone)
        arguments = {"channel": postmortem_channel, "text": note}
    else:
        log.info("%s's postmortem debt has nobody to escalate to", incident.ref)
        return True, None
    sent = await post(client, **arguments)
    if sent.failure is None:
        return True, None
    log.warning(
        "escalation of %s to %s failed: %s", incident.ref, arguments["channel"], sent.failure.code
    )
    if sent.failure.rate_limited:
        return False, timedelta(seconds=sent.failure.retry_after)
    return False, None
