"""The ephemeral help answer to `/postmortem help`."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.commands import SUBCOMMANDS
from bot.ids import COMMAND
from bot.ids import Block as BlockId
from bot.ui.text import inert


def help_text(*, unknown: str | None = None) -> str:
    """Plain-text fallback (notifications, screen readers) for the help blocks."""
    lines = [f"Unknown subcommand `{inert(unknown)}`."] if unknown else []
    lines.append(f"Hindsight runs blameless postmortems. Use `{COMMAND} <subcommand>`:")
    lines += [f"• `{COMMAND} {sub.usage}`: {sub.summary}" for sub in SUBCOMMANDS]
    return "\n".join(lines)


def help_blocks(*, unknown: str | None = None) -> list[Block]:
    intro = "Hindsight runs blameless postmortems right here in Slack."
    if unknown:
        intro = f"I don't know `{inert(unknown)}`. {intro}"
    usage = "\n".join(f"`{COMMAND} {sub.usage}`\n{sub.summary}" for sub in SUBCOMMANDS)
    return [
        SectionBlock(block_id=BlockId.HELP_INTRO, text=MarkdownTextObject(text=intro)),
        SectionBlock(block_id=BlockId.HELP_COMMANDS, text=MarkdownTextObject(text=usage)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Causes, not culprits: we look for what in the system let this happen."
                )
            ]
        ),
    ]
