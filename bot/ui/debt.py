"""Postmortem debt in Slack: the DM to the owner of a resolved incident whose postmortem is still
not published ("Start retrospective", "No postmortem needed"), the escalation (a DM to the
commander with the same buttons, or a line in POSTMORTEM_CHANNEL), the "No postmortem needed"
modal, and the DM redrawn once the incident is settled. Pure builders, no I/O.

A title is text a person typed: escaped, never live. Each button's value is the incident id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.errors import HindsightError
from bot.followup.cadence import WorkingHours
from bot.followup.debt import owner_of
from bot.followup.shapes import MAX_REASON
from bot.ids import Debt, parse_row_id
from bot.ui.blocks import context, section
from bot.ui.reminder import working_hours_text
from bot.ui.state import ViewState
from bot.ui.text import clip, escape, slack_date
from models import Incident, PostmortemState

MAX_TITLE_SHOWN = 200
STATE_TEXT = {
    PostmortemState.NONE: "no retrospective has started",
    PostmortemState.DRAFT: "a draft is started",
    PostmortemState.IN_REVIEW: "it is in review",
}
SHORT_STATE = {
    PostmortemState.NONE: "retrospective not started",
    PostmortemState.DRAFT: "retrospective in draft",
    PostmortemState.IN_REVIEW: "retrospective in review",
}


def incident_block_id(incident_id: int) -> str:
    return f"{Debt.INCIDENT}.{incident_id}"


def controls_block_id(incident_id: int) -> str:
    return f"{Debt.INCIDENT}.{incident_id}.do"


def resolved_ago(incident: Incident, *, now: datetime, zone: tzinfo) -> str:
    """Today, yesterday or N days ago, counted in the reader's zone."""
    assert incident.resolved_at is not None
    return _days_ago(now.astimezone(zone).date(), incident.resolved_at.astimezone(zone).date())


def _days_ago(today: date, day: date) -> str:
    days = (today - day).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def owed_line(incident: Incident, *, today: date) -> str:
    """One owed postmortem in a list (App Home, the digest): what, where, since when, who is
    reminded. `today` is the reader's."""
    assert incident.resolved_at is not None
    where = f" · <#{incident.channel_id}>" if incident.channel_id else ""
    ago = _days_ago(today, incident.resolved_at.date())
    state = SHORT_STATE.get(incident.postmortem_state, "")
    return (
        f"• *{incident.ref}: {_title(incident)}*{where} · resolved {ago} · {state} · "
        f"<@{owner_of(incident)}> reminded"
    )


def _title(incident: Incident) -> str:
    return escape(clip(incident.title, MAX_TITLE_SHOWN))


def incident_text(incident: Incident, *, now: datetime, zone: tzinfo) -> str:
    """*INC-7 · Checkout errors* (SEV2) was resolved 7 days ago (on …); what became of it."""
    assert incident.resolved_at is not None
    on = slack_date(
        incident.resolved_at,
        tokens="{date_short_pretty}",
        fallback=incident.resolved_at.strftime("%Y-%m-%d"),
    )
    state = STATE_TEXT.get(incident.postmortem_state, "")
    return (
        f":memo: *{incident.ref} · {_title(incident)}* ({incident.severity}) was resolved "
        f"{resolved_ago(incident, now=now, zone=zone)} ({on}) and its postmortem isn't "
        f"published yet: {state}."
    )


def debt_controls(incident: Incident) -> ActionsBlock:
    value = str(incident.id)
    return ActionsBlock(
        block_id=controls_block_id(incident.id),
        elements=[
            ButtonElement(
                text="Start retrospective",
                action_id=Debt.START_RETRO,
                value=value,
                style="primary",
            ),
            ButtonElement(text="No postmortem needed", action_id=Debt.NOT_NEEDED, value=value),
        ],
    )


def _role(incident: Incident, owner_id: str) -> str:
    if owner_id == incident.facilitator_id:
        return "You're its facilitator"
    if owner_id == incident.commander_id:
        return "You're its commander (it has no facilitator)"
    return "You declared it (it has no facilitator or commander)"


def debt_message(
    incident: Incident, *, now: datetime, hours: WorkingHours
) -> tuple[str, list[dict[str, Any]]]:
    """The owner's DM: the incident, the ask, the two buttons."""
    owner_id = owner_of(incident)
    ask = (
        f"{_role(incident, owner_id)}: could you get the retrospective going while people "
        "still remember what happened?"
    )
    footer = (
        f"Reminders come only in your working hours ({working_hours_text(hours)}). If this "
        "incident needs no postmortem, say why with *No postmortem needed* and they stop."
    )
    blocks: list[Block] = [
        section(
            incident_block_id(incident.id),
            f"{incident_text(incident, now=now, zone=hours.zone)}\n{ask}",
        ),
        debt_controls(incident),
        context(Debt.FOOTER, footer),
    ]
    ago = resolved_ago(incident, now=now, zone=hours.zone)
    text = (
        f"{incident.ref} '{_title(incident)}' was resolved {ago}; its postmortem isn't written yet."
    )
    return clip(text, 3000), [block.to_dict() for block in blocks]


def _reminders(nudges: int) -> str:
    return f"{nudges} reminder{'' if nudges == 1 else 's'}"


def escalation_message(
    incident: Incident, *, nudges: int, now: datetime, zone: tzinfo
) -> tuple[str, list[dict[str, Any]]]:
    """The DM asking the commander to help (the owner has had `nudges` reminders), with the
    same buttons: either is a fine outcome."""
    owner = f"<@{owner_of(incident)}>"
    intro = (
        f"Could you help get this postmortem written? {owner} has had {_reminders(nudges)}. "
        "Starting the retrospective together, or deciding it needs no postmortem (with a "
        "reason), are both fine outcomes."
    )
    blocks: list[Block] = [
        section(Debt.ESCALATION_INTRO, intro),
        section(incident_block_id(incident.id), incident_text(incident, now=now, zone=zone)),
        debt_controls(incident),
    ]
    text = f"Could you help get the postmortem of {incident.ref} '{_title(incident)}' written?"
    return clip(text, 3000), [block.to_dict() for block in blocks]


def escalation_note(incident: Incident, *, nudges: int, now: datetime, zone: tzinfo) -> str:
    """The line posted in POSTMORTEM_CHANNEL when the owner is also the commander."""
    ago = resolved_ago(incident, now=now, zone=zone)
    return clip(
        f"{incident.ref} '{_title(incident)}' was resolved {ago} and its postmortem isn't "
        f"written yet; <@{owner_of(incident)}> has had {_reminders(nudges)}. Could someone help "
        "get the retrospective going, or decide it needs no postmortem?",
        3000,
    )


def settled_message(incident: Incident, *, now: datetime, zone: tzinfo) -> list[dict[str, Any]]:
    """The DM once the incident was marked as needing no postmortem: no buttons any more."""
    by = f"<@{incident.no_postmortem_by}>" if incident.no_postmortem_by else "someone"
    reason = escape(clip(incident.no_postmortem_reason or "", 1000))
    blocks: list[Block] = [
        section(incident_block_id(incident.id), incident_text(incident, now=now, zone=zone)),
        context(Debt.SETTLED, f":white_check_mark: No postmortem needed, said {by}: _{reason}_"),
    ]
    return [block.to_dict() for block in blocks]


# ---- "No postmortem needed": the modal ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DebtPlace:
    """The incident, and the DM its button was pressed in (to redraw it), if any."""

    incident_id: int
    channel_id: str | None = None
    ts: str | None = None

    def to_metadata(self) -> str:
        return json.dumps({"incident": self.incident_id, "channel": self.channel_id, "ts": self.ts})

    @classmethod
    def from_metadata(cls, metadata: str | None) -> DebtPlace:
        try:
            data = json.loads(metadata or "")
            incident_id = parse_row_id(data["incident"])
            if incident_id is None:
                raise ValueError("not an incident id")
            channel, ts = data.get("channel"), data.get("ts")
            if channel is None or ts is None:
                return cls(incident_id)
            return cls(incident_id, str(channel), str(ts))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HindsightError("This form is out of date; press the button again.") from None


def not_needed_modal(incident: Incident, place: DebtPlace) -> View:
    return View(
        type="modal",
        callback_id=Debt.NOT_NEEDED_CALLBACK,
        title=PlainTextObject(text="No postmortem needed"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=place.to_metadata(),
        blocks=[
            section(Debt.INCIDENT, f"*{incident.ref} · {_title(incident)}* ({incident.severity})"),
            InputBlock(
                block_id=Debt.NOT_NEEDED_REASON,
                label="Why does it need no postmortem?",
                hint="Kept with the incident and in the audit log; the reminders stop.",
                element=PlainTextInputElement(
                    action_id=Debt.NOT_NEEDED_REASON,
                    multiline=True,
                    max_length=MAX_REASON,
                    placeholder="A false alarm: the alert fired on the staging cluster",
                ),
            ),
        ],
    )


def not_needed_reason(view: dict[str, Any]) -> str | None:
    """The reason typed in the modal (untrimmed)."""
    return ViewState(view).text(Debt.NOT_NEEDED_REASON) or None


def already_settled_text(incident: Incident) -> str:
    """The answer to a button on an incident whose debt is settled already."""
    if incident.postmortem_state is PostmortemState.PUBLISHED:
        return f"{incident.ref}'s postmortem is published already; nothing changed."
    by = f" by <@{incident.no_postmortem_by}>" if incident.no_postmortem_by else ""
    return f"{incident.ref} was already marked as needing no postmortem{by}; nothing changed."
