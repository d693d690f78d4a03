"""The "Add to timeline" modal: mark one message with a kind and an optional note."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import UserInputError
from bot.ids import TimelineIds
from bot.timeline.shapes import kind_label
from bot.ui.state import ViewState
from bot.ui.text import escape, quoted
from models import Incident

NOTE_MAX = 1000
PREVIEW_CHARS = 500


@dataclass(frozen=True, slots=True)
class MarkForm:
    """What the modal's submission says: which message, which kind, what note."""

    channel_id: str
    ts: str
    kind: str
    note: str | None

    @classmethod
    def from_view(cls, view: dict[str, Any], *, kinds: Sequence[str]) -> MarkForm:
        target = json.loads(view.get("private_metadata") or "{}")
        state = ViewState(view)
        kind = state.selected(TimelineIds.MARK_KIND)
        if kind is None or kind not in kinds:
            raise UserInputError("Choose what kind of moment this is.", field=TimelineIds.MARK_KIND)
        note = state.text(TimelineIds.MARK_NOTE).strip() or None
        if note is not None and len(note) > NOTE_MAX:
            raise UserInputError(
                f"Keep the note under {NOTE_MAX} characters.", field=TimelineIds.MARK_NOTE
            )
        return cls(channel_id=str(target["channel"]), ts=str(target["ts"]), kind=kind, note=note)


def mark_modal(
    *,
    incident: Incident,
    channel_id: str,
    ts: str,
    author: str,
    text: str,
    kinds: Sequence[str],
    initial_kind: str = "key_event",
) -> View:
    """`text` is the message as Slack sent it (already mrkdwn); `author` a plain name."""
    options = [Option(value=kind, text=kind_label(kind)) for kind in kinds]
    initial = next((option for option in options if option.value == initial_kind), options[0])
    preview = quoted(text, PREVIEW_CHARS)
    blocks: list[Block] = [
        SectionBlock(
            block_id=TimelineIds.MARK_MESSAGE,
            text=MarkdownTextObject(
                text=f"Mark this message from *{escape(author)}* in "
                f"*{incident.ref}*'s timeline:\n{preview}"
            ),
        ),
        InputBlock(
            block_id=TimelineIds.MARK_KIND,
            label=PlainTextObject(text="What kind of moment is it?"),
            element=StaticSelectElement(
                action_id=TimelineIds.MARK_KIND, options=options, initial_option=initial
            ),
        ),
        _note_input(),
    ]
    return View(
        type="modal",
        callback_id=TimelineIds.MARK_CALLBACK,
        title=PlainTextObject(text="Add to timeline"),
        submit=PlainTextObject(text="Add"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel": channel_id, "ts": ts}),
        blocks=blocks,
    )


def _note_input() -> InputBlock:
    return InputBlock(
        block_id=TimelineIds.MARK_NOTE,
        label=PlainTextObject(text="Note"),
        optional=True,
        hint=PlainTextObject(text="Shown beside the event in the timeline and the export."),
        element=PlainTextInputElement(
            action_id=TimelineIds.MARK_NOTE,
            multiline=True,
            max_length=NOTE_MAX,
            placeholder=PlainTextObject(text="Why this moment matters (optional)"),
        ),
    )
