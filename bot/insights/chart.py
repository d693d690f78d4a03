"""The stats chart: four small panels drawn with matplotlib's Agg canvas into PNG bytes.

Pure and thread-safe: a Figure of its own (never pyplot's global state), no display, no file,
so it can run in a worker thread while the event loop serves Slack.
"""

from __future__ import annotations

import io
from datetime import timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.insights.stats import Spread, TeamStats
from bot.publish.render import category_label
from models import Priority, Severity

SIZE_INCHES = (11.0, 6.5)
DPI = 100
SEVERITY_COLOURS = {
    Severity.SEV1: "#b3261e",
    Severity.SEV2: "#e8710a",
    Severity.SEV3: "#f2b705",
    Severity.SEV4: "#7a8a99",
}
# Action item outcomes, stacked left to right: closed on time … overdue.
OUTCOMES = (
    ("on_time", "Closed on time", "#2e7d32"),
    ("late", "Closed late", "#9ccc65"),
    ("wont_do", "Won't do", "#b0bec5"),
    ("open_in_time", "Open", "#64b5f6"),
    ("overdue", "Open, overdue", "#c62828"),
)
MAX_CATEGORIES = 6


def draw_chart(stats: TeamStats) -> bytes:
    """The PNG of the team's numbers over the window."""
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(f"Incident stats, last {stats.days} days", fontsize=14, fontweight="bold")
    (severity, times), (items, factors) = figure.subplots(2, 2)
    _severities(severity, stats)
    _times(times, stats)
    _items(items, stats)
    _factors(factors, stats)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _hours(span: timedelta | None) -> float:
    return 0.0 if span is None else span.total_seconds() / 3600


def _severities(axes: Axes, stats: TeamStats) -> None:
    names = [severity.value for severity in stats.by_severity]
    counts = list(stats.by_severity.values())
    bars = axes.bar(names, counts, color=[SEVERITY_COLOURS[s] for s in stats.by_severity])
    axes.bar_label(bars)
    axes.set_title(f"Incidents by severity ({stats.incidents})")
    axes.set_ylabel("incidents")
    axes.set_ylim(0, max([*counts, 1]) * 1.2)
    axes.yaxis.get_major_locator().set_params(integer=True)


def _times(axes: Axes, stats: TeamStats) -> None:
    spreads: list[tuple[str, Spread]] = [
        ("detect", stats.detect),
        ("mitigate", stats.mitigate),
        ("resolve", stats.resolve),
    ]
    rows = range(len(spreads))
    height = 0.38
    medians = [_hours(spread.median) for _, spread in spreads]
    p90s = [_hours(spread.p90) for _, spread in spreads]
    axes.barh([r - height / 2 for r in rows], medians, height, label="median", color="#1565c0")
    axes.barh([r + height / 2 for r in rows], p90s, height, label="p90", color="#90caf9")
    axes.set_yticks(list(rows), [f"time to {verb}\n({s.count})" for verb, s in spreads])
    axes.invert_yaxis()
    axes.set_xlabel("hours from the start")
    axes.set_title("Response times")
    axes.legend(loc="best", fontsize=8)


def _items(axes: Axes, stats: TeamStats) -> None:
    priorities = list(Priority)
    left = [0.0] * len(priorities)
    for attribute, label, colour in OUTCOMES:
        values = [float(_outcome(stats, priority, attribute)) for priority in priorities]
        axes.barh([p.value for p in priorities], values, left=left, label=label, color=colour)
        left = [start + value for start, value in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_title(f"Action items by priority ({stats.all_items.created})")
    axes.set_xlabel("action items")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="best", fontsize=7)


def _outcome(stats: TeamStats, priority: Priority, attribute: str) -> int:
    counts = stats.items[priority]
    if attribute == "open_in_time":
        return counts.open - counts.overdue
    return int(getattr(counts, attribute))


def _factors(axes: Axes, stats: TeamStats) -> None:
    top = stats.categories[:MAX_CATEGORIES]
    axes.set_title("Contributing factors (incidents)")
    if not top:
        axes.text(0.5, 0.5, "none recorded yet", ha="center", va="center", color="#666666")
        axes.set_axis_off()
        return
    bars = axes.barh([category_label(c) for c, _ in top], [n for _, n in top], color="#6a1b9a")
    axes.bar_label(bars, padding=2)
    axes.invert_yaxis()
    axes.set_xlim(0, max(n for _, n in top) * 1.2)
    axes.xaxis.get_major_locator().set_params(integer=True)
