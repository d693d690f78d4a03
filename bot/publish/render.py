"""The postmortem as one Markdown document: what `hindsight export --format markdown` prints and
what publishing attaches.

Deterministic (the same rows give the same bytes: no "generated at"), times in UTC with their
dates, people by their cached display names (their id when the cache doesn't know them). The
timeline shows the marked and hand-added events, the declare and every status, severity and role
change; when few moments were marked, messages picked from the channel too (see
bot/publish/document.py), labelled in italics. A deleted message keeps its place, never its
text. Messages link to Slack when the workspace's link format is known: publishing asks Slack
once; `hindsight export` runs without Slack and shows no message links. A section with nothing
in it says so instead of vanishing.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.publish.markdown import (
    cell,
    escape_inline,
    heading_text,
    list_item,
    one_line,
    paragraphs,
    slack_to_markdown,
)
from bot.publish.shapes import RETRO_PICK, Event, Postmortem, duration_text, system_label
from bot.timeline.shapes import kind_label
from models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    EventSource,
    FactorCategory,
    PostmortemState,
)

STATE_LABELS = {
    PostmortemState.NONE: "not started",
    PostmortemState.DRAFT: "draft",
    PostmortemState.IN_REVIEW: "in review",
    PostmortemState.PUBLISHED: "published",
}
STATUS_LABELS = {
    ActionStatus.OPEN: "Open",
    ActionStatus.DONE: "Done",
    ActionStatus.WONT_DO: "Won't do",
}
CATEGORY_LABELS = {
    FactorCategory.CODE_CHANGE: "Code change",
    FactorCategory.CONFIGURATION: "Configuration",
    FactorCategory.CAPACITY: "Capacity",
    FactorCategory.DEPENDENCY: "Dependency",
    FactorCategory.MONITORING_GAP: "Monitoring gap",
    FactorCategory.PROCESS: "Process",
    FactorCategory.COMMUNICATION: "Communication",
    FactorCategory.EXTERNAL: "External",
}
LESSONS = (
    ("What went well", "went_well"),
    ("What went badly", "went_badly"),
    ("Where we got lucky", "got_lucky"),
)
SUMMARY_PARTS = (
    ("What happened", "summary"),
    ("Customer impact", "customer_impact"),
    ("Duration", "duration"),
    ("How it was detected", "detection"),
)
NOT_YET = "_Not filled in yet._"
MARKED_ONLY = "Marked events and events added by hand, in UTC."
WITH_CHANGES = (
    "Marked events and events added by hand, with the declaration and every status, severity"
    " and role change, in UTC."
)
PICKED_NOTE = (
    "Few moments were marked, so the entries in italics were picked from the channel"
    " automatically: the first report, the messages just before and after each status change,"
    " and alerts from other apps. The full log is in the JSON export."
)


def utc(moment: datetime | None) -> str:
    """`2026-11-20 14:05 UTC`; `—` when there is no such moment."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "—"


def category_label(category: FactorCategory | None) -> str:
    return CATEGORY_LABELS.get(category, "Uncategorised") if category else "Uncategorised"


def render_markdown(pm: Postmortem) -> str:
    """The whole document, ending with one newline."""
    sections = [
        _heading(pm),
        _summary(pm),
        _response_times(pm),
        _timeline(pm),
        _factors(pm),
        *(_lesson(pm, title, column) for title, column in LESSONS),
        _action_items(pm),
    ]
    return "\n\n".join(sections) + "\n"


# ---- the top: title, severity, status, dates, roles, services -------------------------------


def _heading(pm: Postmortem) -> str:
    incident = pm.incident
    when = {kind: utc(milestone.at) for kind, milestone in pm.milestones.items()}
    services = ", ".join(one_line(s) for s in incident.services or []) or "—"
    facts = [
        ("Severity", str(incident.severity)),
        ("Status", incident.status.value.capitalize()),
        ("Postmortem", _state(pm)),
        ("Started", utc(incident.started_at)),
        ("Detected", when["detection"]),
        ("Mitigated", when["mitigation"]),
        ("Resolved", when["resolution"]),
        ("Commander", _person(pm, incident.commander_id)),
        ("Facilitator", _person(pm, incident.facilitator_id)),
        ("Declared by", _person(pm, incident.declared_by)),
        ("Services", services),
    ]
    lines = [f"# {incident.ref}: {heading_text(incident.title)}", ""]
    lines += [f"- **{label}:** {value}" for label, value in facts]
    return "\n".join(lines)


def _state(pm: Postmortem) -> str:
    state = STATE_LABELS[pm.incident.postmortem_state]
    retro = pm.retro
    if retro is not None and retro.published_at is not None:
        by = f" by {_person(pm, retro.published_by)}" if retro.published_by else ""
        return f"{state} (published {utc(retro.published_at)}{by})"
    if retro is not None and retro.last_edited_at is not None:
        by = f" by {_person(pm, retro.last_edited_by)}" if retro.last_edited_by else ""
        return f"{state} (last edited {utc(retro.last_edited_at)}{by})"
    return state


def _person(pm: Postmortem, user_id: str | None) -> str:
    return escape_inline(pm.name(user_id))


# ---- summary and impact; time to detect / mitigate / resolve --------------------------------


def _summary(pm: Postmortem) -> str:
    lines = ["## Summary and impact"]
    if pm.retro is None:
        lines += ["", "_The retrospective has not been started._"]
    for title, column in SUMMARY_PARTS:
        text = getattr(pm.retro, column) if pm.retro is not None else ""
        if column == "summary" and not text.strip():
            text = pm.incident.summary  # what the declarer wrote, until the retro says more
        lines += ["", f"### {title}", "", paragraphs(text) if text.strip() else NOT_YET]
    return "\n".join(lines)


def _response_times(pm: Postmortem) -> str:
    lines = [
        "## Time to detect, mitigate and resolve",
        "",
        f"Measured from the start, {utc(pm.incident.started_at)}.",
        "",
    ]
    for milestone in pm.milestones.values():
        span = duration_text(milestone.since_start)
        at = f" ({utc(milestone.at)})" if milestone.at is not None else ""
        lines.append(f"- **Time to {milestone.verb}:** {span}{at}")
    return "\n".join(lines)


# ---- the timeline -----------------------------------------------------------------------------


def _timeline(pm: Postmortem) -> str:
    events = [event for event in pm.events if event.shown_in_document or event.id in pm.picked]
    lines = ["## Timeline", ""]
    if not events:
        lines.append("No marked events yet.")
        return "\n".join(lines)
    changes = any(event.source == EventSource.SYSTEM for event in events)
    lines += [WITH_CHANGES if changes else MARKED_ONLY, ""]
    if pm.picked:
        lines += [PICKED_NOTE, ""]
    lines += [_event(pm, event) for event in events]
    return "\n".join(lines)


def _head(pm: Postmortem, event: Event) -> str:
    """`**when** · what · **who** · [message](link)`: a system event names its actor in its text."""
    head = f"**{utc(event.occurred_at)}** · "
    if event.id in pm.picked:
        head += f"_{pm.picked[event.id]}_"
    elif event.source == EventSource.SYSTEM:
        return head + system_label(event.text or "")
    else:
        head += ", ".join(kind_label(kind) for kind in event.kinds) or "Added by hand"
    author = event.author_name or pm.name(event.author_id, default="Hindsight")
    head += f" · **{one_line(author)}**"
    link = pm.links.link(event) if pm.links is not None else None
    if link:
        head += f" · [message](<{link.replace('>', '%3E').replace(' ', '%20')}>)"
    if event.edited_at is not None and not event.deleted:
        head += f" _(edited {utc(event.edited_at)})_"
    return head


def _event(pm: Postmortem, event: Event) -> str:
    head = _head(pm, event)
    if event.deleted:
        text = "_(message deleted)_"
    else:
        text = slack_to_markdown(event.text or "", pm.names) or "_(no text)_"
    body = f"{head}: {text}" if "\n" not in text else f"{head}:\n\n{text}"
    lines = [list_item("-", body)]
    if not event.deleted:
        for file in event.files or []:
            name = one_line(file.get("name") or file.get("title") or "file")
            link = file.get("permalink")
            lines.append(f"  - File: [{name}](<{link}>)" if link else f"  - File: {name}")
    for mark in event.marks:
        # The retro's own picks carry a stock note ("picked in the retrospective"): not news.
        if mark.note and not mark.reaction.startswith(RETRO_PICK):
            note = f"Note from {_person(pm, mark.marked_by)}: {one_line(mark.note)}"
            lines.append(f"  - {note}")
    return "\n".join(lines)


# ---- contributing factors, lessons, action items --------------------------------------------


def _factors(pm: Postmortem) -> str:
    lines = ["## Contributing factors", ""]
    if not pm.factors:
        lines.append("No contributing factors yet.")
    for number, factor in enumerate(pm.factors, start=1):
        if number > 1:
            lines.append("")
        lines += _factor(number, factor)
    return "\n".join(lines)


def _factor(number: int, factor: ContributingFactor) -> list[str]:
    lines = [f"### {number}. {category_label(factor.category)}", ""]
    lines.append(paragraphs(factor.description) if factor.description.strip() else NOT_YET)
    whys = [why for why in factor.whys or [] if why.strip()]
    lines += ["", "Why?" if whys else "_No whys yet._"]
    if whys:
        lines.append("")
        lines += [list_item(f"{i}.", paragraphs(why)) for i, why in enumerate(whys, start=1)]
    return lines


def _lesson(pm: Postmortem, title: str, column: str) -> str:
    text = getattr(pm.retro, column) if pm.retro is not None else ""
    return f"## {title}\n\n" + (paragraphs(text) if text.strip() else "Nothing noted yet.")


def _action_items(pm: Postmortem) -> str:
    lines = ["## Action items", ""]
    if not pm.action_items:
        lines.append("No action items yet.")
        return "\n".join(lines)
    # The Issue column only once an item is filed in a tracker (GitHub Issues, Jira).
    filed = any(item.tracker_key for item in pm.action_items)
    lines += [
        "| # | Action | Owner | Due | Priority | Kind | Status |" + (" Issue |" if filed else ""),
        "| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if filed else ""),
    ]
    for number, item in enumerate(pm.action_items, start=1):
        row = _item_row(pm, number, item)
        lines.append(f"{row} {_issue_cell(item)} |" if filed else row)
    return "\n".join(lines)


def _issue_cell(item: ActionItem) -> str:
    """`[OPS-12](<url>) (open)`, or a dash for an item not filed."""
    if not item.tracker_key:
        return "—"
    key = cell(item.tracker_key).replace("[", "\\[").replace("]", "\\]")
    shown = f"[{key}](<{_safe_url(item.tracker_url)}>)" if item.tracker_url else key
    return f"{shown} ({cell(item.tracker_state)})" if item.tracker_state else shown


def _safe_url(url: str | None) -> str:
    return (url or "").replace("|", "%7C").replace(">", "%3E").replace(" ", "%20")


def _item_row(pm: Postmortem, number: int, item: ActionItem) -> str:
    title = cell(item.title)
    if item.external_link:
        title += f" ([link](<{item.external_link.replace('|', '%7C').replace('>', '%3E')}>))"
    status = STATUS_LABELS[item.status]
    if item.status == ActionStatus.WONT_DO and item.wont_do_reason:
        status += f": {item.wont_do_reason}"
    owner = cell(pm.name(item.owner_id)) if item.owner_id else "—"
    cells = [
        str(number),
        title,
        owner,
        _day(item.due_date),
        item.priority.value.capitalize(),
        item.kind.value.capitalize(),
        cell(status),
    ]
    return "| " + " | ".join(cells) + " |"


def _day(day: date | None) -> str:
    return day.isoformat() if day is not None else "—"
