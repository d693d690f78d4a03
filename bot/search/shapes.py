"""What a search found, as plain values for bot/ui/search.py (no database, no Slack)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.search.query import SearchQuery

# Around each matched word in an excerpt; private-use characters, so they can't be confused with
# anything Slack or a person writes, and the UI turns them into bold.
HIT_START, HIT_END = "\ue000", "\ue001"
PAGE_SIZE = 10  # results per answer


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str  # the excerpt, matched words between HIT_START and HIT_END
    source: str  # where it comes from, for people: "timeline", "contributing factor", …
    formatted: bool  # Slack-formatted (a captured message), else plain text typed in Hindsight


@dataclass(frozen=True, slots=True)
class Hit:
    incident_id: int
    ref: str  # INC-<n>
    title: str
    severity: str
    started_at: datetime
    postmortem_state: str
    channel_id: str | None
    document_kind: str | None  # canvas | file, when the retrospective records one
    document_link: str | None
    snippet: Snippet | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    offset: int
    hits: tuple[Hit, ...]
    more: bool  # another page follows
    names: dict[str, str] = field(default_factory=dict)  # user id → name, for mentions shown
