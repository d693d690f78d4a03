"""Publishing a postmortem: the document attached once, a summary in two channels.

Targets, each independent (one failing never blocks the others):
- the full document (bot.publish.render's Markdown), as a canvas tabbed in the incident channel
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

A crash must not double a post either. Just before each call a mark is committed
(`document_pending_at`, `announcement_pending_at`, `summary_pending_at`), and right after it
the result (`document_ref`, the ts) is committed with the mark cleared, each in a short
transaction of its own. A mark left without a result means "may have been posted": the next
Publish looks the post up around the mark's time (the summary by its message metadata in
conversations.history, the document by its title in files.list) and updates or keeps it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.errors import NotFoundError, PermissionDeniedError
from bot.publish.document import load_postmortem
from bot.publish.render import render_markdown
from bot.publish.shapes import Postmortem
from bot.retro.draft import can_edit, editors
from bot.ui.summary import summary_blocks, summary_text
from models import Incident, PostmortemState, Retrospective, utcnow

MAX_REF = 200  # Retrospective.document_ref
GONE = ("message_not_found", "cant_update_message")  # post a new summary instead
SUMMARY_EVENT = "hindsight_postmortem_summary"
# Where a post cut short by a crash is looked for, around the mark set just before it: Slack's
# clock may differ from ours, and the client waits out rate limits before the post lands.
LOOK_BEFORE = timedelta(minutes=5)
LOOK_AFTER = timedelta(minutes=15)
LOOKUP_PAGES = 5


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

    def label(self, channel_id: str | None) -> str:
        """What was delivered, for the person who pressed Publish."""
        if self.kind == "canvas":
            return "the full document as a canvas"
        return f"the full document as a Markdown file in <#{channel_id}>"

    @classmethod
    def parse(cls, ref: str | None) -> Document | None:
        if not ref or ref.count(":") < 2:
            return None
        kind, doc_id, link = ref.split(":", 2)
        return cls(kind, doc_id, link or None)


@dataclass(frozen=True, slots=True)
class SummaryPost:
    text: str
    blocks: list[Any]
    metadata: dict[str, Any]  # Slack message metadata: how a press cut short finds its post


def summary_metadata(incident: Incident) -> dict[str, Any]:
    payload = {"team_id": incident.team_id, "incident_id": incident.id, "ref": incident.ref}
    return {"event_type": SUMMARY_EVENT, "event_payload": payload}


def canvas_title(incident: Incident) -> str:
    return f"{incident.ref} postmortem: {incident.title}"[:255]


def file_title(incident: Incident) -> str:
    return f"{incident.ref} postmortem"


def require_publisher(incident: Incident, user_id: str) -> None:
    if not can_edit(incident, user_id):
        who = ", ".join(f"<@{person}>" for person in editors(incident))
        raise PermissionDeniedError(
            f"Only the declarer, the facilitator and the commander ({who}) can publish the "
            f"postmortem of {incident.ref}; ask one of them. Nothing was published."
        )


# Two presses in one process wait for each other. A press on another replica sees the marks
# and looks up what was posted; only a post still in flight at that moment can be missed.
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
    pm = await load_postmortem(session=session, incident=incident)
    await session.commit()  # the reads are done; from here each write is its own short commit
    # Detached: what the document and summary show ("published by") is set in memory only,
    # and every write below is an explicit UPDATE of the columns it means.
    session.expunge(incident)
    session.expunge(retro)
    result = Published(ref=incident.ref)
    before = (retro.published_at, retro.published_by)
    attach = _needs_document(retro)
    if attach or retro.published_at is None:
        retro.published_at, retro.published_by = now, user_id
    incident.postmortem_state = PostmortemState.PUBLISHED
    document, attached = await _document(session, client, pm, retro, result, attach=attach)
    post = SummaryPost(
        text=summary_text(pm),
        blocks=summary_blocks(
            pm,
            document_link=document.link if document else None,
            document_kind=document.kind if document else "canvas",
        ),
        metadata=summary_metadata(incident),
    )
    await _announce(session, client, retro, incident.channel_id, post, result)
    if postmortem_channel and postmortem_channel != incident.channel_id:
        await _summarize(session, client, retro, postmortem_channel, post, result)
    if not result.anything:
        return result
    if not attached and before[0] is not None:
        # Still "edited since": the next press attaches the new version again.
        retro.published_at, retro.published_by = before
    await _record(session, retro, published_at=retro.published_at, published_by=retro.published_by)
    await session.execute(
        update(Incident)
        .where(Incident.team_id == team_id, Incident.id == incident.id)
        .values(postmortem_state=PostmortemState.PUBLISHED)
    )
    detail: dict[str, object] = {
        "delivered": result.delivered,
        "failed": dict(result.failed),
        "document": retro.document_ref,
    }
    audit.record(
        session,
        team_id=team_id,
        incident_id=incident.id,
        actor_id=user_id,
        action="postmortem.publish",
        detail=detail,
        at=now,
    )
    await session.commit()
    return result


def _needs_document(retro: Retrospective) -> bool:
    """Missing, cut short by a crash, or the draft was edited after the last publish."""
    edited = retro.last_edited_at is not None and (
        retro.published_at is None or _aware(retro.last_edited_at) > _aware(retro.published_at)
    )
    return retro.document_ref is None or edited or retro.document_pending_at is not None


async def _record(session: AsyncSession, retro: Retrospective, **values: Any) -> None:
    """Write some of the retro's columns in one short transaction of their own (on SQLite the
    write lock is never held across a Slack call), and mirror them on the detached object."""
    await session.execute(
        update(Retrospective)
        .where(Retrospective.team_id == retro.team_id, Retrospective.id == retro.id)
        .values(**values)
    )
    await session.commit()
    for name, value in values.items():
        setattr(retro, name, value)


async def _document(
    session: AsyncSession,
    client: AsyncWebClient,
    pm: Postmortem,
    retro: Retrospective,
    result: Published,
    *,
    attach: bool,
) -> tuple[Document | None, bool]:
    """The document to link: attached now (or found, made by a press cut short), else the one
    attached before; and whether this press attached it."""
    document = Document.parse(retro.document_ref)
    if not attach:
        return document, False
    pending = retro.document_pending_at
    found = None if pending is None else await _find_document(client, pm, since=pending)
    if found is not None:
        result.delivered.append(found.label(pm.incident.channel_id))
    else:
        await _record(session, retro, document_pending_at=utcnow())
        found = await _attach(client, pm, result)
    if found is None:
        await _record(session, retro, document_pending_at=None)
        return document, False
    # Recorded with "published at" so a crash before the summaries doesn't attach it again.
    await _record(
        session,
        retro,
        document_pending_at=None,
        document_ref=found.ref,
        published_at=retro.published_at,
        published_by=retro.published_by,
    )
    return found, True


async def _announce(
    session: AsyncSession,
    client: AsyncWebClient,
    retro: Retrospective,
    channel: str,
    post: SummaryPost,
    result: Published,
) -> None:
    """The summary in the incident channel."""
    ts = retro.announcement_ts
    if retro.announcement_pending_at is not None:
        ts = await _find_summary(client, channel, post, since=retro.announcement_pending_at) or ts
    await _record(session, retro, announcement_pending_at=utcnow())
    _, posted = await _summary(client, channel, ts, post, result)
    await _record(session, retro, announcement_pending_at=None, announcement_ts=posted)


async def _summarize(
    session: AsyncSession,
    client: AsyncWebClient,
    retro: Retrospective,
    postmortem_channel: str,
    post: SummaryPost,
    result: Published,
) -> None:
    """The summary in the postmortems channel (a new post when the setting moved channels)."""
    moved = retro.summary_channel_id is not None and (
        _is_id(postmortem_channel) and postmortem_channel != retro.summary_channel_id
    )
    ts = None if moved else retro.summary_ts
    where = (retro.summary_channel_id if ts else postmortem_channel) or postmortem_channel
    if retro.summary_pending_at is not None and _is_id(where):
        ts = await _find_summary(client, where, post, since=retro.summary_pending_at) or ts
    await _record(session, retro, summary_pending_at=utcnow())
    channel, posted = await _summary(client, where, ts, post, result)
    values: dict[str, Any] = {"summary_pending_at": None}
    if posted is not None:
        values |= {"summary_channel_id": channel, "summary_ts": posted}
    await _record(session, retro, **values)


async def _load(
    session: AsyncSession, team_id: str, incident_id: int
) -> tuple[Incident, Retrospective]:
    incident = await session.scalar(
        select(Incident).where(Incident.team_id == team_id, Incident.id == incident_id)
    )
    retro = None
    if incident is not None:
        # Locked (PostgreSQL) while it is read, so a press never reads a half-recorded publish.
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
            title=canvas_title(incident),
            document_content={"type": "markdown", "markdown": markdown},
            channel_id=incident.channel_id,
        )
        canvas = _canvas(incident, str(created["canvas_id"]))
        result.delivered.append(canvas.label(incident.channel_id))
        return canvas
    except SlackApiError as refused:
        canvas_error = _code(refused)
    try:
        uploaded = await client.files_upload_v2(
            content=markdown,
            filename=f"{incident.ref}-postmortem.md",
            title=file_title(incident),
            channel=incident.channel_id,
        )
    except SlackApiError as error:
        result.failed.append(("the full document", f"canvas: {canvas_error}, file: {_code(error)}"))
        return None
    file: dict[str, Any] = uploaded.get("file") or {}
    document = Document("file", str(file.get("id") or ""), file.get("permalink"))
    result.delivered.append(document.label(incident.channel_id))
    return document


def _same_summary(found: Any, ours: dict[str, Any]) -> bool:
    if not isinstance(found, dict) or found.get("event_type") != ours["event_type"]:
        return False
    payload, wanted = found.get("event_payload") or {}, ours["event_payload"]
    return all(payload.get(key) == wanted[key] for key in ("team_id", "incident_id"))


def _canvas(incident: Incident, canvas_id: str) -> Document:
    return Document(
        "canvas", canvas_id, f"https://app.slack.com/docs/{incident.team_id}/{canvas_id}"
    )


def _window(since: datetime) -> tuple[datetime, datetime]:
    return _aware(since) - LOOK_BEFORE, _aware(since) + LOOK_AFTER


async def _find_document(
    client: AsyncWebClient, pm: Postmortem, *, since: datetime
) -> Document | None:
    """The canvas or file a press cut short may have made (a mark with no result): files.list
    around the mark, matched by the title we give it. None when Slack can't say."""
    incident = pm.incident
    kinds = {canvas_title(incident): "canvas", file_title(incident): "file"}
    oldest, latest = _window(since)
    for page in range(1, LOOKUP_PAGES + 1):
        try:
            listed = await client.files_list(
                ts_from=str(int(oldest.timestamp())),
                ts_to=str(int(latest.timestamp())),
                count=100,
                page=page,
            )
        except SlackApiError:
            return None
        for file in listed.get("files") or []:
            kind = kinds.get(str(file.get("title") or ""))
            if kind == "canvas":
                return _canvas(incident, str(file["id"]))
            if kind == "file":
                return Document("file", str(file["id"]), file.get("permalink"))
        if page >= int((listed.get("paging") or {}).get("pages") or 1):
            return None
    return None


async def _find_summary(
    client: AsyncWebClient, channel: str, post: SummaryPost, *, since: datetime
) -> str | None:
    """The ts of the summary a press cut short may have posted (a mark with no ts): the
    channel's messages around the mark, matched by our message metadata."""
    oldest, latest = _window(since)
    cursor: str | None = None
    for _ in range(LOOKUP_PAGES):
        try:
            page = await client.conversations_history(
                channel=channel,
                oldest=f"{oldest.timestamp():.6f}",
                latest=f"{latest.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
        except SlackApiError:
            return None
        for message in page.get("messages") or []:
            if _same_summary(message.get("metadata"), post.metadata):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return None
    return None


async def _summary(
    client: AsyncWebClient, channel: str, ts: str | None, post: SummaryPost, result: Published
) -> tuple[str, str | None]:
    """Update the summary in place when it was posted before, else post it; returns the
    channel id and the summary's ts (the old one when nothing could be done)."""
    label = f"the summary in <#{channel}>" if _is_id(channel) else f"the summary in {channel}"
    if ts is not None:
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=post.text, blocks=post.blocks, metadata=post.metadata
            )
            result.delivered.append(f"{label} (updated)")
            return channel, ts
        except SlackApiError as error:
            if _code(error) not in GONE:
                result.failed.append((label, _code(error)))
                return channel, ts
    try:
        posted = await client.chat_postMessage(
            channel=channel,
            text=post.text,
            blocks=post.blocks,
            metadata=post.metadata,
            unfurl_links=False,
        )
    except SlackApiError as error:
        result.failed.append((label, _code(error)))
        return channel, ts
    result.delivered.append(label)
    return str(posted.get("channel") or channel), str(posted["ts"])
