"""One action item as Block Kit, the same wherever it appears: the reminder DM, the assigned DM,
an escalation, App Home. Its controls act at once (Done, Snooze, Reassign, Won't do); each
button's value is the item id, and the blocks carry it too (`followup.item.<id>`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import FollowUp, parse_row_id
from bot.trackers.shapes import ItemTracker, RemoteState
from bot.ui.text import clip, escape, slack_date
from bot.ui.tracker import tracker_button, tracker_line
from models import ActionItem, ActionStatus, Incident

MAX_TITLE_SHOWN = 300


def item_block_id(item_id: int) -> str:
    return f"{FollowUp.ITEM}.{item_id}"


def item_ids_in(blocks: list[dict[str, Any]]) -> list[int]:
    """The items a message shows, from their sections' block ids, in order."""
    prefix = f"{FollowUp.ITEM}."
    found = []
    for block in blocks:
        rest = str(block.get("block_id") or "").removeprefix(prefix)
        item_id = parse_row_id(rest) if rest != block.get("block_id") else None
        if item_id is not None:
            found.append(item_id)
    return found


def controls_block_id(item_id: int) -> str:
    return f"{FollowUp.ITEM}.{item_id}.do"


def due_text(due: date | None, today: date) -> str:
    """ "due Fri 28 Nov (in 3 days)", "due today", "overdue since Mon 24 Nov (2 days)"."""
    if due is None:
        return "no due date"
    days = (due - today).days
    shown = f"{due:%a} {due.day} {due:%b}" + ("" if due.year == today.year else f" {due.year}")
    if days < 0:
        return f"*overdue* since {shown} ({-days} day{'' if days == -1 else 's'})"
    if days == 0:
        return f"due *today* ({shown})"
    if days == 1:
        return f"due tomorrow ({shown})"
    return f"due {shown} (in {days} days)"


def state_text(
    item: ActionItem,
    *,
    viewer_id: str | None,
    now: datetime,
    tracker: ItemTracker | None = None,
) -> str | None:
    """What became of the item, when it is no longer simply open and the viewer's."""
    if (
        item.status is ActionStatus.DONE
        and item.closed_by is None  # closed by its issue, not by anyone here
        and tracker is not None
        and tracker.state is RemoteState.CLOSED
    ):
        return f":white_check_mark: Closed in {tracker.kind.label}. Thank you!"
    if item.status is ActionStatus.DONE:
        by = f" by <@{item.closed_by}>" if item.closed_by and item.closed_by != viewer_id else ""
        return f":white_check_mark: Done{by}. Thank you!"
    if item.status is ActionStatus.WONT_DO:
        reason = escape(clip(item.wont_do_reason or "", 500))
        return f":no_entry_sign: Won't do: _{reason}_" if reason else ":no_entry_sign: Won't do"
    if viewer_id is not None and item.owner_id != viewer_id:
        owner = f"<@{item.owner_id}>" if item.owner_id else "nobody yet"
        return f":arrow_right: Reassigned to {owner}"
    if item.snoozed_until is not None and item.snoozed_until > now:
        until = slack_date(item.snoozed_until, tokens="{date_short_pretty} at {time}")
        return f":zzz: Snoozed until {until}"
    return None


def item_text(
    item: ActionItem,
    incident: Incident,
    *,
    today: date,
    now: datetime,
    viewer_id: str | None = None,
    tracker: ItemTracker | None = None,
) -> str:
    """Title, where it comes from, owner (when not the viewer), due date and priority; then
    its state once it is closed, reassigned or snoozed; then its issue in the tracker."""
    title = escape(clip(item.title, MAX_TITLE_SHOWN))
    source = f"<#{incident.channel_id}>" if incident.channel_id else incident.ref
    facts = [f"{incident.ref} {source}"]
    if item.owner_id and item.owner_id != viewer_id:
        facts.append(f"owner <@{item.owner_id}>")
    if item.status is ActionStatus.OPEN:
        facts.append(due_text(item.due_date, today))
    facts.append(f"{item.priority.value} priority")
    lines = [f"*{title}*", " · ".join(facts)]
    state = state_text(item, viewer_id=viewer_id, now=now, tracker=tracker)
    if state is not None:
        lines.append(state)
    issue = tracker_line(tracker)
    if issue is not None:
        lines.append(issue)
    return "\n".join(lines)


def item_controls(item: ActionItem, tracker: ItemTracker | None = None) -> ActionsBlock:
    """Done, Snooze 1 day, Snooze 1 week, Reassign, Won't do: one click each (the last two open
    a small modal); then the tracker's Create issue (or Retry) when a tracker is configured."""
    value = str(item.id)
    elements = [
        ButtonElement(text="Done", action_id=FollowUp.DONE, value=value, style="primary"),
        ButtonElement(text="Snooze 1 day", action_id=FollowUp.SNOOZE_DAY, value=value),
        ButtonElement(text="Snooze 1 week", action_id=FollowUp.SNOOZE_WEEK, value=value),
        ButtonElement(text="Reassign…", action_id=FollowUp.REASSIGN, value=value),
        ButtonElement(text="Won't do…", action_id=FollowUp.WONT_DO, value=value),
    ]
    button = tracker_button(item.id, tracker)
    if button is not None:
        elements.append(button)
    return ActionsBlock(block_id=controls_block_id(item.id), elements=elements)


def item_blocks(
    item: ActionItem,
    incident: Incident,
    *,
    today: date,
    now: datetime,
    viewer_id: str | None,
    controls: bool,
    tracker: ItemTracker | None = None,
) -> list[Block]:
    """The item's section, and its controls while it is open (and `controls` is asked for)."""
    text = item_text(item, incident, today=today, now=now, viewer_id=viewer_id, tracker=tracker)
    blocks: list[Block] = [
        SectionBlock(block_id=item_block_id(item.id), text=MarkdownTextObject(text=text))
    ]
    if controls and item.status is ActionStatus.OPEN:
        blocks.append(item_controls(item, tracker))
    return blocks


def redraw_item(
    blocks: list[dict[str, Any]],
    item: ActionItem,
    incident: Incident,
    *,
    today: date,
    now: datetime,
    viewer_id: str | None,
    tracker: ItemTracker | None = None,
) -> list[dict[str, Any]]:
    """A message's blocks (as Slack sends them back) with this item shown as it now stands:
    its section rewritten, its controls dropped once it is closed or no longer the viewer's
    (kept after a snooze, so it can still be closed; drawn again when a tracker is given, so
    Create issue gives way to the issue's link). The rest of the message is untouched, so
    this works for any message that lists items, whichever builder made it."""
    section_id, controls_id = item_block_id(item.id), controls_block_id(item.id)
    keep_controls = item.status is ActionStatus.OPEN and viewer_id in (None, item.owner_id)
    text = item_text(item, incident, today=today, now=now, viewer_id=viewer_id, tracker=tracker)
    redrawn: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("block_id") == controls_id and not keep_controls:
            continue
        if block.get("block_id") == controls_id and tracker is not None:
            block = item_controls(item, tracker).to_dict()
        if block.get("block_id") == section_id:
            block = {**block, "text": {"type": "mrkdwn", "text": text}}
        redrawn.append(block)
    return redrawn
