"""Slack's Block Kit limits: the simulated workspace's (``bot.simslack.limits``)."""

from bot.simslack.limits import (
    message_text_errors,
    validate_blocks,
    validate_message_blocks,
    validate_view,
    view_too_large,
)

__all__ = [
    "message_text_errors",
    "validate_blocks",
    "validate_message_blocks",
    "validate_view",
    "view_too_large",
]
