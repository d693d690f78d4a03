"""Publishing's Slack side: the document attached (a canvas, else a Markdown file), the summary
posted or updated in place, and, for a press cut short by a crash, the post found again around
the time of its mark (the summary by its message metadata, the document by its title).
bot.publish.publisher decides what to post and records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.publish.document import with_links
from bot.publish.render import render_markdown
from bot.publish.shapes import Postmortem
from models import Incident

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


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_channel_id(channel: str) -> bool:
    return channel[:1] in ("C", "G") and channel.isalnum() and channel.isupper()


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


async def attach(client: AsyncWebClient, pm: Postmortem, result: Published) -> Document | None:
    """The document as a canvas in the incident channel, else as a Markdown file there."""
    incident = pm.incident
    markdown = render_markdown(await with_links(client=client, pm=pm))
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
    return aware(since) - LOOK_BEFORE, aware(since) + LOOK_AFTER


async def find_document(
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


async def find_summary(
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


async def post_summary(
    client: AsyncWebClient, channel: str, ts: str | None, post: SummaryPost, result: Published
) -> tuple[str, str | None]:
    """Update the summary in place when it was posted before, else post it; returns the
    channel id and the summary's ts (the old one when nothing could be done)."""
    label = (
        f"the summary in <#{channel}>" if is_channel_id(channel) else f"the summary in {channel}"
    )
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
