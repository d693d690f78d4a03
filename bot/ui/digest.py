"""The weekly digest message: a nudge to the team about follow-through, not a scorecard.

Open and past-due action items per incident (the past-due ones named, with their owners), how
many each person holds, and the postmortems waiting to be published. People are listed in a
neutral order with counts only; nobody is ranked. Within a message's limits: ≤ 50 blocks, each
section ≤ 3000 characters, lists capped with "and N more".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.followup.shapes import TeamDigest
from bot.ids import Digest
from bot.ui.blocks import MAX_TEXT, section
from bot.ui.debt import owed_line
from bot.ui.home import retro_state
from bot.ui.item import due_text
from bot.ui.stats import headline_line
from bot.ui.text import clip, escape
from models import ActionItem, Incident

MAX_INCIDENTS = 15
MAX_OVERDUE_LISTED = 5  # per incident
MAX_OWNERS = 40
MAX_UNPUBLISHED = 15
MAX_TITLE = 120


def digest_message(report: TeamDigest) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks."""
    by_incident = _by_incident(report.open_items)
    blocks: list[Block] = [
        HeaderBlock(block_id=Digest.HEADER, text=f"Weekly follow-through · {_week(report)}"),
        section(Digest.SUMMARY, _summary(report, len(by_incident))),
    ]
    if by_incident:
        blocks += [DividerBlock(), *_incidents(report, by_incident), _owners(report)]
    blocks += [DividerBlock(), *_postmortems(report)]
    if report.stats is not None:
        blocks.append(section(Digest.STATS, headline_line(report.stats)))
    blocks.append(_footer())
    return _fallback(report), [block.to_dict() for block in blocks]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _week(report: TeamDigest) -> str:
    year, _, week = report.period.partition("-W")
    return f"week {int(week)}, {year}"


def _overdue(item: ActionItem, report: TeamDigest) -> bool:
    return item.due_date is not None and item.due_date < report.today


def _by_incident(
    entries: list[tuple[ActionItem, Incident]],
) -> dict[int, tuple[Incident, list[ActionItem]]]:
    grouped: dict[int, tuple[Incident, list[ActionItem]]] = {}
    for item, incident in entries:
        grouped.setdefault(incident.id, (incident, []))[1].append(item)
    return grouped


def _fallback(report: TeamDigest) -> str:
    overdue = sum(1 for item, _ in report.open_items if _overdue(item, report))
    return clip(
        f"Weekly follow-through: {_plural(len(report.open_items), 'open action item')} "
        f"({overdue} past due), {_plural(len(report.unpublished), 'postmortem')} to publish.",
        MAX_TEXT,
    )


def _summary(report: TeamDigest, incidents: int) -> str:
    open_count = len(report.open_items)
    overdue = sum(1 for item, _ in report.open_items if _overdue(item, report))
    if open_count:
        line = f"{_plural(open_count, 'action item')} open across {_plural(incidents, 'incident')}"
        line += f", {overdue} past due." if overdue else ", none past due."
    else:
        line = "No open action items. :sparkles:"
    if report.closed_this_week:
        line += f" {_plural(report.closed_this_week, 'item')} closed this week: thank you! :tada:"
    if report.unpublished:
        waiting = _plural(len(report.unpublished), "postmortem")
        line += f"\n{waiting} waiting to be published."
        if report.owed:
            line += f" {len(report.owed)} of them past due."
    return line


def _incidents(
    report: TeamDigest, grouped: dict[int, tuple[Incident, list[ActionItem]]]
) -> list[Block]:
    """Incidents with past-due items first, then the most open items, then by number."""
    ordered = sorted(
        grouped.values(),
        key=lambda entry: (
            -sum(1 for item in entry[1] if _overdue(item, report)),
            -len(entry[1]),
            entry[0].number,
        ),
    )
    blocks: list[Block] = [section(Digest.INCIDENTS, "*Open action items by incident*")]
    for incident, items in ordered[:MAX_INCIDENTS]:
        blocks.append(
            section(f"{Digest.INCIDENTS}.{incident.id}", _incident_text(report, incident, items))
        )
    more = len(ordered) - MAX_INCIDENTS
    if more > 0:
        blocks.append(
            ContextBlock(
                block_id=Digest.INCIDENTS_MORE,
                elements=[MarkdownTextObject(text=f"…and {_plural(more, 'more incident')}.")],
            )
        )
    return blocks


def _incident_text(report: TeamDigest, incident: Incident, items: list[ActionItem]) -> str:
    title = escape(clip(incident.title, MAX_TITLE))
    where = f" · <#{incident.channel_id}>" if incident.channel_id else ""
    overdue = [item for item in items if _overdue(item, report)]
    counts = f"{len(items)} open" + (f", {len(overdue)} past due" if overdue else "")
    lines = [f"*{incident.ref}: {title}*{where}", counts]
    for item in overdue[:MAX_OVERDUE_LISTED]:
        owner = f"<@{item.owner_id}>" if item.owner_id else "no owner yet"
        item_title = escape(clip(item.title, MAX_TITLE))
        lines.append(f"• {item_title} · {owner} · {due_text(item.due_date, report.today)}")
    if len(overdue) > MAX_OVERDUE_LISTED:
        lines.append(f"…and {len(overdue) - MAX_OVERDUE_LISTED} more past due")
    return "\n".join(lines)


def _owners(report: TeamDigest) -> SectionBlock:
    """Counts per person, in a fixed neutral order (by user id): not a ranking."""
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for item, _ in report.open_items:
        counts[item.owner_id][0] += 1
        counts[item.owner_id][1] += int(_overdue(item, report))
    people = sorted(owner for owner in counts if owner is not None)
    lines = [_owner_line(f"<@{owner}>", *counts[owner]) for owner in people[:MAX_OWNERS]]
    if len(people) > MAX_OWNERS:
        lines.append(f"…and {_plural(len(people) - MAX_OWNERS, 'more person')}")
    if None in counts:
        lines.append(_owner_line("No owner yet", *counts[None]) + ", free for anyone to pick up")
    return section(Digest.OWNERS, "*Open action items by owner*\n" + "\n".join(lines))


def _owner_line(who: str, open_count: int, overdue: int) -> str:
    return f"{who}: {open_count} open" + (f" ({overdue} past due)" if overdue else "")


def _postmortems(report: TeamDigest) -> list[Block]:
    """The postmortems owed (past POSTMORTEM_DUE_DAYS), then the others not yet published."""
    owed = {incident.id for incident in report.owed}
    waiting = [incident for incident in report.unpublished if incident.id not in owed]
    blocks: list[Block] = [_owed(report)] if report.owed else []
    if waiting or not report.owed:
        blocks.append(_unpublished(waiting))
    return blocks


def _owed(report: TeamDigest) -> SectionBlock:
    lines = [owed_line(incident, today=report.today) for incident in report.owed[:MAX_UNPUBLISHED]]
    more = len(report.owed) - MAX_UNPUBLISHED
    if more > 0:
        lines.append(f"…and {more} more")
    heading = "*Postmortems owed*: resolved a while ago, still not written"
    return section(Digest.OWED, heading + "\n" + "\n".join(lines))


def _unpublished(unpublished: list[Incident]) -> SectionBlock:
    if not unpublished:
        text = "*Postmortems*\nEvery resolved incident has its postmortem published. :books:"
        return section(Digest.UNPUBLISHED, text)
    lines = []
    for incident in unpublished[:MAX_UNPUBLISHED]:
        title = escape(clip(incident.title, MAX_TITLE))
        where = f" · <#{incident.channel_id}>" if incident.channel_id else ""
        lines.append(f"• *{incident.ref}: {title}*{where} · {retro_state(incident)}")
    more = len(unpublished) - MAX_UNPUBLISHED
    if more > 0:
        lines.append(f"…and {more} more")
    heading = "*Resolved, postmortem not yet published*"
    return section(Digest.UNPUBLISHED, heading + "\n" + "\n".join(lines))


def _footer() -> ContextBlock:
    text = (
        "A weekly nudge, not a scorecard. Close, snooze or reassign items from your reminder DMs "
        "or the Hindsight Home tab. Blameless: about systems and conditions, not people."
    )
    return ContextBlock(block_id=Digest.FOOTER, elements=[MarkdownTextObject(text=text)])
