"""The team's numbers over a window (`/postmortem stats 30d|90d|365d`): the shapes and the maths,
pure. bot/insights/stats_load.py reads the rows and aggregates; bot/ui/stats.py shows them.

Definitions (exact, so a test can compute them by hand):
- The window holds the team's incidents whose `started_at` is in the last N days (`since` ≤
  start ≤ `now`); everything else (items, factors, publications) follows its incident.
- Median: the middle value of the sorted values; for an even count, the mean of the two middle
  ones. 90th percentile: nearest rank, the ⌈0.9 · n⌉-th smallest value (a value that occurred).
- Time to detect / mitigate / resolve: from `started_at` to the moment the published document
  uses (bot/publish/shapes.milestones): the event the retrospective picked for that kind, else
  the earliest event marked with it, else the incident's `detected_at` / `mitigated_at` /
  `resolved_at` (the retrospective's pick sets these; a status change to monitoring or resolved
  sets `mitigated_at` once; resolved sets `resolved_at`, a reopen clears it). Incidents without
  that moment are left out of that measure; a moment before the start counts as 0. Marks of
  `mark` reactions, the message shortcut and the retrospective's timeline step all count.
- Every moment and duration is read to the whole second.
- Postmortems still to write: resolved or closed, not published, and not marked "no postmortem
  needed"; their age runs from the resolution moment.
- Resolution to publication: `published_at` of the retrospective minus the resolution moment,
  over published incidents that have both.
- Action items (of the window's incidents): closed on time = done by the end of its due date (in
  UTC) or done with no due date; closed late = done after it; won't do apart; overdue = still
  open with a due date before today (UTC). Time to close: created to closed, done items only.
- Contributing factors: a category counts once per incident it appears in; it repeats on a
  service when it appears in at least REPEAT_AT_LEAST incidents that list that service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.errors import UserInputError
from bot.ids import COMMAND
from bot.publish.shapes import MILESTONES
from models import FactorCategory, IncidentStatus, PostmortemState, Priority, Severity

WINDOWS: dict[str, int] = {"30d": 30, "90d": 90, "365d": 365}
DEFAULT_WINDOW = "90d"
HEADLINE_DAYS = WINDOWS[DEFAULT_WINDOW]  # the weekly digest's line and App Home's numbers
PERCENTILE = 90
REPEAT_AT_LEAST = 2  # incidents of one service sharing a category
FINISHED = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
MILESTONE_KINDS = tuple(MILESTONES)  # detection, mitigation, resolution: the marks that count


def parse_window(args: str) -> int:
    """`30d`, `90d` or `365d` (any case, default 90d) → days; anything else is refused."""
    word = args.strip().lower() or DEFAULT_WINDOW
    if word not in WINDOWS:
        allowed = ", ".join(f"`{name}`" for name in WINDOWS)
        raise UserInputError(
            f"`{COMMAND} stats` takes one window: {allowed} (default `{DEFAULT_WINDOW}`)."
        )
    return WINDOWS[word]


# ---- the maths --------------------------------------------------------------------------------


def middle_ranks(count: int) -> tuple[int, int]:
    """0-based positions of the value(s) the median averages: one for odd counts, two for even."""
    return (count - 1) // 2, count // 2


def nearest_rank(count: int, percentile: int = PERCENTILE) -> int:
    """0-based position of the nearest-rank percentile: the ⌈p/100 · n⌉-th smallest value."""
    return max(-(-percentile * count // 100), 1) - 1  # ceiling in integers: no float rounding


@dataclass(frozen=True, slots=True)
class Spread:
    """A median and 90th percentile of `count` durations (None when there are none)."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


def spread(seconds: Iterable[float]) -> Spread:
    """Median and p90 of durations given in seconds."""
    ordered = sorted(seconds)
    if not ordered:
        return Spread()
    low, high = middle_ranks(len(ordered))
    return Spread(
        count=len(ordered),
        median=timedelta(seconds=(ordered[low] + ordered[high]) / 2),
        p90=timedelta(seconds=ordered[nearest_rank(len(ordered))]),
    )


# ---- what is loaded ---------------------------------------------------------------------------


class IncidentFacts(NamedTuple):
    """One incident of the window, its milestones already chosen, every moment in seconds
    since 1970 UTC (whole seconds). A named tuple: 10,000 are built per request."""

    id: int
    number: int
    title: str
    channel_id: str | None
    severity: Severity
    status: IncidentStatus
    postmortem_state: PostmortemState
    started: float
    detected: float | None
    mitigated: float | None
    resolved: float | None
    published: float | None
    no_postmortem_needed: bool = False  # said so, with a reason: owed nothing

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"

    @property
    def awaiting_postmortem(self) -> bool:
        return (
            self.status in FINISHED
            and self.postmortem_state != PostmortemState.PUBLISHED
            and not self.no_postmortem_needed
        )


@dataclass(frozen=True, slots=True)
class ItemCounts:
    """Action items of one priority (or all of them)."""

    created: int = 0
    on_time: int = 0
    late: int = 0
    wont_do: int = 0
    open: int = 0
    overdue: int = 0

    def __add__(self, other: ItemCounts) -> ItemCounts:
        return ItemCounts(
            *(getattr(self, name) + getattr(other, name) for name in ItemCounts.__slots__)
        )

    @property
    def closed(self) -> int:
        return self.on_time + self.late


# ---- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A resolved incident with no published postmortem, and how long since it was resolved."""

    ref: str
    title: str
    channel_id: str | None
    age: timedelta | None


@dataclass(frozen=True, slots=True)
class Repeat:
    category: FactorCategory
    service: str
    incidents: int


@dataclass(frozen=True, slots=True)
class TeamStats:
    days: int
    now: datetime
    by_severity: dict[Severity, int]
    detect: Spread
    mitigate: Spread
    resolve: Spread
    published: int
    awaiting: list[Awaiting]  # oldest resolution first
    not_needed: int  # resolved, marked "no postmortem needed"
    publish_lag: Spread
    items: dict[Priority, ItemCounts]
    close_time: Spread
    categories: list[tuple[FactorCategory, int]]  # most frequent first
    repeats: list[Repeat] = field(default_factory=list)  # most incidents first

    @property
    def since(self) -> datetime:
        return self.now - timedelta(days=self.days)

    @property
    def incidents(self) -> int:
        return sum(self.by_severity.values())

    @property
    def all_items(self) -> ItemCounts:
        return sum(self.items.values(), ItemCounts())


def build_stats(
    *,
    days: int,
    now: datetime,
    incidents: Sequence[IncidentFacts],
    items: dict[Priority, ItemCounts],
    close_time: Spread,
    categories: Iterable[tuple[FactorCategory, int]],
    repeats: Iterable[Repeat],
) -> TeamStats:
    """The numbers from what was loaded (factors already counted, see stats_load)."""
    severities = Counter(incident.severity for incident in incidents)
    categories, repeats = ranked_factors(categories, repeats)
    return TeamStats(
        days=days,
        now=now,
        by_severity={severity: severities[severity] for severity in Severity},
        detect=spread(_durations(incidents, "detected")),
        mitigate=spread(_durations(incidents, "mitigated")),
        resolve=spread(_durations(incidents, "resolved")),
        published=sum(1 for i in incidents if i.postmortem_state == PostmortemState.PUBLISHED),
        awaiting=awaiting(incidents, now),
        not_needed=sum(1 for incident in incidents if incident.no_postmortem_needed),
        publish_lag=spread(publish_lags(incidents)),
        items={priority: items.get(priority, ItemCounts()) for priority in Priority},
        close_time=close_time,
        categories=categories,
        repeats=repeats,
    )


def _durations(incidents: Iterable[IncidentFacts], milestone: str) -> list[float]:
    """Seconds from the start to the milestone; a moment before the start counts as 0."""
    index = IncidentFacts._fields.index(milestone)
    return [
        max(incident[index] - incident.started, 0.0)
        for incident in incidents
        if incident[index] is not None
    ]


def publish_lags(incidents: Iterable[IncidentFacts]) -> list[float]:
    return [
        max(incident.published - incident.resolved, 0.0)
        for incident in incidents
        if incident.postmortem_state == PostmortemState.PUBLISHED
        and incident.published is not None
        and incident.resolved is not None
    ]


def awaiting(incidents: Iterable[IncidentFacts], now: datetime) -> list[Awaiting]:
    """Oldest resolution first; those with no known resolution moment last, by number."""
    waiting = sorted(
        (i for i in incidents if i.awaiting_postmortem),
        key=lambda i: (i.resolved is None, i.resolved or i.started, i.number),
    )
    moment = now.timestamp()
    return [
        Awaiting(
            ref=incident.ref,
            title=incident.title,
            channel_id=incident.channel_id,
            age=None
            if incident.resolved is None
            else timedelta(seconds=max(moment - incident.resolved, 0.0)),
        )
        for incident in waiting
    ]


def ranked_factors(
    categories: Iterable[tuple[FactorCategory, int]], repeats: Iterable[Repeat]
) -> tuple[list[tuple[FactorCategory, int]], list[Repeat]]:
    """Categories by the number of incidents they appear in, ties in the enum's order; repeats
    by incidents, then service, then category."""
    order = {category: position for position, category in enumerate(FactorCategory)}
    return (
        sorted(categories, key=lambda entry: (-entry[1], order[entry[0]])),
        sorted(
            repeats,
            key=lambda repeat: (-repeat.incidents, repeat.service, order[repeat.category]),
        ),
    )
