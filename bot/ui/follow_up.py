"""The small modals behind an item's Reassign and Won't do buttons, and the short answers to a
button that can't act.

A modal's private_metadata says which item and where its button was (a message's channel and
ts, or App Home), so the submission can redraw that place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import HindsightError
from bot.followup.shapes import MAX_REASON
from bot.ids import FollowUp, parse_row_id
from bot.ui.state import ViewState
from bot.ui.text import clip, escape
from models import ActionItem, ActionStatus, Incident

HOME = "home"


@dataclass(frozen=True, slots=True)
class ItemPlace:
    """An item and where its button was: a message (channel and ts), or App Home (both None)."""

    item_id: int
    channel_id: str | None = None
    ts: str | None = None

    @property
    def in_message(self) -> bool:
        return self.channel_id is not None and self.ts is not None

    def to_metadata(self) -> str:
        where: str | dict[str, str] = (
            {"channel": self.channel_id, "ts": self.ts}
            if self.channel_id is not None and self.ts is not None
            else HOME
        )
        return json.dumps({"item": self.item_id, "where": where})

    @classmethod
    def from_metadata(cls, metadata: str | None) -> ItemPlace:
        try:
            data = json.loads(metadata or "")
            where, item_id = data["where"], parse_row_id(data["item"])
            if item_id is None:
                raise ValueError("not an item id")
            if where == HOME:
                return cls(item_id=item_id)
            return cls(item_id=item_id, channel_id=str(where["channel"]), ts=str(where["ts"]))
        except (ValueError, KeyError, TypeError):
            raise HindsightError("This form is out of date; press the button again.") from None


def _item_line(item: ActionItem, incident: Incident) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=f"*{escape(clip(item.title, 300))}* ({incident.ref})")
    )


def reassign_modal(item: ActionItem, incident: Incident, place: ItemPlace) -> View:
    blocks: list[Block] = [
        _item_line(item, incident),
        InputBlock(
            block_id=FollowUp.REASSIGN_OWNER,
            label="New owner",
            hint="They get a DM with the item, and the reminders from now on.",
            element=UserSelectElement(action_id=FollowUp.REASSIGN_OWNER),
        ),
    ]
    return View(
        type="modal",
        callback_id=FollowUp.REASSIGN_CALLBACK,
        title=PlainTextObject(text="Reassign action item"),
        submit=PlainTextObject(text="Reassign"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=place.to_metadata(),
        blocks=blocks,
    )


def wont_do_modal(item: ActionItem, incident: Incident, place: ItemPlace) -> View:
    blocks: list[Block] = [
        _item_line(item, incident),
        InputBlock(
            block_id=FollowUp.WONT_DO_REASON,
            label="Why won't it be done?",
            hint="Kept with the item, so the next review knows it was a decision.",
            element=PlainTextInputElement(
                action_id=FollowUp.WONT_DO_REASON,
                multiline=True,
                max_length=MAX_REASON,
                placeholder="Superseded by the new alerting stack",
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=FollowUp.WONT_DO_CALLBACK,
        title=PlainTextObject(text="Won't do"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=place.to_metadata(),
        blocks=blocks,
    )


def reassign_choice(view: dict[str, Any]) -> str | None:
    """The person picked in the Reassign modal."""
    return ViewState(view).user(FollowUp.REASSIGN_OWNER)


def wont_do_reason(view: dict[str, Any]) -> str | None:
    """The reason typed in the Won't do modal (untrimmed)."""
    return ViewState(view).text(FollowUp.WONT_DO_REASON) or None


def already_closed_text(item: ActionItem) -> str:
    """The answer to a button on an item that is closed already: nothing was changed."""
    by = f" by <@{item.closed_by}>" if item.closed_by else ""
    title = escape(clip(item.title, 200))
    if item.status is ActionStatus.WONT_DO:
        return f"*{title}* was already closed as won't do{by}; nothing changed."
    return f"*{title}* was already marked done{by}; nothing changed."


def notice_modal(message: str) -> View:
    """An answer shown where there is no message to reply under (App Home)."""
    return View(
        type="modal",
        title=PlainTextObject(text="Action item"),
        close=PlainTextObject(text="OK"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(message, 3000)))],
    )
