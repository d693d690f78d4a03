"""The reminder DM: one message per owner listing the items that need a look, each with its
controls. The same builder redraws the message in place after a button is pressed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.followup.cadence import WorkingHours
from bot.ids import FollowUp
from bot.trackers.shapes import ItemTracker
from bot.ui.item import item_blocks
from bot.ui.text import clip, escape
from models import ActionItem, ActionStatus, Incident

# Two blocks per item, plus the intro, the "more" line and the footer, within a message's 50.
MAX_ITEMS_PER_DM = 20


def working_hours_text(hours: WorkingHours) -> str:
    days = sorted(hours.weekdays)
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    contiguous = days == list(range(days[0], days[-1] + 1))
    shown_days = (
        f"{names[days[0]]}–{names[days[-1]]}"
        if contiguous and len(days) > 2
        else ", ".join(names[d] for d in days)
    )
    end = "24:00" if hours.end.hour == 23 and hours.end.minute == 59 else f"{hours.end:%H:%M}"
    return f"{shown_days} {hours.start:%H:%M}–{end} ({hours.tz})"


def reminder_intro(*, recipient_id: str, items: Sequence[ActionItem], today: date) -> str:
    """The DM's first line, as the items now stand (it is redrawn after each button)."""
    still_open = [
        item for item in items if item.status is ActionStatus.OPEN and item.owner_id == recipient_id
    ]
    overdue = sum(1 for item in still_open if item.due_date is not None and item.due_date < today)
    count = len(items)
    noun = "action item" if count == 1 else "action items"
    if not still_open:
        return f"All done here: nothing left to do on {'this' if count == 1 else 'these'}. Thanks!"
    if len(still_open) < count:
        left = len(still_open)
        intro = f"{left} of these {count} {noun} still need a look (thanks for the rest!)"
    else:
        intro = f"A friendly nudge about {count} {noun} from past incidents"
    if overdue:
        return (
            f"{intro}; {overdue} {'is' if overdue == 1 else 'are'} past due. "
            "Closing them is how the next incident gets smaller."
        )
    return f"{intro}."


def redraw_intro(
    blocks: list[dict[str, Any]],
    *,
    recipient_id: str,
    items: Sequence[ActionItem],
    today: date,
) -> list[dict[str, Any]]:
    """A reminder DM's blocks (as Slack sends them back) with its first line recounted."""
    intro = reminder_intro(recipient_id=recipient_id, items=items, today=today)
    return [
        {**block, "text": {"type": "mrkdwn", "text": intro}}
        if block.get("block_id") == FollowUp.REMINDER_INTRO
        else block
        for block in blocks
    ]


def reminder_message(
    *,
    recipient_id: str,
    entries: Sequence[tuple[ActionItem, Incident]],
    today: date,
    now: datetime,
    hours: WorkingHours,
    trackers: Mapping[int, ItemTracker] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks. Items that are no longer the recipient's to act on (closed,
    reassigned) stay listed with what became of them, without controls. `trackers`: each
    item's issue in the team's tracker, by item id."""
    intro = reminder_intro(
        recipient_id=recipient_id, items=[item for item, _ in entries], today=today
    )
    blocks: list[Block] = [
        SectionBlock(block_id=FollowUp.REMINDER_INTRO, text=MarkdownTextObject(text=intro))
    ]
    for item, incident in entries[:MAX_ITEMS_PER_DM]:
        blocks += item_blocks(
            item,
            incident,
            today=today,
            now=now,
            viewer_id=recipient_id,
            controls=item.owner_id == recipient_id,
            tracker=(trackers or {}).get(item.id),
        )
    notes = []
    if len(entries) > MAX_ITEMS_PER_DM:
        notes.append(f"{len(entries) - MAX_ITEMS_PER_DM} more are on the Home tab.")
    notes.append(
        f"Nudges come only in your working hours ({working_hours_text(hours)}). "
        "Snooze if now isn't the time; Reassign if someone else is better placed."
    )
    blocks.append(
        ContextBlock(
            block_id=FollowUp.REMINDER_FOOTER,
            elements=[MarkdownTextObject(text=" ".join(notes))],
        )
    )
    titles = "; ".join(escape(item.title) for item, _ in entries[:5])
    text = clip(f"Action items that need a look: {titles}", 3000)
    return text, [block.to_dict() for block in blocks]


def escalation_message(
    *,
    item: ActionItem,
    incident: Incident,
    working_days_late: int,
    today: date,
    now: datetime,
) -> tuple[str, list[dict[str, Any]]]:
    """The DM to the facilitator (or commander) about an item still open after several nudges:
    an ask for help, with the item's controls so they can close or reassign it themselves.
    Drawn for no particular viewer (as its redraw after a button press is): the item is simply
    someone else's, not reassigned away from the recipient."""
    owner = f"<@{item.owner_id}>" if item.owner_id else "its owner"
    days = f"{working_days_late} working day{'' if working_days_late == 1 else 's'}"
    intro = (
        f"Could you help find a way forward on this action item from {incident.ref}? "
        f"It is {days} past due and {owner} has had a few reminders. Maybe it needs a new "
        "owner, a new date, or a decision that it won't be done: any of those is a fine outcome."
    )
    blocks: list[Block] = [
        SectionBlock(block_id=FollowUp.ESCALATION_INTRO, text=MarkdownTextObject(text=intro)),
        *item_blocks(item, incident, today=today, now=now, viewer_id=None, controls=True),
    ]
    title = escape(item.title)
    text = clip(f"Could you help with an action item from {incident.ref}: {title}", 3000)
    return text, [block.to_dict() for block in blocks]


def escalation_note(
    *, item: ActionItem, incident: Incident, helper_id: str | None, working_days_late: int
) -> str:
    """The short, blameless line posted in the incident channel when an item is escalated."""
    title = escape(clip(item.title, 150))
    owner = f" (owner <@{item.owner_id}>)" if item.owner_id else ""
    days = f"{working_days_late} working day{'' if working_days_late == 1 else 's'}"
    helper = (
        f"<@{helper_id}> has been asked to help find a way forward."
        if helper_id
        else "Could someone here help find a way forward?"
    )
    return f"{incident.ref}: '{title}'{owner} is {days} past due; {helper}"
