"""The follow-through's data shapes and limits, shared by its services and the Block Kit
builders in bot/ui (home, digest, follow_up): plain dataclasses and constants, no I/O, so a
builder can name them without reaching a service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.insights.stats import TeamStats
from bot.trackers.shapes import ItemTracker
from models import ActionItem, Incident

MAX_REASON = 1000  # a Won't do reason, once trimmed (the modal's max_length too)


@dataclass(frozen=True, slots=True)
class Participation:
    """An incident the person took part in, and how."""

    incident: Incident
    owns_items: bool
    wrote_in_timeline: bool


@dataclass(frozen=True, slots=True)
class TeamCounts:
    open_incidents: int
    unpublished_postmortems: int
    overdue_items: int


@dataclass(frozen=True, slots=True)
class Home:
    """Everything the Home tab shows, read at one moment."""

    user_id: str
    today: date  # in the viewer's own time zone
    now: datetime
    items: list[tuple[ActionItem, Incident]]  # the first MAX_ITEMS, overdue first
    open_count: int
    overdue_count: int
    incidents: list[Participation]  # newest first, at most MAX_INCIDENTS
    more_incidents: bool
    team: TeamCounts
    stats: TeamStats | None = None  # the team's numbers over HEADLINE_DAYS
    # The team's postmortems owed (postmortem debt), longest owed first, and how many in all.
    owed: list[Incident] = field(default_factory=list)
    owed_count: int = 0
    # The items' issues in the team's tracker, by item id (none when no tracker is configured).
    trackers: Mapping[int, ItemTracker] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TeamDigest:
    """What one team's digest reports, read at one moment."""

    team_id: str
    period: str
    today: date
    open_items: list[tuple[ActionItem, Incident]]
    unpublished: list[Incident]
    closed_this_week: int
    stats: TeamStats | None = None  # the team's numbers over HEADLINE_DAYS
    # Of `unpublished`, those owed (past POSTMORTEM_DUE_DAYS), longest owed first.
    owed: list[Incident] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.open_items and not self.unpublished
