"""Small answers shown when something could not be done."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View


def error_modal(message: str) -> View:
    """Replaces a modal whose submission failed for a reason no single field explains."""
    return View(
        type="modal",
        title=PlainTextObject(text="Hindsight"),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=message[:3000]))],
    )
