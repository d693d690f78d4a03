"""The team's numbers (bot/insights/stats.py) in Slack: the message `/postmortem stats` posts,
and the headline shown in the weekly digest and on App Home. About systems and follow-through,
never about people: nobody is named or ranked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, MarkdownTextObject
from slack_sdk.models.blocks import SectionBlock as Section

from bot.ids import COMMAND, Stats
from bot.insights.stats import Spread, TeamStats
from bot.publish.render import category_label
from bot.publish.shapes import duration_text
from bot.ui.blocks import MAX_TEXT, context, section
from bot.ui.text import clip, escape
from models import Priority

MAX_AWAITING = 10
MAX_CATEGORIES = 5
MAX_REPEATS = 8
MAX_TITLE = 100
DEFINITIONS = (
    "Incidents started in the window. Median: the middle value (the mean of the two middle "
    "ones for an even count); p90: nearest rank. Times from the start to the moment marked "
    "or picked in the retrospective, else the status change. About systems, never people."
)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def window_label(stats: TeamStats) -> str:
    return f"last {stats.days} days"


def severity_counts(stats: TeamStats) -> str:
    """`SEV1 1 · SEV2 4` (the severities seen), or "" when there were none."""
    return " · ".join(f"{sev.value} {n}" for sev, n in stats.by_severity.items() if n)


def spread_text(spread: Spread) -> str:
    if spread.median is None:
        return "—"
    return f"median {duration_text(spread.median)} · p90 {duration_text(spread.p90)}"


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "resolution time unknown"
    return f"resolved {duration_text(age)} ago"


# ---- the headline (digest, App Home) ----------------------------------------------------------


def headline_line(stats: TeamStats) -> str:
    """One line for the weekly digest."""
    lead = f"*{window_label(stats).capitalize()}:* "
    if not stats.incidents:
        return lead + "no incidents. :sunny:"
    items = stats.all_items
    parts = [
        f"{plural(stats.incidents, 'incident')} ({severity_counts(stats)})",
        f"time to resolve {spread_text(stats.resolve)}",
        f"{plural(stats.published, 'postmortem')} published, {len(stats.awaiting)} still to write",
        f"action items closed on time: {items.on_time} of {items.closed}",
    ]
    return lead + " · ".join(parts) + f". `{COMMAND} stats` for the whole picture."


def headline_fields(stats: TeamStats) -> list[MarkdownTextObject]:
    """App Home's team numbers for the window."""
    items = stats.all_items
    incidents = str(stats.incidents) + (f" ({severity_counts(stats)})" if stats.incidents else "")
    resolve = duration_text(stats.resolve.median) if stats.resolve.median else "—"
    return [
        MarkdownTextObject(text=f"*Incidents*\n{incidents}"),
        MarkdownTextObject(text=f"*Median time to resolve*\n{resolve}"),
        MarkdownTextObject(
            text=f"*Postmortems published*\n{stats.published} ({len(stats.awaiting)} to write)"
        ),
        MarkdownTextObject(text=f"*Items closed on time*\n{items.on_time} of {items.closed}"),
    ]


# ---- the message ------------------------------------------------------------------------------


def stats_message(stats: TeamStats) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks of the message posted in the channel."""
    blocks: list[Block] = [
        HeaderBlock(block_id=Stats.HEADER, text=f"Incident stats · {window_label(stats)}"),
        context(Stats.WINDOW, _window(stats)),
        section(Stats.INCIDENTS, _incidents(stats)),
    ]
    if stats.incidents:
        blocks += [
            _response_times(stats),
            DividerBlock(),
            section(Stats.POSTMORTEMS, _postmortems(stats)),
            section(Stats.ITEMS, _items(stats)),
            section(Stats.FACTORS, _factors(stats)),
        ]
    blocks.append(context(Stats.FOOTER, DEFINITIONS))
    return clip(stats_text(stats), MAX_TEXT), [block.to_dict() for block in blocks]


def stats_text(stats: TeamStats) -> str:
    """The message as plain text: the notification, and what an ephemeral answer shows."""
    if not stats.incidents:
        return f"Incident stats, {window_label(stats)}: no incidents."
    return (
        f"Incident stats, {window_label(stats)}: {plural(stats.incidents, 'incident')}; "
        f"time to resolve {spread_text(stats.resolve)}; {stats.published} postmortems "
        f"published, {len(stats.awaiting)} still to write."
    )


def _window(stats: TeamStats) -> str:
    since, until = stats.since.strftime("%Y-%m-%d"), stats.now.strftime("%Y-%m-%d %H:%M UTC")
    return f"Incidents started from {since} to {until}"


def _incidents(stats: TeamStats) -> str:
    if not stats.incidents:
        return f"*No incidents* in the {window_label(stats)}. :sunny:"
    return f"*{plural(stats.incidents, 'incident')}* · {severity_counts(stats)}"


def _response_times(stats: TeamStats) -> Section:
    fields = [
        MarkdownTextObject(
            text=f"*Time to {verb}* ({plural(spread.count, 'incident')})\n{spread_text(spread)}"
        )
        for verb, spread in (
            ("detect", stats.detect),
            ("mitigate", stats.mitigate),
            ("resolve", stats.resolve),
        )
    ]
    return Section(block_id=Stats.TIMES, fields=fields)


def _postmortems(stats: TeamStats) -> str:
    lag = stats.publish_lag
    lines = [f"*Postmortems* · {stats.published} published"]
    if lag.median is not None:
        lines[0] += f", median {duration_text(lag.median)} from resolution to publication"
    if stats.not_needed:
        lines[0] += f" · {stats.not_needed} marked no postmortem needed"
    if not stats.awaiting:
        lines.append("Every resolved incident has its postmortem. :books:")
        return "\n".join(lines)
    lines.append(f"{plural(len(stats.awaiting), 'resolved incident')} still without one:")
    for waiting in stats.awaiting[:MAX_AWAITING]:
        where = f" · <#{waiting.channel_id}>" if waiting.channel_id else ""
        title = escape(clip(waiting.title, MAX_TITLE))
        lines.append(f"• {waiting.ref}: {title}{where} · {age_text(waiting.age)}")
    if len(stats.awaiting) > MAX_AWAITING:
        lines.append(f"…and {len(stats.awaiting) - MAX_AWAITING} more")
    return "\n".join(lines)


def _items(stats: TeamStats) -> str:
    total = stats.all_items
    if not total.created:
        return "*Action items* · none created"
    lines = [
        f"*Action items* · {total.created} created · {total.on_time} closed on time · "
        f"{total.late} closed late · {total.wont_do} won't do · {total.open} still open, "
        f"{total.overdue} overdue",
        "Open (overdue) by priority: "
        + " · ".join(
            f"{priority.value} {stats.items[priority].open} ({stats.items[priority].overdue})"
            for priority in Priority
        ),
    ]
    if stats.close_time.median is not None:
        lines.append(f"Time to close: {spread_text(stats.close_time)}")
    return "\n".join(lines)


def _factors(stats: TeamStats) -> str:
    if not stats.categories:
        return "*Contributing factors* · none recorded yet"
    top = " · ".join(
        f"{category_label(category)} ({plural(count, 'incident')})"
        for category, count in stats.categories[:MAX_CATEGORIES]
    )
    lines = [f"*Contributing factors* · most frequent: {top}"]
    if stats.repeats:
        lines.append("Repeating on a service:")
        lines += [
            f"• {escape(clip(repeat.service, MAX_TITLE))}: "
            f"{category_label(repeat.category)} in {repeat.incidents} incidents"
            for repeat in stats.repeats[:MAX_REPEATS]
        ]
    else:
        lines.append("No category repeats on one service.")
    return "\n".join(lines)


# ---- when it can't be posted ------------------------------------------------------------------

WHY_NOT_POSTED = {
    "not_in_channel": "I'm not a member of this channel; invite me (`/invite @Hindsight`) and "
    "ask again to share them here.",
    "channel_not_found": "I can't see this conversation (a private channel or a DM I'm not "
    "in); ask in a channel I'm a member of to share them.",
    "is_archived": "This channel is archived.",
}


def not_posted_message(stats: TeamStats, error: str) -> tuple[str, list[dict[str, Any]]]:
    """The numbers for the asker alone, saying why they were not posted (no chart)."""
    why = WHY_NOT_POSTED.get(error, f"Slack answered `{escape(error)}`.")
    note = f":lock: Only you can see these numbers, and the chart wasn't shared: {why}"
    text, blocks = stats_message(stats)
    return clip(f"{text} (Only you can see this: {error}.)", MAX_TEXT), [
        context(Stats.NOT_POSTED, note).to_dict(),
        *blocks,
    ]


def chart_failed_text(error: str) -> str:
    return (
        f"The numbers are posted, but I couldn't upload the chart (Slack answered "
        f"`{escape(error)}`). Ask again with `{COMMAND} stats` to retry."
    )


def failed_text() -> str:
    return (
        "Sorry, I couldn't work out the numbers this time; nothing was posted. "
        f"Try `{COMMAND} stats` again in a moment."
    )
