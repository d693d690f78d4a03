"""Publishing a postmortem: the document attached once, a summary in two channels.

Targets, each independent (one failing never blocks the others):
- the full document (bot.render's Markdown), as a canvas tabbed in the incident channel
  (canvases.create), or, when the workspace refuses canvases (any canvases.create error), as a
  Markdown file uploaded to the incident channel (files upload v2);
- the summary message (bot.ui.summary) in the incident channel (`announcement_ts`);
- the same summary in the postmortems channel when `POSTMORTEM_CHANNEL` is set
  (`summary_channel_id` / `summary_ts`).

The Slack client already retries rate limits and server errors. Whatever still fails is
reported to the person and left missing; pressing Publish again retries just what is missing:
summaries already posted are updated in place (chat.update), never posted twice, and the
document is attached again only when it is missing or the draft was edited after the last
publish (a new canvas or file: the old one stays as it was).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFoundError, PermissionDeniedError
from bot.postmortem import Postmortem, load_postmortem
from bot.render import render_markdown
from bot.retro import can_edit, editors
from bot.ui.summary import summary_blocks, summary_text
from models import AuditEntry, Incident, PostmortemState, Retrospective

MAX_REF = 200  # Retrospective.document_ref
GONE = ("message_not_found", "cant_update_message")  # post a new summary instead


@dataclass(slots=True)
class Published:
    """What one press of Publish delivered (labels for people) and what failed (with Slack's
    error code)."""

    ref: str
    delivered: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.delivered)


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # canvas | file
    id: str
    link: str | None

    @property
    def ref(self) -> str:
        full = f"{self.kind}:{self.id}:{self.link or ''}"
        return full if len(full) <= MAX_REF else f"{self.kind}:{self.id}:"

    @classmethod
    def parse(cls, ref: str | None) -> Document | None:
        if not ref or ref.count(":") < 2:
            return None
        kind, doc_id, link = ref.split(":", 2)
        return cls(kind, doc_id, link or None)


def require_publisher(incident: Incident, user_id: str) -> None:
    if not can_edit(incident, user_id):
        who = ", ".join(f"<@{person}>" for person in editors(incident))
        raise PermissionDeniedError(
            f"Only the declarer, the facilitator and the commander ({who}) can publish the "
            f"postmortem of {incident.ref}; ask one of them. Nothing was published."
        )


# Two presses in one process wait for each other (SQLite has no row locks; with several
# replicas on PostgreSQL, SELECT … FOR UPDATE in `_load` does the same across processes).
_publishing: defaultdict[tuple[str, int], asyncio.Lock] = defaultdict(asyncio.Lock)


async def publish(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    user_id: str,
    postmortem_channel: str | None,
    now: datetime,
) -> Published:
    """Publish (or republish) the incident's postmortem; commits when anything went out."""
    async with _publishing[(team_id, incident_id)]:
        return await _publish(
            session=session,
            client=client,
            team_id=team_id,
            incident_id=incident_id,
            user_id=user_id,
            postmortem_channel=postmortem_channel,
            now=now,
        )


async def _publish(
    *,
    session: AsyncSession,
    client: AsyncWebClient,
    team_id: str,
    incident_id: int,
    user_id: str,
    postmortem_channel: str | None,
    now: datetime,
) -> Published:
    incident, retro = await _load(session, team_id, incident_id)
    require_publisher(incident, user_id)
    if incident.channel_id is None:
        raise NotFoundError(f"{incident.ref} has no channel to publish its postmortem in.")
    result = Published(ref=incident.ref)
    edited = retro.last_edited_at is not None and (
        retro.published_at is None or _aware(retro.last_edited_at) > _aware(retro.published_at)
    )
    document = Document.parse(retro.document_ref)
    attach = document is None or edited
    # No write reaches the database until the Slack calls are done: on SQLite a flush would
    # hold the write lock (and stall message capture) for as long as Slack takes.
    with session.no_autoflush:
        before = (retro.published_at, retro.published_by)
        if attach or retro.published_at is None:
            retro.published_at, retro.published_by = now, user_id
        incident.postmortem_state = PostmortemState.PUBLISHED
        pm = await load_postmortem(session=session, incident=incident)
        if attach:
            attached = await _attach(client, pm, result)
            if attached is None and before[0] is not None:
                # Still "edited since": the next press attaches the new version again.
                retro.published_at, retro.published_by = before
            document = attached or document
        kind = document.kind if document else "canvas"
        link = document.link if document else None
        text = summary_text(pm)
        blocks = summary_blocks(pm, document_link=link, document_kind=kind)
        _, retro.announcement_ts = await _summary(
            client, incident.channel_id, retro.announcement_ts, text, blocks, result
        )
        if postmortem_channel and postmortem_channel != incident.channel_id:
            moved = retro.summary_channel_id is not None and (
                _is_id(postmortem_channel) and postmortem_channel != retro.summary_channel_id
            )
            ts = None if moved else retro.summary_ts
            where = retro.summary_channel_id if ts else postmortem_channel
            channel, posted = await _summary(
                client, where or postmortem_channel, ts, text, blocks, result
            )
            if posted is not None and posted != ts:
                retro.summary_channel_id, retro.summary_ts = channel, posted
    if not result.anything:
        await session.rollback()
        return result
    if document is not None:
        retro.document_ref = document.ref
    detail: dict[str, object] = {
        "delivered": result.delivered,
        "failed": dict(result.failed),
        "document": retro.document_ref,
    }
    session.add(
        AuditEntry(
            team_id=team_id,
            incident_id=incident.id,
            actor_id=user_id,
            action="postmortem.publish",
            detail=detail,
            created_at=now,
        )
    )
    await session.commit()
    return result


async def _load(
    session: AsyncSession, team_id: str, incident_id: int
) -> tuple[Incident, Retrospective]:
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    retro = None
    if incident is not None:
        # Locked (PostgreSQL) so a double press waits, then updates what the first one posted.
        retro = await session.scalar(
            select(Retrospective)
            .where(Retrospective.team_id == team_id, Retrospective.incident_id == incident.id)
            .with_for_update()
        )
    if incident is None or retro is None:
        raise NotFoundError("There is no retrospective to publish; run `/postmortem retro`.")
    return incident, retro


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _is_id(channel: str) -> bool:
    return channel[:1] in ("C", "G") and channel.isalnum() and channel.isupper()


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


async def _attach(client: AsyncWebClient, pm: Postmortem, result: Published) -> Document | None:
    """The document as a canvas in the incident channel, else as a Markdown file there."""
    incident = pm.incident
    markdown = render_markdown(pm)
    try:
        created = await client.canvases_create(
            title=f"{incident.ref} postmortem: {incident.title}"[:255],
            document_content={"type": "markdown", "markdown": markdown},
            channel_id=incident.channel_id,
        )
        canvas_id = str(created["canvas_id"])
        link = f"https://app.slack.com/docs/{incident.team_id}/{canvas_id}"
        result.delivered.append("the full document as a canvas")
        return Document("canvas", canvas_id, link)
    except SlackApiError as refused:
        canvas_error = _code(refused)
    try:
        uploaded = await client.files_upload_v2(
            content=markdown,
            filename=f"{incident.ref}-postmortem.md",
            title=f"{incident.ref} postmortem",
            channel=incident.channel_id,
        )
    except SlackApiError as error:
        result.failed.append(("the full document", f"canvas: {canvas_error}, file: {_code(error)}"))
        return None
    file: dict[str, Any] = uploaded.get("file") or {}
    result.delivered.append(f"the full document as a Markdown file in <#{incident.channel_id}>")
    return Document("file", str(file.get("id") or ""), file.get("permalink"))


async def _summary(
    client: AsyncWebClient,
    channel: str,
    ts: str | None,
    text: str,
    blocks: list[Any],
    result: Published,
) -> tuple[str, str | None]:
    """Update the summary in place when it was posted before, else post it; returns the
    channel id and the summary's ts (the old one when nothing could be done)."""
    label = f"the summary in <#{channel}>" if _is_id(channel) else f"the summary in {channel}"
    if ts is not None:
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            result.delivered.append(f"{label} (updated)")
            return channel, ts
        except SlackApiError as error:
            if _code(error) not in GONE:
                result.failed.append((label, _code(error)))
                return channel, ts
    try:
        posted = await client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False
        )
    except SlackApiError as error:
        result.failed.append((label, _code(error)))
        return channel, ts
    result.delivered.append(label)
    return str(posted.get("channel") or channel), str(posted["ts"])
