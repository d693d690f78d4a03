"""The ephemeral `/postmortem timeline` answer, and the confirmation of `/postmortem event`.

Times use Slack's `<!date^…>` so every viewer's client shows them in their own zone; the
fallback text is computed in the viewer's zone from the user cache. Events are packed into
sections of at most 3000 characters, sections into messages of at most 50 blocks, and at most
MAX_MESSAGES messages are sent: beyond that the answer ends with "and N more" and points to
`hindsight export`, which prints everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.ids import COMMAND
from bot.timeline.shapes import Permalinks, Timeline, TimelineEntry, kind_label
from bot.ui.text import clip, escape, inert, slack_date
from models import EventSource, Incident, TimelineEvent

LOAD_LIMIT = 2000  # events read for one answer; more than fits anyway, the rest are counted
MAX_MESSAGES = 3  # response_url takes 5 posts; errors may need one
MAX_BLOCKS = 50  # per message
SECTION_CHARS = 3000  # per text object
PREVIEW_CHARS = 600  # of each event's text; the link and the export have the rest
NOTE_CHARS = 200
MAX_NOTES = 3


def when(moment: datetime, zone: ZoneInfo) -> str:
    """Date and time, rendered by Slack in the viewer's zone (fallback: ours for them)."""
    local = moment.astimezone(zone)
    fallback = f"{local:%b} {local.day}, {local.year} {local:%H:%M}"
    return slack_date(moment, tokens="{date_short} {time}", fallback=fallback)


def day_heading(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    fallback = f"{local:%A}, {local:%B} {local.day}, {local.year}"
    return f"*{slack_date(moment, tokens='{date_long}', fallback=fallback)}*"


def event_added_text(*, incident: Incident, event: TimelineEvent, zone: ZoneInfo) -> str:
    """The ephemeral confirmation of `/postmortem event`."""
    return (
        f"Added to {incident.ref}'s timeline at *{when(event.occurred_at, zone)}* "
        f"({zone.key}):\n>{inert(clip(event.text or '', PREVIEW_CHARS))}"
    )


@dataclass(frozen=True, slots=True)
class TimelineMessage:
    text: str  # notification and screen-reader fallback
    blocks: list[Block]


@dataclass(slots=True)
class _Piece:
    block: Block
    events: int  # how many events this block shows


@dataclass(slots=True)
class _Pager:
    """Turns entries into blocks: day headings, and events packed into full sections."""

    zone: ZoneInfo
    names: dict[str, str]
    links: Permalinks | None
    pieces: list[_Piece] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    day: date | None = None

    def add(self, entry: TimelineEntry) -> None:
        local_day = entry.event.occurred_at.astimezone(self.zone).date()
        if local_day != self.day:
            self.flush()
            self.day = local_day
            heading = day_heading(entry.event.occurred_at, self.zone)
            self.pieces.append(_Piece(SectionBlock(text=MarkdownTextObject(text=heading)), 0))
        chunk = clip(self.render(entry), SECTION_CHARS)
        if len("\n\n".join([*self.lines, chunk])) > SECTION_CHARS:
            self.flush()
        self.lines.append(chunk)

    def flush(self) -> None:
        if self.lines:
            text = "\n\n".join(self.lines)
            self.pieces.append(
                _Piece(SectionBlock(text=MarkdownTextObject(text=text)), len(self.lines))
            )
            self.lines = []

    def name(self, user_id: str | None, fallback: str | None = None) -> str:
        if fallback:
            return escape(fallback)
        if not user_id:
            return "someone"
        return escape(self.names.get(user_id, user_id))

    def render(self, entry: TimelineEntry) -> str:
        event = entry.event
        head = [
            f"*{when(event.occurred_at, self.zone)}*",
            f"*{self.name(event.author_id, event.author_name)}*",
        ]
        if event.source == EventSource.MANUAL:
            head.append("_added by hand_")
        elif event.source == EventSource.SYSTEM:
            head.append("_recorded by Hindsight_")
        if event.thread_ts and event.ts and event.thread_ts != event.ts:
            head.append("↳ in a thread")
        if entry.kinds:
            head.append(" ".join(f"`{kind_label(kind)}`" for kind in entry.kinds))
        if event.edited_at is not None and not entry.deleted:
            head.append("_(edited)_")
        link = self.links.link(event) if self.links is not None else None
        if link:
            head.append(f"<{link}|view message>")
        return "\n".join([" · ".join(head), *self.body(entry)])

    def body(self, entry: TimelineEntry) -> list[str]:
        if entry.deleted:
            return ["_This message was deleted._"]
        shown = inert(clip(entry.event.text or "", PREVIEW_CHARS), self.names)
        lines = [f">{line}" for line in shown.splitlines()]
        for file in entry.event.files or []:
            title = file.get("name") or file.get("title") or "file"
            lines.append(f"📎 {escape(str(title))}")
        notes = [mark for mark in entry.marks if mark.note][:MAX_NOTES]
        for mark in notes:
            note = escape(clip(mark.note or "", NOTE_CHARS))
            lines.append(f"_Note from {self.name(mark.marked_by)}: {note}_")
        return lines


def timeline_messages(
    timeline: Timeline, *, names: dict[str, str], links: Permalinks | None, zone: ZoneInfo
) -> list[TimelineMessage]:
    """The ephemeral messages that show `timeline`: at most MAX_MESSAGES of ≤ 50 blocks each."""
    pager = _Pager(zone=zone, names=names, links=links)
    for entry in timeline.entries:
        pager.add(entry)
    pager.flush()
    pieces = pager.pieces or [
        _Piece(SectionBlock(text=MarkdownTextObject(text=_empty(timeline))), 0)
    ]
    pages = _paginate(pieces, first=MAX_BLOCKS - 3, rest=MAX_BLOCKS - 2)
    shown = sum(piece.events for page in pages for piece in page)
    more = len(timeline.entries) - shown + timeline.hidden
    return [
        _message(timeline, page, number=number, count=len(pages), more=more)
        for number, page in enumerate(pages, start=1)
    ]


def _paginate(pieces: list[_Piece], *, first: int, rest: int) -> list[list[_Piece]]:
    """Split into pages (each keeps a block free for "and N more"); stop at MAX_MESSAGES."""
    pages: list[list[_Piece]] = [[]]
    for piece in pieces:
        room = first if len(pages) == 1 else rest
        if len(pages[-1]) >= room:
            if len(pages) == MAX_MESSAGES:
                break
            moved = [pages[-1].pop()] if pages[-1][-1].events == 0 else []
            pages.append(moved)  # a day heading goes with its events
        pages[-1].append(piece)
    while pages[-1] and pages[-1][-1].events == 0 and len(pages[-1]) > 1:
        pages[-1].pop()  # no day heading without its events
    return pages


def _message(
    timeline: Timeline, page: list[_Piece], *, number: int, count: int, more: int
) -> TimelineMessage:
    incident = timeline.incident
    what = "full log" if timeline.everything else "marked events"
    counted = f"{timeline.total} {'events' if timeline.everything else 'marked events'}"
    blocks: list[Block] = []
    if number == 1:
        intro = f"*{incident.ref} · {escape(incident.title)}* — {what} ({timeline.total})"
        hint = "Times are in your time zone."
        if not timeline.everything:
            hint += f" `{COMMAND} timeline all` shows everything captured."
        blocks += [
            SectionBlock(text=MarkdownTextObject(text=intro)),
            ContextBlock(elements=[MarkdownTextObject(text=hint)]),
        ]
    else:
        label = f"{incident.ref} {what}, continued ({number}/{count})"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=label)]))
    blocks += [piece.block for piece in page]
    if number == count and more > 0:
        footer = f"…and {more} more. `hindsight export {incident.ref}` prints the whole timeline."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    part = f" (part {number} of {count})" if count > 1 else ""
    text = f"{incident.ref} timeline: {counted}{part}"
    return TimelineMessage(text=text, blocks=blocks)


def _empty(timeline: Timeline) -> str:
    if timeline.everything:
        return "Nothing has been captured in this channel yet."
    return (
        "Nothing is marked yet. React to a message with :pushpin: (or another timeline "
        "reaction), use the *Add to timeline* message shortcut, or add what happened before "
        f"this channel existed with `{COMMAND} event <time> <text>`."
    )
