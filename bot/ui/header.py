"""The incident's header message: pinned in its channel, updated in place on every change.

It shows the title, INC number, status, severity, roles, start (and mitigation/resolution)
times in each viewer's own time zone, services and what happened; its selects change status,
severity and roles (handled in handlers/header_controls.py).
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from bot.ids import Header, Publish
from bot.ui.text import clip, escape, slack_date
from models import Incident, IncidentStatus, PostmortemState, Severity

# The statuses people move an incident through (closing is the postmortem's business).
STATUS_CHOICES: tuple[IncidentStatus, ...] = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
)
STATUS_EMOJI = {
    IncidentStatus.INVESTIGATING: ":mag:",
    IncidentStatus.IDENTIFIED: ":dart:",
    IncidentStatus.MONITORING: ":eyes:",
    IncidentStatus.RESOLVED: ":white_check_mark:",
    IncidentStatus.CLOSED: ":lock:",
}
SEVERITY_MEANING = {
    Severity.SEV1: "critical",
    Severity.SEV2: "major",
    Severity.SEV3: "minor",
    Severity.SEV4: "low",
}
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000


def status_label(status: IncidentStatus) -> str:
    return f"{STATUS_EMOJI[status]} {status.value.capitalize()}"


def severity_label(severity: Severity) -> str:
    return f"{severity.value} ({SEVERITY_MEANING[severity]})"


def person(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_not set_"


def status_option(status: IncidentStatus) -> Option:
    return Option(value=status.value, label=status.value.capitalize())


def severity_option(severity: Severity) -> Option:
    return Option(value=severity.value, label=severity_label(severity))


def header_text(incident: Incident) -> str:
    """Fallback text (notifications, screen readers): mrkdwn, so the title is escaped."""
    return clip(
        f"{incident.ref}: {escape(incident.title)} "
        f"({incident.severity.value}, {incident.status.value})",
        MAX_SECTION_TEXT,
    )


def header_blocks(incident: Incident) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(
            block_id=Header.TITLE, text=clip(f"{incident.ref}: {incident.title}", MAX_HEADER_TEXT)
        ),
        _status_block(incident),
        _severity_block(incident),
        _role_block(Header.COMMANDER, "Commander", incident.commander_id),
        _role_block(Header.FACILITATOR, "Facilitator", incident.facilitator_id),
        SectionBlock(block_id=Header.DETAILS, fields=_details(incident)),
    ]
    if incident.summary:
        summary = clip(escape(incident.summary), MAX_SECTION_TEXT - 20)
        blocks.append(SectionBlock(block_id=Header.SUMMARY, text=f"*What happened*\n{summary}"))
    if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        blocks.append(_retro_block(incident))
    channel = f" in <#{incident.channel_id}>" if incident.channel_id else ""
    blocks.append(
        ContextBlock(
            block_id=Header.FOOTER,
            elements=[
                MarkdownTextObject(
                    text=f"Declared by <@{incident.declared_by}>{channel}. Times are shown in "
                    "your own time zone. Mark key moments with :pushpin:."
                )
            ],
        )
    )
    return blocks


def _retro_block(incident: Incident) -> ActionsBlock:
    """Once resolved: open the retrospective, as `/postmortem retro` does."""
    started = incident.postmortem_state != PostmortemState.NONE
    label = "Open retrospective" if started else "Start retrospective"
    button = ButtonElement(text=label, action_id=Publish.START_RETRO, style="primary")
    return ActionsBlock(block_id=Publish.START_RETRO, elements=[button])


def _status_block(incident: Incident) -> SectionBlock:
    current = incident.status
    return SectionBlock(
        block_id=Header.STATUS,
        text=f"*Status:* {status_label(current)}",
        accessory=StaticSelectElement(
            action_id=Header.STATUS,
            placeholder="Change status",
            options=[status_option(status) for status in STATUS_CHOICES],
            initial_option=status_option(current) if current in STATUS_CHOICES else None,
        ),
    )


def _severity_block(incident: Incident) -> SectionBlock:
    return SectionBlock(
        block_id=Header.SEVERITY,
        text=f"*Severity:* {severity_label(incident.severity)}",
        accessory=StaticSelectElement(
            action_id=Header.SEVERITY,
            placeholder="Change severity",
            options=[severity_option(severity) for severity in Severity],
            initial_option=severity_option(incident.severity),
        ),
    )


def _role_block(block_id: Header, label: str, user_id: str | None) -> SectionBlock:
    return SectionBlock(
        block_id=block_id,
        text=f"*{label}:* {person(user_id)}",
        accessory=UserSelectElement(
            action_id=block_id, placeholder=f"Set {label.lower()}", initial_user=user_id
        ),
    )


def _details(incident: Incident) -> list[str]:
    fields = [f"*Started:*\n{slack_date(incident.started_at)}"]
    if incident.mitigated_at is not None:
        fields.append(f"*Mitigated:*\n{slack_date(incident.mitigated_at)}")
    if incident.resolved_at is not None:
        fields.append(f"*Resolved:*\n{slack_date(incident.resolved_at)}")
    services = ", ".join(escape(service) for service in incident.services) or "_none given_"
    fields.append(clip(f"*Services:*\n{services}", MAX_FIELD_TEXT))
    return fields
