"""The postmortem document's shape, as plain values: the incident with its retrospective, action
items, timeline events (`Event`, `Mark`) and response times (`Milestone`), and what is worked out
from them without a query. Pure: bot/publish/document.py loads these, the Markdown renderer and
the builders in bot/ui show them.

Time to detect / mitigate / resolve are measured from the incident's start to a moment taken,
in this order, from: the event the retrospective picked for that kind (a `retro:<kind>` mark),
the earliest event marked with that kind, or the incident's own `detected_at` / `mitigated_at` /
`resolved_at` (set when the status moves to monitoring or resolved). The first two are what the
retrospective's timeline step shows, so the document and the modal agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.timeline.shapes import Permalinks
from models import (
    ActionItem,
    ContributingFactor,
    EventSource,
    Incident,
    Retrospective,
)

# kind of mark → (the incident's column, the verb in "time to …")
MILESTONES: dict[str, tuple[str, str]] = {
    "detection": ("detected_at", "detect"),
    "mitigation": ("mitigated_at", "mitigate"),
    "resolution": ("resolved_at", "resolve"),
}
RETRO_PICK = "retro:"  # the reaction of a mark made by the retrospective's timeline step
# Fewer marked moments than this and the document adds a condensed view of the channel, at most
# PICKS_AT_MOST entries long (the full log is in the JSON export).
CONDENSE_BELOW = 3
PICKS_AT_MOST = 15
# Why a message was picked for the condensed view, in the order the cap keeps them.
FIRST_REPORT = "First report"
BEFORE_CHANGE = "Before the status change"
AFTER_CHANGE = "After the status change"
ALERT = "Alert"
# How bot/incidents/lifecycle.py words its system events: text prefix → label in the document.
SYSTEM_LABELS = (("Status changed", "Status change"), ("Severity changed", "Severity change"))
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class Mark(NamedTuple):
    kind: str  # key_event, detection, mitigation, …
    reaction: str  # "" when not by a reaction; `retro:<kind>` when picked in the retro
    marked_by: str
    note: str | None
    created_at: datetime


class Event(NamedTuple):
    """One timeline event with its marks (oldest first). `text` and `files` may still hold a
    deleted message's content in a row: readers go by `deleted`, never by `text is None`.
    Named tuples: built 10,000 at a time, several times faster than frozen dataclasses."""

    id: int
    source: EventSource
    channel_id: str | None
    ts: str | None
    thread_ts: str | None
    author_id: str | None
    author_name: str | None
    text: str | None
    files: list[dict[str, str]]
    occurred_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    marks: tuple[Mark, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The distinct kinds this event was marked with, in marking order."""
        return tuple(dict.fromkeys(mark.kind for mark in self.marks))

    @property
    def marked(self) -> bool:
        """Marked, or added by hand (put there on purpose)."""
        return bool(self.marks) or self.source == EventSource.MANUAL

    @property
    def shown_in_document(self) -> bool:
        """Marked, added by hand, or recorded by the bot (the declare, status, severity and
        role changes)."""
        return self.marked or self.source == EventSource.SYSTEM

    @property
    def is_status_change(self) -> bool:
        return self.source == EventSource.SYSTEM and (self.text or "").startswith(
            SYSTEM_LABELS[0][0]
        )


@dataclass(frozen=True, slots=True)
class Milestone:
    """When the incident was detected, mitigated or resolved, and how long after the start."""

    kind: str  # detection, mitigation, resolution
    verb: str  # detect, mitigate, resolve
    at: datetime | None
    basis: str | None  # "retrospective", "marked" or "incident"; None when unknown
    since_start: timedelta | None


@dataclass(frozen=True, slots=True)
class Postmortem:
    incident: Incident
    retro: Retrospective | None
    factors: list[ContributingFactor]
    action_items: list[ActionItem]
    events: list[Event]  # in time order: the marked and hand-added ones, or all
    milestones: dict[str, Milestone]  # by kind, in MILESTONES order
    names: dict[str, str]  # user id → display name, for the cached users only
    # Messages picked for the condensed view of the channel (they are in `events` too): event id
    # → why it was picked. Empty when enough moments were marked.
    picked: dict[int, str] = field(default_factory=dict)
    links: Permalinks | None = None  # message links, when the workspace's format is known

    def name(self, user_id: str | None, *, default: str = "—") -> str:
        """A person's display name, their raw id when the cache doesn't know them."""
        if not user_id:
            return default
        return self.names.get(user_id, user_id)


def people_in(events: Iterable[Event]) -> set[str]:
    """User ids worth a name: authors (not integrations), markers, and `<@U…>` mentions in the
    texts still shown (a deleted message's are not)."""
    found: set[str] = set()
    for event in events:
        if event.author_id and not event.author_name:
            found.add(event.author_id)
        found.update(mark.marked_by for mark in event.marks)
        if event.text and not event.deleted and "<@" in event.text:
            found.update(MENTIONED.findall(event.text))
    return {user_id for user_id in found if user_id[:1] in ("U", "W")}


def system_label(text: str) -> str:
    """What a system event records: "Declared", a status, severity or role change."""
    if " declared by " in text:
        return "Declared"
    return next(
        (label for prefix, label in SYSTEM_LABELS if text.startswith(prefix)), "Role change"
    )


def needs_condensing(events: Iterable[Event]) -> bool:
    """Too few moments were marked for the timeline to tell the story alone."""
    return sum(1 for event in events if event.marked) < CONDENSE_BELOW


def pick_from_channel(
    shown: Iterable[Event], candidates: Iterable[tuple[Event, str]]
) -> list[tuple[Event, str]]:
    """The condensed view: candidates (message, why) in priority order, each message once,
    none already shown, at most PICKS_AT_MOST (pure)."""
    seen = {event.id for event in shown}
    picked: list[tuple[Event, str]] = []
    for event, why in candidates:
        if event.id in seen or event.deleted or not (event.text or "").strip():
            continue
        seen.add(event.id)
        picked.append((event, why))
        if len(picked) == PICKS_AT_MOST:
            break
    return picked


def in_time_order(events: Iterable[Event]) -> list[Event]:
    """Events from several queries as one timeline (the same order on both backends)."""
    return sorted(events, key=lambda event: (event.occurred_at, event.ts or "", event.id))


def milestones(incident: Incident, events: Sequence[Event]) -> dict[str, Milestone]:
    """Detection, mitigation and resolution, each with its time since the start (pure)."""
    picked: dict[str, datetime] = {}
    marked: dict[str, datetime] = {}
    for event in events:  # in time order: the first seen is the earliest
        for mark in event.marks:
            if mark.kind not in MILESTONES:
                continue
            marked.setdefault(mark.kind, event.occurred_at)
            if mark.reaction == RETRO_PICK + mark.kind:
                picked.setdefault(mark.kind, event.occurred_at)
    found: dict[str, Milestone] = {}
    for kind, (column, verb) in MILESTONES.items():
        at, basis = picked.get(kind), "retrospective"
        if at is None:
            at, basis = marked.get(kind), "marked"
        if at is None:
            at, basis = getattr(incident, column), "incident"
        found[kind] = Milestone(
            kind=kind,
            verb=verb,
            at=at,
            basis=basis if at is not None else None,
            since_start=None if at is None else max(at - incident.started_at, timedelta(0)),
        )
    return found


def duration_text(span: timedelta | None) -> str:
    """`1 h 12 min`, `2 d 3 h`, `0 min`; `—` when unknown."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    return " ".join([*parts, f"{mins} min"]) if mins or not parts else " ".join(parts)
