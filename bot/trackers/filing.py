"""An action item as a new issue: what the tracker is asked to file.

`compose_draft` is pure (plain values in, an IssueDraft out); `draft_for` reads those values
for one item: its incident, the retrospective's contributing factors, where the postmortem was
published, and the owner's e-mail, which the tracker maps to one of its users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.publish.posting import Document
from bot.trackers.shapes import IssueDraft, Tracker, TrackerError
from models import ActionItem, ContributingFactor, Incident, Retrospective, SlackUser

MAX_TITLE = 250  # Jira's summary holds 255; GitHub's title more
MAX_FACTORS = 5  # listed in the body; the postmortem has them all
MAX_FACTOR_CHARS = 300
LABEL = "postmortem"


def marker_for(team_id: str, item_id: int) -> str:
    """The idempotency marker written into the issue, unique per workspace and item."""
    return f"hindsight-item-{team_id}-{item_id}"


def channel_url(team_id: str, channel_id: str | None) -> str | None:
    """The incident channel in Slack's web client (it opens the desktop app when there is one)."""
    return f"https://app.slack.com/client/{team_id}/{channel_id}" if channel_id else None


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What goes into an item's issue, as plain values."""

    team_id: str
    item_id: int
    title: str
    kind: str  # prevent, detect, mitigate, process
    priority: str
    due: date | None
    incident_ref: str  # INC-<n>
    incident_title: str
    severity: str
    channel_url: str | None
    postmortem_url: str | None  # the published document, once there is one
    factors: Sequence[str] = ()  # the retrospective's contributing factors
    assignee: str | None = None  # the tracker's user for the owner's e-mail


def _clipped(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compose_draft(facts: DraftFacts) -> IssueDraft:
    """Title, a body that reads as Markdown and as plain text, labels, due date, assignee."""
    lines = [
        f"Action item from {facts.incident_ref}: {_clipped(facts.incident_title, 200)} "
        f"(severity {facts.severity.upper()}).",
        "",
        f"Kind: {facts.kind} · Priority: {facts.priority} · "
        f"Due: {facts.due.isoformat() if facts.due else 'not set'}",
    ]
    if facts.factors:
        lines += ["", "Contributing factors this follows up:"]
        lines += [f"- {_clipped(text, MAX_FACTOR_CHARS)}" for text in facts.factors[:MAX_FACTORS]]
        if len(facts.factors) > MAX_FACTORS:
            lines.append(f"- …and {len(facts.factors) - MAX_FACTORS} more in the postmortem")
    lines.append("")
    if facts.channel_url:
        lines.append(f"Incident channel: {facts.channel_url}")
    lines.append(f"Postmortem: {facts.postmortem_url or 'not published yet'}")
    lines += ["", "Filed by Hindsight; closing this issue closes the action item in Slack."]
    return IssueDraft(
        title=_clipped(facts.title, MAX_TITLE),
        body="\n".join(lines),
        labels=(LABEL, facts.kind),
        due=facts.due,
        assignee=facts.assignee,
        marker=marker_for(facts.team_id, facts.item_id),
    )


async def draft_for(
    session: AsyncSession, item: ActionItem, *, tracker: Tracker, settings: object = None
) -> IssueDraft:
    """The item's issue as it stands now. `settings` is accepted for the outbox's call and not
    needed: the tracker knows its own project and user map."""
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == item.team_id, Incident.id == item.incident_id)
    )
    if incident is None:
        raise TrackerError(f"action item {item.id} has no incident any more")
    retro = await session.scalar(
        select(Retrospective).where(
            Retrospective.team_id == item.team_id, Retrospective.incident_id == incident.id
        )
    )
    factors = await _factors(session, retro)
    published = Document.parse(retro.document_ref) if retro and retro.published_at else None
    facts = DraftFacts(
        team_id=item.team_id,
        item_id=item.id,
        title=item.title,
        kind=item.kind.value,
        priority=item.priority.value,
        due=item.due_date,
        incident_ref=incident.ref,
        incident_title=incident.title,
        severity=str(incident.severity),
        channel_url=channel_url(item.team_id, incident.channel_id),
        postmortem_url=published.link if published else None,
        factors=factors,
        assignee=await _assignee(session, item, tracker),
    )
    return compose_draft(facts)


async def _factors(session: AsyncSession, retro: Retrospective | None) -> list[str]:
    if retro is None:
        return []
    rows = await session.scalars(
        select(ContributingFactor.description)
        .where(ContributingFactor.retrospective_id == retro.id)
        .order_by(ContributingFactor.position, ContributingFactor.id)
    )
    return [text for text in rows if text.strip()]


async def _assignee(session: AsyncSession, item: ActionItem, tracker: Tracker) -> str | None:
    """The tracker's user for the owner's Slack e-mail. A lookup the tracker refuses for good
    (no permission to search users) files the issue unassigned; one worth retrying is raised,
    so the outbox tries the whole filing again."""
    if item.owner_id is None:
        return None
    email = await session.scalar(
        select(SlackUser.email).where(
            SlackUser.team_id == item.team_id, SlackUser.user_id == item.owner_id
        )
    )
    if not email:
        return None
    try:
        return await tracker.user_for_email(email.lower())
    except TrackerError as error:
        if error.retryable:
            raise
        return None
