"""The smallest blocks every surface uses: a mrkdwn section and a context line, clipped to
Slack's limit for one text object."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.ui.text import clip

MAX_TEXT = 3000  # Slack's limit for one text object


def section(block_id: str, text: str) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=clip(text, MAX_TEXT)))


def context(block_id: str, text: str) -> ContextBlock:
    return ContextBlock(block_id=block_id, elements=[MarkdownTextObject(text=clip(text, MAX_TEXT))])
