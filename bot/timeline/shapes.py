"""An incident's timeline as read back, as plain values: the entries, their kinds' labels, and
message links. Pure (no session, no Slack call): the builders in bot/ui render these, and
bot/timeline/query.py loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from models import Incident, TimelineEvent, TimelineMark

KIND_LABELS: dict[str, str] = {
    "key_event": "Key event",
    "detection": "Detection",
    "action": "Action",
    "mitigation": "Mitigation",
    "resolution": "Resolution",
    "lesson": "Lesson",
}


def kind_label(kind: str) -> str:
    """`key_event` → "Key event"; kinds from TIMELINE_REACTIONS that we don't know read as-is."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    event: TimelineEvent
    marks: tuple[TimelineMark, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The distinct kinds this event was marked with, in marking order."""
        return tuple(dict.fromkeys(mark.kind for mark in self.marks))

    @property
    def deleted(self) -> bool:
        return self.event.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Timeline:
    incident: Incident
    entries: list[TimelineEntry]  # in time order, at most the limit asked for
    total: int  # how many events matched, shown or not
    everything: bool  # the full log, or only what was marked (and added by hand)

    @property
    def hidden(self) -> int:
        return self.total - len(self.entries)


class Message(Protocol):
    """What a link needs of a message: a stored event, or the document's plain record of one."""

    @property
    def channel_id(self) -> str | None: ...
    @property
    def ts(self) -> str | None: ...
    @property
    def thread_ts(self) -> str | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Permalinks:
    """Builds message links from the workspace's base, learned from one chat.getPermalink."""

    base: str  # e.g. "https://acme.slack.com/archives/"

    def link(self, event: Message) -> str | None:
        if event.channel_id is None or event.ts is None or event.deleted_at is not None:
            return None
        url = f"{self.base}{event.channel_id}/p{event.ts.replace('.', '')}"
        if event.thread_ts and event.thread_ts != event.ts:
            url += f"?thread_ts={event.thread_ts}&cid={event.channel_id}"
        return url

    @classmethod
    def from_permalink(cls, permalink: str) -> Permalinks | None:
        base, sep, _ = permalink.partition("/archives/")
        return cls(base=f"{base}/archives/") if sep and base.startswith("https://") else None
