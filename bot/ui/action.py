"""Action items outside the retro: the "Create action item" modal, and the owner's DM."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import UserInputError
from bot.ids import ActionIds
from bot.retro.forms import MAX_ITEM_TITLE
from bot.trackers.shapes import ItemTracker
from bot.ui.item import item_blocks
from bot.ui.retro_steps import KIND_LABELS, PRIORITY_LABELS
from bot.ui.state import ViewState
from bot.ui.text import clip, escape, quoted
from models import ActionItem, ActionKind, Incident, Priority

PREVIEW_CHARS = 500
DUE_HINT = "Leave empty for the priority's default: high 3 days, medium 7, low 14."


@dataclass(frozen=True, slots=True)
class ActionForm:
    """What the modal's submission says, as plain values (not yet checked beyond its shape)."""

    channel_id: str
    ts: str
    title: str
    owner_id: str | None
    due: date | None
    priority: Priority
    kind: ActionKind

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ActionForm:
        target = json.loads(view.get("private_metadata") or "{}")
        state = ViewState(view)
        priority = state.selected(ActionIds.CREATE_PRIORITY)
        kind = state.selected(ActionIds.CREATE_KIND)
        if priority not in PRIORITY_LABELS:
            raise UserInputError("Pick a priority.", field=ActionIds.CREATE_PRIORITY)
        if kind not in KIND_LABELS:
            raise UserInputError("Pick a kind.", field=ActionIds.CREATE_KIND)
        picked = state.date(ActionIds.CREATE_DUE)
        try:
            due = date.fromisoformat(picked) if picked else None
        except ValueError:
            raise UserInputError("Pick a date.", field=ActionIds.CREATE_DUE) from None
        return cls(
            channel_id=str(target["channel"]),
            ts=str(target["ts"]),
            title=state.text(ActionIds.CREATE_TITLE),
            owner_id=state.user(ActionIds.CREATE_OWNER),
            due=due,
            priority=Priority(priority),
            kind=ActionKind(kind),
        )


def _options(labels: dict[str, str]) -> list[Option]:
    return [Option(value=value, label=label) for value, label in labels.items()]


def action_modal(
    *,
    incident: Incident,
    channel_id: str,
    ts: str,
    author: str,
    text: str,
    title: str,
    owner_id: str,
) -> View:
    """`text` is the message as Slack sent it (mrkdwn), `title` its plain prefill."""
    blocks: list[Block] = [
        _source_block(incident, author=author, text=text),
        *_title_and_owner(title=title, owner_id=owner_id),
        *_due_priority_kind(),
    ]
    return View(
        type="modal",
        callback_id=ActionIds.CREATE_CALLBACK,
        title=PlainTextObject(text="Create action item"),
        submit=PlainTextObject(text="Create"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel": channel_id, "ts": ts}),
        blocks=blocks,
    )


def _source_block(incident: Incident, *, author: str, text: str) -> SectionBlock:
    """The message the item comes from, quoted."""
    return SectionBlock(
        block_id=ActionIds.CREATE_MESSAGE,
        text=MarkdownTextObject(
            text=f"An action item for *{incident.ref}*, from this message by "
            f"*{escape(author)}*:\n{quoted(text, PREVIEW_CHARS)}"
        ),
    )


def _title_and_owner(*, title: str, owner_id: str) -> list[Block]:
    return [
        InputBlock(
            block_id=ActionIds.CREATE_TITLE,
            label="Title",
            element=PlainTextInputElement(
                action_id=ActionIds.CREATE_TITLE,
                initial_value=title or None,
                max_length=MAX_ITEM_TITLE,
                placeholder="Alert on checkout p99 above 2 s",
            ),
        ),
        InputBlock(
            block_id=ActionIds.CREATE_OWNER,
            label="Owner",
            element=UserSelectElement(action_id=ActionIds.CREATE_OWNER, initial_user=owner_id),
        ),
    ]


def _due_priority_kind() -> list[Block]:
    """Due (left empty: the priority's default), priority (medium preselected) and kind."""
    priorities, kinds = _options(PRIORITY_LABELS), _options(KIND_LABELS)
    return [
        InputBlock(
            block_id=ActionIds.CREATE_DUE,
            label="Due",
            optional=True,
            hint=DUE_HINT,
            element=DatePickerElement(action_id=ActionIds.CREATE_DUE),
        ),
        InputBlock(
            block_id=ActionIds.CREATE_PRIORITY,
            label="Priority",
            element=StaticSelectElement(
                action_id=ActionIds.CREATE_PRIORITY,
                options=priorities,
                initial_option=priorities[list(PRIORITY_LABELS).index(Priority.MEDIUM)],
            ),
        ),
        InputBlock(
            block_id=ActionIds.CREATE_KIND,
            label="Kind",
            element=StaticSelectElement(
                action_id=ActionIds.CREATE_KIND, options=kinds, initial_option=kinds[0]
            ),
        ),
    ]


def describe(item: ActionItem) -> str:
    """One line: title, owner, due date, priority and kind."""
    return (
        f"*{escape(item.title)}* — <@{item.owner_id}>, due "
        f"{item.due_date.isoformat() if item.due_date else 'not set'}, "
        f"{item.priority.value} priority, {item.kind.value}"
    )


def created_text(item: ActionItem, incident: Incident) -> str:
    """The ephemeral answer to whoever created the item."""
    return f"Action item added to *{incident.ref}*: {describe(item)}"


def assigned_message(
    *,
    item: ActionItem,
    incident: Incident,
    actor_id: str,
    today: date,
    now: datetime,
    tracker: ItemTracker | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The owner's DM: the fallback text and the blocks, with the item's controls."""
    text = f"<@{actor_id}> gave you an action item from {incident.ref}: {escape(item.title)}"
    channel = f"<#{incident.channel_id}>" if incident.channel_id else incident.ref
    blocks: list[Block] = [
        SectionBlock(
            block_id=ActionIds.ASSIGNED,
            text=MarkdownTextObject(
                text=f"<@{actor_id}> gave you an action item from *{incident.ref}* "
                f"({escape(clip(incident.title, 200))}):"
            ),
        ),
        *item_blocks(
            item,
            incident,
            today=today,
            now=now,
            viewer_id=item.owner_id,
            controls=True,
            tracker=tracker,
        ),
        ContextBlock(
            block_id=ActionIds.ASSIGNED_CONTEXT,
            elements=[
                MarkdownTextObject(
                    text=f"Added in {channel}. I'll remind you in your working hours until it's "
                    "closed. Thanks for following it up."
                )
            ],
        ),
    ]
    return clip(text, 3000), [block.to_dict() for block in blocks]
