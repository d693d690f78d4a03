"""`/postmortem declare|status|severity|role`."""

from __future__ import annotations

from handlers.context import CommandHandler

ROUTES: dict[str, CommandHandler] = {}
